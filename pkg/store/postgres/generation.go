package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// The change counter: one row, incremented first by every write
// transaction (tx.go) and read by Generation. A write transaction that
// rolls back leaves it as it was.
const (
	bumpGenerationSQL = "UPDATE store_generation SET n = n + 1 WHERE id = 1 RETURNING n"
	generationSQL     = "SELECT n FROM store_generation WHERE id = 1"
)

// bumpGeneration increments the change counter in tx, taking the row lock
// that makes tx the only writer until it ends, and returns the generation
// tx commits.
func (db *DB) bumpGeneration(ctx context.Context, tx pgx.Tx) (uint64, error) {
	var n int64
	if err := tx.QueryRow(ctx, bumpGenerationSQL).Scan(&n); err != nil {
		return 0, fmt.Errorf("database %s: bump generation: %w", db.name, err)
	}
	return uint64(n), nil
}

// Generation returns the change counter: it moves with every committed
// write transaction of any process sharing the database. Records read
// after it are at least as new, since a writer increments it in the
// transaction that writes them. One primary-key read.
func (db *DB) Generation(ctx context.Context) (uint64, error) {
	var n int64
	if err := db.pool.QueryRow(ctx, generationSQL).Scan(&n); err != nil {
		return 0, storageError(fmt.Errorf("database %s: read generation: %w", db.name, err))
	}
	return uint64(n), nil
}
