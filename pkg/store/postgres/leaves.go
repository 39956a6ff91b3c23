package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/apikeyctl/apikeyctl/pkg/query"
)

// This file keeps api_key_leaves, the flattened metadata that metadata
// queries search, in step with api_keys.metadata: every write of a key's
// metadata flattens it once, in Go, with the in-memory evaluator's own
// query.Flatten, and writes its distinct leaves in one statement. A
// deleted key's leaves go with it (ON DELETE CASCADE).

const (
	insertLeavesSQL = `INSERT INTO api_key_leaves (path, value, key_seq)
		SELECT l.path, l.value, $3 FROM unnest($1::text[], $2::text[]) AS l (path, value)`
	// The same for many keys by id: the leaves of all of them go, the
	// new ones are given as parallel arrays of key ids, paths and values.
	deleteLeavesOfSQL = `DELETE FROM api_key_leaves
		WHERE key_seq IN (SELECT seq FROM api_keys WHERE id = ANY($1::text[]))`
	insertLeavesOfSQL = `INSERT INTO api_key_leaves (path, value, key_seq)
		SELECT l.path, l.value, k.seq FROM unnest($1::text[], $2::text[], $3::text[]) AS l (id, path, value)
		JOIN api_keys AS k ON k.id = l.id`
)

// writeLeaves flattens metadata and stores its leaves as those of the key
// id, whose seq is seq and which has none yet.
func (w *writer) writeLeaves(ctx context.Context, id string, seq int64, metadata json.RawMessage) error {
	paths, values, err := distinctLeaves(id, metadata)
	if err != nil || len(paths) == 0 {
		return err
	}
	if _, err := w.tx.Exec(ctx, insertLeavesSQL, paths, values, seq); err != nil {
		return fmt.Errorf("index metadata of api key %q: %w", id, err)
	}
	return nil
}

// distinctLeaves flattens the metadata of the key id into its distinct
// leaves, as parallel paths and values.
func distinctLeaves(id string, metadata json.RawMessage) (paths, values []string, err error) {
	leaves, err := query.Flatten(metadata)
	if err != nil {
		return nil, nil, fmt.Errorf("index metadata of api key %q: %w", id, err)
	}
	seen := make(map[query.Leaf]bool, len(leaves))
	for _, l := range leaves {
		if !seen[l] {
			seen[l] = true
			paths, values = append(paths, l.Path), append(values, l.Value)
		}
	}
	return paths, values, nil
}
