package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/apikeyctl/apikeyctl/pkg/query"
)

// This file keeps api_key_leaves, the flattened metadata that metadata
// queries search, in step with api_keys.metadata: every write of a key's
// metadata flattens it once, in Go, with the in-memory evaluator's own
// query.Flatten, and writes its leaves with two statements whatever their
// number. A deleted key's leaves go with it by trigger (migration 0004).

const (
	// insertPaths interns the paths of a leaf list, a JSON array of
	// [path, value] pairs.
	insertPaths = `INSERT INTO api_key_paths (path)
		SELECT DISTINCT j.value ->> 0 FROM json_each(?) AS j WHERE true
		ON CONFLICT (path) DO NOTHING`
	// insertLeaves writes the leaves of a key from the same list; a leaf
	// repeated in the metadata is kept once.
	insertLeaves = `INSERT OR IGNORE INTO api_key_leaves (path_id, value, key_id)
		SELECT p.id, j.value ->> 1, ? FROM json_each(?) AS j JOIN api_key_paths AS p ON p.path = j.value ->> 0`
	deleteLeaves = `DELETE FROM api_key_leaves WHERE key_id = ?`
)

// writeLeaves flattens metadata and stores its leaves as those of the key
// id, which has none yet.
func (w *writer) writeLeaves(ctx context.Context, id string, metadata json.RawMessage) error {
	leaves, err := query.Flatten(metadata)
	if err != nil {
		return fmt.Errorf("index metadata of api key %q: %w", id, err)
	}
	if len(leaves) == 0 {
		return nil
	}
	pairs := make([][2]string, len(leaves))
	for i, l := range leaves {
		pairs[i] = [2]string{l.Path, l.Value}
	}
	list, err := json.Marshal(pairs)
	if err != nil {
		return fmt.Errorf("index metadata of api key %q: %w", id, err)
	}
	if _, err := w.exec(ctx, insertPaths, string(list)); err != nil {
		return fmt.Errorf("index metadata of api key %q: %w", id, err)
	}
	if _, err := w.exec(ctx, insertLeaves, id, string(list)); err != nil {
		return fmt.Errorf("index metadata of api key %q: %w", id, err)
	}
	return nil
}

// rewriteLeaves replaces the leaves of the key id with those of metadata.
func (w *writer) rewriteLeaves(ctx context.Context, id string, metadata json.RawMessage) error {
	if _, err := w.exec(ctx, deleteLeaves, id); err != nil {
		return fmt.Errorf("index metadata of api key %q: %w", id, err)
	}
	return w.writeLeaves(ctx, id, metadata)
}
