package postgres

import (
	"context"
	"fmt"
)

// The change counter: one row, incremented first by every write
// transaction (tx.go) and read by Generation. A write transaction that
// rolls back leaves it as it was.
const (
	bumpGenerationSQL = "UPDATE store_generation SET n = n + 1 WHERE id = 1"
	generationSQL     = "SELECT n FROM store_generation WHERE id = 1"
)

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
