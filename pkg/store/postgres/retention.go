package postgres

import (
	"context"
	"slices"
)

// inactiveKeys is the condition of the keys past retention at $1.
const inactiveKeys = `(expiration IS NOT NULL AND expiration <= $1)
	OR (invalidated = 1 AND (invalidation IS NULL OR invalidation <= $1))`

// InactiveAPIKeyIDs returns, ordered by id, the keys past retention at
// cutoff.
func (r *reader) InactiveAPIKeyIDs(ctx context.Context, cutoff int64) ([]string, error) {
	return queryAll(ctx, r.tx, "find inactive api keys", scanID,
		"SELECT id FROM api_keys WHERE "+inactiveKeys+" ORDER BY id", cutoff)
}

// DeleteInactiveAPIKeys deletes up to limit of the keys past retention at
// cutoff, the first ones by id, and returns their ids; their leaves,
// usage, notices and lineage go with them (migration 0001).
func (w *writer) DeleteInactiveAPIKeys(ctx context.Context, cutoff int64, limit int) ([]string, error) {
	if limit <= 0 {
		return []string{}, nil
	}
	ids, err := queryAll(ctx, w.tx, "delete inactive api keys", scanID, `
		DELETE FROM api_keys WHERE id IN (
			SELECT id FROM api_keys WHERE `+inactiveKeys+` ORDER BY id LIMIT $2)
		RETURNING id`, cutoff, limit)
	if err != nil {
		return nil, err
	}
	slices.Sort(ids)
	return ids, nil
}
