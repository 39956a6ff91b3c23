package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/apikeyctl/apikeyctl/pkg/query"
)

// This file keeps api_key_leaves, the flattened metadata that metadata
// queries search, in step with api_keys.metadata: every write of a key's
// metadata flattens it once, in Go, with the in-memory evaluator's own
// query.Flatten, and writes each leaf with one prepared statement, in time
// linear in the metadata's size. A deleted key's leaves go with it by
// trigger (migration 0004).
//
// Paths are interned in api_key_paths and never deleted, so the id of a
// path that was committed is valid for good: the DB remembers those
// (pathCache), and a transaction looks a path up in SQL only the first
// time. An id the transaction itself inserted is provisional until the
// commit (a batch member rolled back to its savepoint takes it along),
// so it is kept by the writer and handed to the cache only once the
// commit succeeded.

const (
	insertPathSQL   = `INSERT INTO api_key_paths (path) VALUES (?) ON CONFLICT (path) DO NOTHING RETURNING id`
	selectPathSQL   = `SELECT id FROM api_key_paths WHERE path = ?`
	insertLeafSQL   = `INSERT OR IGNORE INTO api_key_leaves (path_id, value, key_id) VALUES (?, ?, ?)`
	deleteLeavesSQL = `DELETE FROM api_key_leaves WHERE key_id = ?`
)

// maxCachedPaths bounds the committed path ids a DB remembers; past it the
// cache starts again empty.
const maxCachedPaths = 1 << 16

// pathCache is the DB's map of committed path ids.
type pathCache struct {
	mu  sync.RWMutex
	ids map[string]int64
}

func (c *pathCache) get(path string) (int64, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	id, ok := c.ids[path]
	return id, ok
}

// add remembers committed path ids.
func (c *pathCache) add(ids map[string]int64) {
	if len(ids) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ids == nil || len(c.ids)+len(ids) > maxCachedPaths {
		c.ids = make(map[string]int64, len(ids))
	}
	for p, id := range ids {
		c.ids[p] = id
	}
}

// pathID returns the id of path, inserting it when it is new.
func (w *writer) pathID(ctx context.Context, path string) (int64, error) {
	if id, ok := w.paths.get(path); ok {
		return id, nil
	}
	if id, ok := w.newPaths[path]; ok {
		return id, nil
	}
	if id, ok := w.pending[path]; ok {
		return id, nil
	}
	if id, ok := w.seenPaths[path]; ok {
		return id, nil
	}
	var id int64
	err := w.q.QueryRowContext(ctx, insertPathSQL, path).Scan(&id)
	if err == nil {
		w.newPaths[path] = id
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	// Another transaction committed it: its id is for good.
	if err := w.q.QueryRowContext(ctx, selectPathSQL, path).Scan(&id); err != nil {
		return 0, err
	}
	w.seenPaths[path] = id
	return id, nil
}

// writeLeaves flattens metadata and stores its leaves as those of the key
// id, which has none yet.
func (w *writer) writeLeaves(ctx context.Context, id string, metadata json.RawMessage) error {
	leaves, err := query.Flatten(metadata)
	if err != nil {
		return fmt.Errorf("index metadata of api key %q: %w", id, err)
	}
	for _, l := range leaves {
		pid, err := w.pathID(ctx, l.Path)
		if err != nil {
			return fmt.Errorf("index metadata of api key %q: %w", id, err)
		}
		if _, err := w.exec(ctx, insertLeafSQL, pid, l.Value, id); err != nil {
			return fmt.Errorf("index metadata of api key %q: %w", id, err)
		}
	}
	return nil
}

// rewriteLeaves replaces the leaves of the key id with those of metadata.
func (w *writer) rewriteLeaves(ctx context.Context, id string, metadata json.RawMessage) error {
	if _, err := w.exec(ctx, deleteLeavesSQL, id); err != nil {
		return fmt.Errorf("index metadata of api key %q: %w", id, err)
	}
	return w.writeLeaves(ctx, id, metadata)
}
