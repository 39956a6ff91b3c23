package sqlite

import (
	"context"
	"fmt"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// This file keeps when each key was last used: api_key_usage, one row per
// key that was ever used, merged into by the daemon's batched reports.

// recordUsageSQL merges one report into a key's usage, dropping it when the
// key no longer exists. In an upsert's SET every column names the row's
// old value, excluded the report.
const recordUsageSQL = `INSERT INTO api_key_usage (id, first_used, last_used, last_from, count)
	SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM api_keys WHERE id = ?1)
	ON CONFLICT (id) DO UPDATE SET
		first_used = min(first_used, excluded.first_used),
		last_from = CASE WHEN excluded.last_used >= last_used THEN excluded.last_from ELSE last_from END,
		last_used = max(last_used, excluded.last_used),
		count = count + excluded.count`

// RecordKeyUsage merges reports of uses into the keys' usage, one
// statement per report.
func (w *writer) RecordKeyUsage(ctx context.Context, usage []store.KeyUsage) error {
	for _, u := range usage {
		if u.Count == 0 && u.LastUsed == 0 {
			continue
		}
		first := u.FirstUsed
		if first == 0 {
			first = u.LastUsed
		}
		if _, err := w.exec(ctx, recordUsageSQL, u.ID, first, u.LastUsed, u.LastFrom, u.Count); err != nil {
			return fmt.Errorf("record the use of api key %s: %w", u.ID, err)
		}
	}
	return nil
}

// GetKeyUsage returns the recorded usage of the keys ids, by id.
func (r *reader) GetKeyUsage(ctx context.Context, ids []string) (map[string]store.KeyUsage, error) {
	out := make(map[string]store.KeyUsage, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	vals := make([]any, len(ids))
	for i, id := range ids {
		vals[i] = id
	}
	rows, err := r.q.QueryContext(ctx, `SELECT id, first_used, last_used, last_from, count FROM api_key_usage
		WHERE id IN (SELECT value FROM json_each(?))`, jsonText(vals))
	if err != nil {
		return nil, fmt.Errorf("get api key usage: %w", err)
	}
	us, err := scanAll(rows, "get api key usage", func(s scanner) (store.KeyUsage, error) {
		var u store.KeyUsage
		err := s.Scan(&u.ID, &u.FirstUsed, &u.LastUsed, &u.LastFrom, &u.Count)
		return u, err
	})
	if err != nil {
		return nil, err
	}
	for _, u := range us {
		out[u.ID] = u
	}
	return out, nil
}
