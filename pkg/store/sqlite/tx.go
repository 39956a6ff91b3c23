package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

var (
	_ store.Reader = (*reader)(nil)
	_ store.Writer = (*writer)(nil)
)

// querier runs the statements of one transaction. In a View (rc set),
// every statement is the read connection's prepared one (readers.go). In
// a write transaction (tx set), those of the write connection's prepared
// set run on their prepared form, any other as given.
type querier struct {
	rc       *readConn
	tx       *sql.Tx
	prepared map[string]*sql.Stmt
	// bound are the prepared statements this transaction used, in their
	// form bound to it.
	bound map[string]*sql.Stmt
	// local holds statements built at run time and prepared for this
	// transaction alone (see queryRowLocal).
	local map[string]*sql.Stmt
}

// newQuerier returns the querier of tx over the pool's prepared statements.
func newQuerier(tx *sql.Tx, prepared map[string]*sql.Stmt) *querier {
	return &querier{tx: tx, prepared: prepared, bound: map[string]*sql.Stmt{}, local: map[string]*sql.Stmt{}}
}

// queryRowLocal runs a statement built at run time from a small set of
// shapes, prepared once per transaction: a bulk transaction runs each
// shape many times.
func (q *querier) queryRowLocal(ctx context.Context, query string, args ...any) *sql.Row {
	st, ok := q.local[query]
	if !ok {
		var err error
		if st, err = q.tx.PrepareContext(ctx, query); err != nil {
			// The error surfaces at Scan, as with QueryRowContext.
			return q.tx.QueryRowContext(ctx, query, args...)
		}
		q.local[query] = st
	}
	return st.QueryRowContext(ctx, args...)
}

// stmt is the transaction's form of query's prepared statement, or nil.
func (q *querier) stmt(ctx context.Context, query string) *sql.Stmt {
	if st, ok := q.bound[query]; ok {
		return st
	}
	if st := q.prepared[query]; st != nil {
		bound := q.tx.StmtContext(ctx, st)
		q.bound[query] = bound
		return bound
	}
	return nil
}

func (q *querier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if q.rc != nil {
		st, err := q.rc.stmt(ctx, query)
		if err != nil {
			return nil, err
		}
		return st.ExecContext(ctx, args...)
	}
	if st := q.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return q.tx.ExecContext(ctx, query, args...)
}

func (q *querier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if q.rc != nil {
		st, err := q.rc.stmt(ctx, query)
		if err != nil {
			return nil, err
		}
		return st.QueryContext(ctx, args...)
	}
	if st := q.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return q.tx.QueryContext(ctx, query, args...)
}

func (q *querier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if q.rc != nil {
		st, err := q.rc.stmt(ctx, query)
		if err != nil {
			// The error surfaces at Scan.
			return q.rc.conn.QueryRowContext(ctx, query, args...)
		}
		return st.QueryRowContext(ctx, args...)
	}
	if st := q.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return q.tx.QueryRowContext(ctx, query, args...)
}

// reader is the store.Reader of one transaction, valid until fn returns.
type reader struct {
	q *querier
	// read, in a writer, remembers the keys the running function read,
	// as it read them: UpdateAPIKey then knows which columns it changes
	// without reading the row again. Nil in a View.
	read map[string]store.APIKey
}

// remember notes keys as read, in a writer.
func (r *reader) remember(keys ...*store.APIKey) {
	if r.read == nil {
		return
	}
	for _, k := range keys {
		r.read[k.ID] = *k
	}
}

// writer is the store.Writer of one read-write transaction.
type writer struct {
	reader
	// paths and snapshots intern metadata paths and limited-by
	// snapshots (intern.go).
	paths, snapshots *interning
}

// exec runs a statement of the transaction.
func (w *writer) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return w.q.ExecContext(ctx, query, args...)
}

// absent reports whether query, a SELECT 1 of one row, finds nothing.
func (w *writer) absent(ctx context.Context, query string, args ...any) (bool, error) {
	var one int
	err := w.q.QueryRowContext(ctx, query, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return true, nil
	}
	return false, err
}

// deleteOne runs a DELETE and returns store.ErrNotFound when it removed
// nothing.
func (w *writer) deleteOne(ctx context.Context, query string, args ...any) error {
	res, err := w.q.ExecContext(ctx, query, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// insertNew runs an INSERT ... ON CONFLICT DO NOTHING of the record id.
// A row it did not insert is store.ErrConflict (dup says why).
func (w *writer) insertNew(ctx context.Context, what, id, dup, query string, args ...any) error {
	res, err := w.q.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("insert %s %q: %w", what, id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("insert %s %q: %w", what, id, err)
	}
	if n == 0 {
		return fmt.Errorf("insert %s %q: %s: %w", what, id, dup, store.ErrConflict)
	}
	return nil
}

// updateVersioned runs an UPDATE ... WHERE id = ? AND version = ?
// RETURNING version on table, *version being the version the caller read,
// and sets *version to the new version. No row means the record is gone
// (store.ErrNotFound) or its version moved (store.ErrConflict).
func (w *writer) updateVersioned(ctx context.Context, what, table, id string, version *int64, query string, args ...any) error {
	var next int64
	err := w.q.QueryRowContext(ctx, query, args...).Scan(&next)
	if errors.Is(err, sql.ErrNoRows) {
		absent, err := w.absent(ctx, "SELECT 1 FROM "+table+" WHERE id = ?", id)
		switch {
		case err != nil:
			return fmt.Errorf("update %s %q: %w", what, id, err)
		case absent:
			return fmt.Errorf("update %s %q: %w", what, id, store.ErrNotFound)
		default:
			return fmt.Errorf("update %s %q: version %d is stale: %w", what, id, *version, store.ErrConflict)
		}
	}
	if err != nil {
		return fmt.Errorf("update %s %q: %w", what, id, err)
	}
	*version = next
	return nil
}

var _ store.Copier = (*writer)(nil)
