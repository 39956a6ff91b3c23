package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// queryOne runs query, which selects at most one row, and reads that row
// with scan. No row is store.ErrNotFound; errors are wrapped with op, the
// operation's name.
func queryOne[T any](ctx context.Context, q *querier, op string, scan func(scanner) (T, error), query string, args ...any) (T, error) {
	v, err := scan(q.QueryRowContext(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		var zero T
		return zero, fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	if err != nil {
		var zero T
		return zero, fmt.Errorf("%s: %w", op, err)
	}
	return v, nil
}

// queryAll runs query and reads every row of its result with scan. Errors
// are wrapped with op, the operation's name.
func queryAll[T any](ctx context.Context, q *querier, op string, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return scanAll(rows, op, scan)
}

// scanAll reads every row of rows with scan, then closes rows. The result
// is never nil.
func scanAll[T any](rows *sql.Rows, op string, scan func(scanner) (T, error)) ([]T, error) {
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
