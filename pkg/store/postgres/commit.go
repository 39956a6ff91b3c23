package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// This file is the group commit: Update hands its function to the DB's one
// committer goroutine, which runs the functions that are waiting together
// in one write transaction, each inside its own savepoint: one generation
// bump (one handoff of the row lock that serialises the writers of every
// replica) and one commit for them all. A function that fails is rolled
// back to its savepoint and fails alone; every caller is answered once the
// commit that holds its write is durable (or has failed), never before.
//
// A batch that fails as a whole (the connection is lost, the commit
// fails) is not retried: its writes may have been committed when the
// connection was lost during the commit, and running them again would
// apply them twice. Writers taking turns on the generation row at READ
// COMMITTED never meet a serialization failure, so nothing else calls
// for a retry.

const (
	// maxBatch bounds the functions committed together, so that one
	// commit does not hold the generation row's lock for long; and each
	// savepoint that writes is a subtransaction, of which PostgreSQL
	// keeps at most 64 per transaction where every snapshot sees them
	// (beyond, snapshots taken while the batch runs read pg_subtrans).
	maxBatch = 64
	// queueSize bounds the functions waiting for the committer; Update
	// blocks (until its context ends) when the queue is full.
	queueSize = 256
)

var (
	// errClosed is an Update after Close.
	errClosed = errors.New("database is closed")
	// errPanicked is the outcome of a member whose function panicked.
	errPanicked = errors.New("transaction function panicked")
)

// Savepoint statements. The savepoint of the next member is set when a
// member succeeds; one that fails is rolled back to its savepoint, which
// then stands for the next member. Without arguments they run on the
// simple protocol, the release and the new savepoint in one round trip.
const (
	savepointSQL         = "SAVEPOINT batch_member"
	nextSavepointSQL     = "RELEASE SAVEPOINT batch_member; SAVEPOINT batch_member"
	rollbackSavepointSQL = "ROLLBACK TO SAVEPOINT batch_member"
)

// committer is the queue of Updates waiting for the committer goroutine.
type committer struct {
	queue chan *commitRequest
	// done is closed when the committer has answered every queued
	// function and returned, after Close closed queue.
	done chan struct{}
	// mu guards closed and the sends on queue.
	mu     sync.RWMutex
	closed bool
	// batches counts the commits by size, for StoreStats (stats.go).
	batches store.BatchCounter
}

// commitRequest is one Update waiting for the committer.
type commitRequest struct {
	ctx  context.Context
	fn   func(store.Writer) error
	done chan error
	// panicked is what fn panicked with, re-raised in the caller's
	// goroutine once the member is rolled back.
	panicked any
}

// startCommitter starts the committer goroutine.
func (db *DB) startCommitter() {
	db.commits.queue = make(chan *commitRequest, queueSize)
	db.commits.done = make(chan struct{})
	go db.commitLoop()
}

// stopCommitter refuses further Updates and waits for the queued ones to
// be answered.
func (db *DB) stopCommitter() {
	c := &db.commits
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	close(c.queue)
	c.mu.Unlock()
	<-c.done
}

// enqueue hands req to the committer, unless the DB is closed or ctx ends
// first.
func (db *DB) enqueue(ctx context.Context, req *commitRequest) error {
	c := &db.commits
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		return fmt.Errorf("database %s: %w", db.name, errClosed)
	}
	select {
	case c.queue <- req:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// commitLoop is the committer: it takes the waiting functions in batches
// until the queue is closed and drained.
func (db *DB) commitLoop() {
	defer close(db.commits.done)
	for req := range db.commits.queue {
		batch := []*commitRequest{req}
	fill:
		for len(batch) < maxBatch {
			select {
			case r, ok := <-db.commits.queue:
				if !ok {
					break fill
				}
				batch = append(batch, r)
			default:
				break fill
			}
		}
		db.commitBatch(batch)
	}
}

// commitBatch runs a batch in one transaction and answers each member.
func (db *DB) commitBatch(batch []*commitRequest) {
	ctx, cancel := batchContext(batch)
	defer cancel()
	results, err := db.runBatch(ctx, batch)
	for i, req := range batch {
		if err != nil {
			req.done <- err
			continue
		}
		req.done <- results[i]
	}
}

// runBatch runs the members of a batch in one transaction, which it
// commits when one of them succeeded and rolls back otherwise (leaving
// the generation as it was). It returns each member's outcome, or an
// error that fails them all. A batch of one runs without a savepoint.
func (db *DB) runBatch(ctx context.Context, batch []*commitRequest) ([]error, error) {
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return nil, fmt.Errorf("database %s: begin: %w", db.name, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	n, err := db.bumpGeneration(ctx, tx)
	if err != nil {
		return nil, err
	}
	alone := len(batch) == 1
	w := &writer{reader{tx: memberTx{Tx: tx, batch: ctx}}}
	results := make([]error, len(batch))
	succeeded := 0
	// savepoint is the statement that sets the next member's savepoint,
	// "" when it is set already.
	savepoint := savepointSQL
	for i, req := range batch {
		if req.ctx.Err() != nil {
			results[i] = context.Cause(req.ctx)
			continue
		}
		if !alone && savepoint != "" {
			if _, err := tx.Exec(ctx, savepoint); err != nil {
				return nil, fmt.Errorf("database %s: set savepoint: %w", db.name, err)
			}
		}
		if results[i] = runMember(req, w); results[i] == nil {
			succeeded++
			savepoint = nextSavepointSQL
			continue
		}
		if !alone {
			if _, err := tx.Exec(ctx, rollbackSavepointSQL); err != nil {
				return nil, fmt.Errorf("database %s: roll back to savepoint: %w", db.name, err)
			}
			savepoint = ""
		}
	}
	if succeeded == 0 {
		return results, nil // rolled back by the deferred Rollback
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("database %s: commit: %w", db.name, err)
	}
	db.committed(n)
	db.commits.batches.Record(len(batch))
	return results, nil
}

// batchContext is the context of a batch's transaction: done once every
// member's context is done, so that the batch ends when nobody waits for
// its outcome any more.
func batchContext(batch []*commitRequest) (context.Context, context.CancelFunc) {
	ctxs := make([]context.Context, len(batch))
	for i, req := range batch {
		ctxs[i] = req.ctx
	}
	return store.AllDone(ctxs)
}

// runMember runs one member's function. A panic fails the member alone
// (it is rolled back like an error) and is handed to its caller to be
// raised again there, so that one faulty function cannot take the
// committer down.
func runMember(req *commitRequest, w *writer) (err error) {
	defer func() {
		if p := recover(); p != nil {
			req.panicked = p
			err = errPanicked
		}
	}()
	return req.fn(w)
}

// memberTx is the batch's transaction as a member's writer runs its
// statements: under the batch's context rather than the one the member
// passes, since pgx closes the connection of a statement whose context
// ends, which would fail the whole batch. A statement asked for under a
// context that has ended is not sent and fails with the context's cause,
// so that a member whose caller gave up stops at its next statement.
type memberTx struct {
	pgx.Tx
	batch context.Context
}

func (t memberTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if ctx.Err() != nil {
		return pgconn.CommandTag{}, context.Cause(ctx)
	}
	return t.Tx.Exec(t.batch, sql, args...)
}

func (t memberTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	return t.Tx.Query(t.batch, sql, args...)
}

func (t memberTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if ctx.Err() != nil {
		return errRow{context.Cause(ctx)}
	}
	return t.Tx.QueryRow(t.batch, sql, args...)
}

// errRow is a pgx.Row that fails with err.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
