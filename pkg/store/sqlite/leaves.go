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
// query.Flatten, and writes each leaf with one prepared statement, in time
// linear in the metadata's size. Paths are interned (intern.go). A
// deleted key's leaves go with it by trigger (migration 0005).

const (
	insertPathSQL   = `INSERT INTO api_key_paths (path) VALUES (?) ON CONFLICT (path) DO NOTHING RETURNING id`
	selectPathSQL   = `SELECT id FROM api_key_paths WHERE path = ?`
	insertLeafSQL   = `INSERT OR IGNORE INTO api_key_leaves (path_id, value, key_seq) VALUES (?, ?, ?)`
	deleteLeavesSQL = `DELETE FROM api_key_leaves WHERE key_seq = ?`
)

// writeLeaves flattens metadata and stores its leaves as those of the key
// id, whose seq is seq and which has none yet.
func (w *writer) writeLeaves(ctx context.Context, id string, seq int64, metadata json.RawMessage) error {
	leaves, err := query.Flatten(metadata)
	if err != nil {
		return fmt.Errorf("index metadata of api key %q: %w", id, err)
	}
	for _, l := range leaves {
		pid, err := w.paths.id(ctx, w.q, l.Path)
		if err != nil {
			return fmt.Errorf("index metadata of api key %q: %w", id, err)
		}
		if _, err := w.exec(ctx, insertLeafSQL, pid, l.Value, seq); err != nil {
			return fmt.Errorf("index metadata of api key %q: %w", id, err)
		}
	}
	return nil
}

// rewriteLeaves replaces the leaves of the key with those of metadata.
func (w *writer) rewriteLeaves(ctx context.Context, id string, seq int64, metadata json.RawMessage) error {
	if _, err := w.exec(ctx, deleteLeavesSQL, seq); err != nil {
		return fmt.Errorf("index metadata of api key %q: %w", id, err)
	}
	return w.writeLeaves(ctx, id, seq, metadata)
}
