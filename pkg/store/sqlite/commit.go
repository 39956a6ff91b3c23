package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// This file is the group commit: Update hands its function to the one
// committer goroutine, which runs the functions that are waiting together
// in one write transaction, each inside its own savepoint, and commits them
// with one fsync. A function that fails is rolled back to its savepoint and
// fails alone; every caller is answered once the commit that holds its
// write is durable (or has failed), never before.

const (
	// maxBatch bounds the functions committed together, so that one
	// commit does not hold the write lock for long.
	maxBatch = 128
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

// commitRequest is one Update waiting for the committer.
type commitRequest struct {
	ctx  context.Context
	fn   func(store.Writer) error
	done chan error
	// panicked is what fn panicked with, re-raised in the caller's
	// goroutine once the member is rolled back.
	panicked any
}

// Savepoint statements, prepared on the write connection.
const (
	savepointSQL         = "SAVEPOINT batch_member"
	releaseSavepointSQL  = "RELEASE batch_member"
	rollbackSavepointSQL = "ROLLBACK TO batch_member"
)

// Update runs fn in a read-write transaction, committed when fn returns nil
// and rolled back otherwise. Functions of concurrent Updates are committed
// together (see commit.go); the transactions of other processes are
// serialised by SQLite's write lock. fn may run again when SQLite reports
// the database busy, so it must not have effects outside the Writer that a
// later run does not redo. fn must not call Update on the same DB, which
// would wait for itself.
func (db *DB) Update(ctx context.Context, fn func(store.Writer) error) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	req := &commitRequest{ctx: ctx, fn: fn, done: make(chan error, 1)}
	db.closeMu.RLock()
	if db.closed {
		db.closeMu.RUnlock()
		return fmt.Errorf("database %s: %w", db.path, errClosed)
	}
	select {
	case db.queue <- req:
	case <-ctx.Done():
		db.closeMu.RUnlock()
		return context.Cause(ctx)
	}
	db.closeMu.RUnlock()
	// Once queued, the answer is awaited whatever the context: the caller
	// must know whether its write was committed.
	err := <-req.done
	if req.panicked != nil {
		panic(req.panicked)
	}
	// A transaction whose context ended is rolled back by database/sql
	// itself, and what runs on it next says only that it is done or its
	// statement closed: the caller learns why.
	if err != nil && ctx.Err() != nil && !errors.Is(err, context.Cause(ctx)) {
		return fmt.Errorf("%w (the write was rolled back: %v)", context.Cause(ctx), err)
	}
	return storageError(err)
}

// commitLoop is the committer: it takes the waiting functions in batches
// until the queue is closed and drained.
func (db *DB) commitLoop() {
	defer close(db.committerDone)
	for req := range db.queue {
		batch := []*commitRequest{req}
	fill:
		for len(batch) < maxBatch {
			select {
			case r, ok := <-db.queue:
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

// commitBatch runs a batch in one transaction, retried whole while SQLite
// reports the database busy, and answers each member.
func (db *DB) commitBatch(batch []*commitRequest) {
	ctx, cancel := batchContext(batch)
	defer cancel()
	var results []error
	err := db.retry(ctx, func() error {
		var err error
		results, err = db.runBatch(ctx, batch)
		return err
	})
	for i, req := range batch {
		if err != nil {
			req.done <- err
			continue
		}
		req.done <- results[i]
	}
}

// runBatch runs the members of a batch in one transaction and commits it.
// It returns each member's outcome, or an error that fails them all (the
// transaction could not begin or commit, or a member met a busy database,
// which calls for a retry of the whole batch).
func (db *DB) runBatch(ctx context.Context, batch []*commitRequest) ([]error, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin transaction: %w", err)
	}
	defer tx.Rollback()
	w := &writer{
		reader:    reader{q: newQuerier(tx, db.writeStmts)},
		paths:     newInterning(&db.paths),
		snapshots: newInterning(&db.snapshots),
	}
	interned := []*interning{w.paths, w.snapshots}
	defer func() {
		for _, in := range interned {
			in.ended()
		}
	}()
	memberDone := func(ok bool) {
		for _, in := range interned {
			in.memberDone(ok)
		}
	}
	results := make([]error, len(batch))
	alone := len(batch) == 1
	for i, req := range batch {
		if req.ctx.Err() != nil {
			results[i] = context.Cause(req.ctx)
			continue
		}
		w.read = map[string]store.APIKey{}
		if alone {
			results[i] = runMember(req, w)
			if results[i] != nil {
				if isBusy(results[i]) {
					return nil, results[i]
				}
				return results, nil // rolled back by the deferred Rollback
			}
			memberDone(true)
			continue
		}
		if _, err := w.exec(req.ctx, savepointSQL); err != nil {
			return nil, fmt.Errorf("begin savepoint: %w", err)
		}
		results[i] = runMember(req, w)
		if results[i] != nil {
			if isBusy(results[i]) {
				return nil, results[i]
			}
			if _, err := w.exec(context.Background(), rollbackSavepointSQL); err != nil {
				return nil, fmt.Errorf("roll back savepoint: %w", err)
			}
		}
		memberDone(results[i] == nil)
		if _, err := w.exec(context.Background(), releaseSavepointSQL); err != nil {
			return nil, fmt.Errorf("release savepoint: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	db.batches.Record(len(batch))
	db.checkpoints.nudge()
	for _, in := range interned {
		in.committed()
	}
	return results, nil
}

// batchContext is the context of a batch's transaction: done once every
// member's context is done, so that waiting for another process's lock
// ends when nobody waits for the answer any more.
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

// prepare compiles each statement on the pool, once; the transactions of
// the pool then run them without parsing SQL again.
func prepare(ctx context.Context, pool *sql.DB, queries []string) (map[string]*sql.Stmt, error) {
	stmts := make(map[string]*sql.Stmt, len(queries))
	for _, q := range queries {
		st, err := pool.PrepareContext(ctx, q)
		if err != nil {
			for _, s := range stmts {
				s.Close()
			}
			return nil, fmt.Errorf("prepare %q: %w", q, err)
		}
		stmts[q] = st
	}
	return stmts, nil
}
