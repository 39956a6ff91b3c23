package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// lazyTx is a View's transaction, begun with its first statement in one
// round trip (pgx.Batch.BeginTx) instead of one of its own: a View is
// often one or two statements. A View with no statement begins nothing.
// The snapshot is the same: PostgreSQL takes a REPEATABLE READ
// transaction's snapshot at its first statement after BEGIN.
type lazyTx struct {
	pgx.Tx // nil until begun
	pool   *pgxpool.Pool
	name   string // the database's, for errors
	opts   pgx.TxOptions
	// err is why the transaction could not begin.
	err error
}

// errNotBegun fails the statements of a lazyTx whose begin failed.
var errNotBegun = errors.New("the transaction did not begin")

// begin sends b, with the begin of the transaction queued first, and
// keeps the transaction.
func (t *lazyTx) begin(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	nb := &pgx.Batch{}
	nb.BeginTx(t.opts)
	nb.QueuedQueries = append(nb.QueuedQueries, b.QueuedQueries...)
	br := t.pool.SendBatch(ctx, nb)
	if t.Tx = br.Tx(); t.Tx == nil {
		t.err = fmt.Errorf("database %s: begin: %w", t.name, errNotBegun)
	}
	// The begin's result, which has no callback, is read first.
	if _, err := br.Exec(); err != nil {
		t.err = fmt.Errorf("database %s: begin: %w", t.name, err)
		br.Close()
		return errBatch{err}
	}
	return br
}

// one begins the transaction with the statement sql and returns the
// results of both.
func (t *lazyTx) one(ctx context.Context, sql string, args []any) pgx.BatchResults {
	b := &pgx.Batch{}
	b.Queue(sql, args...)
	return t.begin(ctx, b)
}

func (t *lazyTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if t.Tx != nil || t.err != nil {
		return t.started().Exec(ctx, sql, args...)
	}
	br := t.one(ctx, sql, args)
	tag, err := br.Exec()
	return tag, errors.Join(err, br.Close())
}

func (t *lazyTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if t.Tx != nil || t.err != nil {
		return t.started().Query(ctx, sql, args...)
	}
	br := t.one(ctx, sql, args)
	rows, err := br.Query()
	if err != nil {
		br.Close()
		return nil, err
	}
	return &batchRows{Rows: rows, br: br}, nil
}

func (t *lazyTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if t.Tx != nil || t.err != nil {
		return t.started().QueryRow(ctx, sql, args...)
	}
	br := t.one(ctx, sql, args)
	return batchRow{row: br.QueryRow(), br: br}
}

func (t *lazyTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if t.Tx != nil || t.err != nil {
		return t.started().SendBatch(ctx, b)
	}
	return t.begin(ctx, b)
}

// Commit commits the transaction, if it began.
func (t *lazyTx) Commit(ctx context.Context) error {
	if t.Tx == nil {
		return t.err
	}
	return t.Tx.Commit(ctx)
}

// Rollback rolls the transaction back, if it began.
func (t *lazyTx) Rollback(ctx context.Context) error {
	if t.Tx == nil {
		return nil
	}
	return t.Tx.Rollback(ctx)
}

// started is the transaction begun, or one that fails with why it did
// not begin.
func (t *lazyTx) started() pgx.Tx {
	if t.err != nil {
		return failedTx{err: t.err}
	}
	return t.Tx
}

// failedTx is a pgx.Tx whose statements fail with err.
type failedTx struct {
	pgx.Tx
	err error
}

func (f failedTx) Exec(context.Context, string, ...any) (pgconn.CommandTag, error) {
	return pgconn.CommandTag{}, f.err
}
func (f failedTx) Query(context.Context, string, ...any) (pgx.Rows, error) { return nil, f.err }
func (f failedTx) QueryRow(context.Context, string, ...any) pgx.Row        { return errRow{f.err} }
func (f failedTx) SendBatch(context.Context, *pgx.Batch) pgx.BatchResults  { return errBatch{f.err} }

// batchRows are the rows of the first statement of a lazyTx, whose batch
// is closed with them.
type batchRows struct {
	pgx.Rows
	br  pgx.BatchResults
	err error
}

func (r *batchRows) Close() {
	if r.br == nil {
		return
	}
	r.Rows.Close()
	r.err = r.br.Close()
	r.br = nil
}

func (r *batchRows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	r.Close()
	return false
}

func (r *batchRows) Err() error {
	if err := r.Rows.Err(); err != nil {
		return err
	}
	return r.err
}

// batchRow is the row of the first statement of a lazyTx, whose batch is
// closed once it is read.
type batchRow struct {
	row pgx.Row
	br  pgx.BatchResults
}

func (r batchRow) Scan(dest ...any) error {
	err := r.row.Scan(dest...)
	if cerr := r.br.Close(); err == nil {
		err = cerr
	}
	return err
}
