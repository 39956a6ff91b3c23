package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

var (
	_ store.Reader = (*reader)(nil)
	_ store.Writer = (*writer)(nil)
)

// querier is what reader needs of a *sql.Tx.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// reader is the store.Reader of one transaction, valid until fn returns.
type reader struct {
	q querier
}

// writer is the store.Writer of one read-write transaction.
type writer struct {
	reader
	tx *sql.Tx
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// jsonArg is the column value of a JSON field: NULL when empty, else its
// exact bytes as TEXT (a STRICT TEXT column refuses a BLOB).
func jsonArg(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	return string(raw)
}

// jsonValue is the JSON field of a column value: nil for NULL.
func jsonValue(s sql.NullString) json.RawMessage {
	if !s.Valid {
		return nil
	}
	return json.RawMessage(s.String)
}

// stringPtr is the *string field of a nullable column.
func stringPtr(s sql.NullString) *string {
	if !s.Valid {
		return nil
	}
	v := s.String
	return &v
}

// int64Ptr is the *int64 field of a nullable column.
func int64Ptr(n sql.NullInt64) *int64 {
	if !n.Valid {
		return nil
	}
	v := n.Int64
	return &v
}

// jsonStrings encodes ss as a JSON array, bound as one parameter and
// expanded in SQL by json_each.
func jsonStrings(ss []string) (string, error) {
	if ss == nil {
		ss = []string{}
	}
	b, err := json.Marshal(ss)
	return string(b), err
}

// absent reports whether query, a SELECT 1 of one row, finds nothing.
func (w *writer) absent(ctx context.Context, query string, args ...any) (bool, error) {
	var one int
	err := w.tx.QueryRowContext(ctx, query, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return true, nil
	}
	return false, err
}

// deleteOne runs a DELETE and returns store.ErrNotFound when it removed
// nothing.
func (w *writer) deleteOne(ctx context.Context, query string, args ...any) error {
	res, err := w.tx.ExecContext(ctx, query, args...)
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
