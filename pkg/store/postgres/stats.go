package postgres

import (
	"context"
	"fmt"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

var _ store.StatsReporter = (*DB)(nil)

// storeSizeSQL is the size on disk of the store's own tables, with their
// indexes and TOAST: the database may hold other schemas.
const storeSizeSQL = `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind = 'r'`

// StoreStats reports the size of the store's tables and this process's
// group commits since the store opened (the commits of other replicas
// are theirs to report).
func (db *DB) StoreStats(ctx context.Context) (*store.Stats, error) {
	var size int64
	if err := db.pool.QueryRow(ctx, storeSizeSQL).Scan(&size); err != nil {
		return nil, storageError(fmt.Errorf("database %s: store size: %w", db.name, err))
	}
	stats := &store.Stats{
		Backend:       "postgres",
		SizeBytes:     size,
		QueueDepth:    len(db.commits.queue),
		QueueCapacity: cap(db.commits.queue),
	}
	db.commits.batches.Fill(stats)
	return stats, nil
}
