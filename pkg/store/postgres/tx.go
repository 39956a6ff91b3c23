package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

var (
	_ store.Reader = (*reader)(nil)
	_ store.Writer = (*writer)(nil)
)

// reader is the store.Reader of one transaction.
type reader struct {
	tx pgx.Tx
}

// writer is the store.Writer of one read-write transaction. A method that
// returns store.ErrNotFound or store.ErrConflict runs no statement that
// failed, so the transaction stays usable (PostgreSQL aborts a
// transaction at its first failed statement).
type writer struct {
	reader
}

// View runs fn in a REPEATABLE READ READ ONLY transaction: one snapshot
// for all its reads, begun with its first statement (lazytx.go).
func (db *DB) View(ctx context.Context, fn func(store.Reader) error) error {
	tx := &lazyTx{pool: db.pool, name: db.name, opts: pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := fn(&reader{tx: tx}); err != nil {
		return storageError(err)
	}
	return storageError(tx.Commit(ctx))
}

// Update runs fn in a write transaction, committed when fn returns nil
// and rolled back otherwise (and when it panics, the panic raised again
// here). The functions of concurrent Updates are committed together
// (commit.go), each in its own savepoint; the transaction first
// increments the generation, whose row lock makes it the only writer
// until it ends. fn must not call Update on the same DB, which would wait
// for itself. Key updates are pipelined (pipeline.go).
func (db *DB) Update(ctx context.Context, fn func(store.Writer) error) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	req := &commitRequest{ctx: ctx, fn: pipelined(ctx, fn), done: make(chan error, 1)}
	if err := db.enqueue(ctx, req); err != nil {
		return err
	}
	// Once queued, the answer is awaited whatever the context: the caller
	// must know whether its write was committed.
	err := <-req.done
	if req.panicked != nil {
		panic(req.panicked)
	}
	// A batch whose context ended fails with what pgx says of it: the
	// caller learns why.
	if err != nil && ctx.Err() != nil && !errors.Is(err, context.Cause(ctx)) {
		return fmt.Errorf("%w (the write failed: %v)", context.Cause(ctx), err)
	}
	return storageError(err)
}

// scanner is a pgx.Row or pgx.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// queryOne runs query, which selects at most one row, and reads that row
// with scan. No row is store.ErrNotFound; errors are wrapped with op.
func queryOne[T any](ctx context.Context, tx pgx.Tx, op string, scan func(scanner) (T, error), query string, args ...any) (T, error) {
	v, err := scan(tx.QueryRow(ctx, query, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		var zero T
		return zero, fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	if err != nil {
		var zero T
		return zero, fmt.Errorf("%s: %w", op, err)
	}
	return v, nil
}

// queryAll runs query and reads every row of its result with scan; the
// result is never nil. Errors are wrapped with op.
func queryAll[T any](ctx context.Context, tx pgx.Tx, op string, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return out, nil
}

// scanID reads a row of one column, an id.
func scanID(s scanner) (string, error) {
	var id string
	err := s.Scan(&id)
	return id, err
}

// absent reports whether query, a SELECT 1 of at most one row, finds
// nothing.
func (w *writer) absent(ctx context.Context, query string, args ...any) (bool, error) {
	var one int
	err := w.tx.QueryRow(ctx, query, args...).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return true, nil
	}
	return false, err
}

// deleteOne runs a DELETE and returns store.ErrNotFound when it removed
// nothing.
func (w *writer) deleteOne(ctx context.Context, query string, args ...any) error {
	tag, err := w.tx.Exec(ctx, query, args...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}

var _ store.Copier = (*writer)(nil)
