package postgres

import (
	"context"
	"fmt"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// This file keeps when each key was last used, in api_key_usage beside
// the key rows.

const recordUsageSQL = `INSERT INTO api_key_usage AS u (id, first_used, last_used, last_from, count)
	SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM api_keys WHERE id = $1)
	ON CONFLICT (id) DO UPDATE SET
		first_used = least(u.first_used, excluded.first_used),
		last_from = CASE WHEN excluded.last_used >= u.last_used THEN excluded.last_from ELSE u.last_from END,
		last_used = greatest(u.last_used, excluded.last_used),
		count = u.count + excluded.count`

// RecordKeyUsage merges reports of uses into the keys' usage, one
// statement per report; reports of keys that do not exist are dropped.
func (w *writer) RecordKeyUsage(ctx context.Context, usage []store.KeyUsage) error {
	for _, u := range usage {
		if u.Count == 0 && u.LastUsed == 0 {
			continue
		}
		first := u.FirstUsed
		if first == 0 {
			first = u.LastUsed
		}
		if _, err := w.tx.Exec(ctx, recordUsageSQL, u.ID, first, u.LastUsed, u.LastFrom, u.Count); err != nil {
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
	us, err := queryAll(ctx, r.tx, "get api key usage", func(s scanner) (store.KeyUsage, error) {
		var u store.KeyUsage
		err := s.Scan(&u.ID, &u.FirstUsed, &u.LastUsed, &u.LastFrom, &u.Count)
		return u, err
	}, `SELECT id, first_used, last_used, last_from, count FROM api_key_usage WHERE id = ANY($1::text[])`, ids)
	if err != nil {
		return nil, err
	}
	for _, u := range us {
		out[u.ID] = u
	}
	return out, nil
}
