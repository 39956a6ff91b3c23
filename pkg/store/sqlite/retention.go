package sqlite

import (
	"context"
	"fmt"
	"slices"
)

// inactiveKeys is the WHERE clause of the keys past retention at the
// cutoff bound as ?1: Elasticsearch's rule — expired at or before the
// cutoff, or invalidated at or before it or at an unknown instant (keys
// invalidated before the instant was recorded). Each branch has its index.
const inactiveKeys = `(expiration IS NOT NULL AND expiration <= ?1)
	OR (invalidated = 1 AND (invalidation IS NULL OR invalidation <= ?1))`

// InactiveAPIKeyIDs returns, ordered by id, the keys past retention at
// cutoff.
func (r *reader) InactiveAPIKeyIDs(ctx context.Context, cutoff int64) ([]string, error) {
	rows, err := r.q.QueryContext(ctx, "SELECT id FROM api_keys WHERE "+inactiveKeys+" ORDER BY id", cutoff)
	if err != nil {
		return nil, fmt.Errorf("find inactive api keys: %w", err)
	}
	return scanAll(rows, "find inactive api keys", scanID)
}

// DeleteInactiveAPIKeys deletes up to limit of the keys past retention at
// cutoff, the first ones by id, and returns their ids in that order.
func (w *writer) DeleteInactiveAPIKeys(ctx context.Context, cutoff int64, limit int) ([]string, error) {
	if limit <= 0 {
		return []string{}, nil
	}
	rows, err := w.q.QueryContext(ctx, `
		DELETE FROM api_keys WHERE id IN (
			SELECT id FROM api_keys WHERE `+inactiveKeys+` ORDER BY id LIMIT ?2)
		RETURNING id`, cutoff, limit)
	if err != nil {
		return nil, fmt.Errorf("delete inactive api keys: %w", err)
	}
	ids, err := scanAll(rows, "delete inactive api keys", scanID)
	if err != nil {
		return nil, err
	}
	// RETURNING gives no order; the contract promises id order.
	slices.Sort(ids)
	return ids, nil
}
