package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// The change counter: one row, incremented first by every write
// transaction (tx.go) and read by Generation. A write transaction that
// rolls back leaves it as it was. The transaction that increments it
// also notifies the new value on the counter's channel, which PostgreSQL
// delivers to every listening connection when, and only if, it commits
// (listener.go).
const (
	bumpGenerationSQL = `WITH bumped AS (UPDATE store_generation SET n = n + 1 WHERE id = 1 RETURNING n)
		SELECT bumped.n FROM bumped,
			LATERAL (SELECT pg_notify('` + channelPrefix + `' || 'store_generation'::regclass::oid::text, bumped.n::text)) AS notified`
	generationSQL = "SELECT n FROM store_generation WHERE id = 1"
)

// bumpGeneration increments the change counter in tx, taking the row lock
// that makes tx the only writer until it ends, and returns the generation
// tx commits; the caller tells committed once tx has committed.
func (db *DB) bumpGeneration(ctx context.Context, tx pgx.Tx) (uint64, error) {
	var n int64
	if err := tx.QueryRow(ctx, bumpGenerationSQL).Scan(&n); err != nil {
		return 0, fmt.Errorf("database %s: bump generation: %w", db.name, err)
	}
	return uint64(n), nil
}

// committed records that a write transaction of this process committed
// generation n, so that Generation answers at least n from now on,
// without waiting for the notification.
func (db *DB) committed(n uint64) {
	db.gen.observe(n)
}

// Generation returns the change counter: it moves with every committed
// write transaction of any process sharing the database. Records read
// after it are at least as new, since a writer increments it in the
// transaction that writes them, and the answers only ever grow.
//
// In the default mode (coherence notify, see the package comment) it is
// answered from memory while the listener is healthy: the highest
// generation notified, read by the listener, or committed by this
// process. A change made by this process is seen by its next call; one
// made by another process as soon as its notification arrives, and,
// should a notification be missed without the listener noticing, at the
// listener's next liveness read, at most the coherence interval later.
// The listener counts as healthy only while its last liveness read began
// less than two intervals ago, so a change is never hidden for longer
// than two intervals. While it is not healthy (not yet listening,
// reconnecting, late), and always in the strict mode, Generation reads
// the counter: one primary-key read, and no staleness at all.
func (db *DB) Generation(ctx context.Context) (uint64, error) {
	g := &db.gen
	if !g.strict {
		g.start()
		if g.healthy() {
			return g.n.Load(), nil
		}
	}
	var n int64
	if err := db.pool.QueryRow(ctx, generationSQL).Scan(&n); err != nil {
		return 0, storageError(fmt.Errorf("database %s: read generation: %w", db.name, err))
	}
	g.reads.Add(1)
	return g.observe(uint64(n)), nil
}
