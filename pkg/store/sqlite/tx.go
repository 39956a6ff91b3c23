package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

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

// GetUser returns the user, or store.ErrNotFound.
func (r *reader) GetUser(ctx context.Context, username string) (*store.User, error) {
	u, err := scanUser(r.q.QueryRowContext(ctx, "SELECT "+userColumns+" FROM users WHERE username = ?", username))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("get user %q: %w", username, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get user %q: %w", username, err)
	}
	return u, nil
}

// ListUsers returns all users ordered by name.
func (r *reader) ListUsers(ctx context.Context) ([]*store.User, error) {
	rows, err := r.q.QueryContext(ctx, "SELECT "+userColumns+" FROM users ORDER BY username")
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	users := []*store.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		users = append(users, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return users, nil
}

const userColumns = "username, password_hash, roles, full_name, email, metadata, enabled, reserved"

func scanUser(s scanner) (*store.User, error) {
	var (
		u               store.User
		roles           string
		fullName, email sql.NullString
		metadata        sql.NullString
	)
	if err := s.Scan(&u.Username, &u.PasswordHash, &roles, &fullName, &email, &metadata, &u.Enabled, &u.Reserved); err != nil {
		return nil, err
	}
	u.Roles = []string{}
	if err := json.Unmarshal([]byte(roles), &u.Roles); err != nil {
		return nil, fmt.Errorf("user %q: decode roles: %w", u.Username, err)
	}
	u.FullName = stringPtr(fullName)
	u.Email = stringPtr(email)
	u.Metadata = jsonValue(metadata)
	return &u, nil
}

// GetRole returns the role, or store.ErrNotFound.
func (r *reader) GetRole(ctx context.Context, name string) (*store.Role, error) {
	role, err := scanRole(r.q.QueryRowContext(ctx, "SELECT name, descriptor FROM roles WHERE name = ?", name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("get role %q: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get role %q: %w", name, err)
	}
	return role, nil
}

// ListRoles returns all roles ordered by name.
func (r *reader) ListRoles(ctx context.Context) ([]*store.Role, error) {
	rows, err := r.q.QueryContext(ctx, "SELECT name, descriptor FROM roles ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("list roles: %w", err)
	}
	defer rows.Close()
	roles := []*store.Role{}
	for rows.Next() {
		role, err := scanRole(rows)
		if err != nil {
			return nil, fmt.Errorf("list roles: %w", err)
		}
		roles = append(roles, role)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list roles: %w", err)
	}
	return roles, nil
}

func scanRole(s scanner) (*store.Role, error) {
	var (
		r          store.Role
		descriptor sql.NullString
	)
	if err := s.Scan(&r.Name, &descriptor); err != nil {
		return nil, err
	}
	r.Descriptor = jsonValue(descriptor)
	return &r, nil
}

// PutUser creates or replaces a user and reports whether it was created.
func (w *writer) PutUser(ctx context.Context, u *store.User) (bool, error) {
	roles, err := jsonStrings(u.Roles)
	if err != nil {
		return false, fmt.Errorf("put user %q: encode roles: %w", u.Username, err)
	}
	created, err := w.absent(ctx, "SELECT 1 FROM users WHERE username = ?", u.Username)
	if err != nil {
		return false, fmt.Errorf("put user %q: %w", u.Username, err)
	}
	_, err = w.tx.ExecContext(ctx, `
		INSERT INTO users (username, password_hash, roles, full_name, email, metadata, enabled, reserved)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (username) DO UPDATE SET
			password_hash = excluded.password_hash,
			roles = excluded.roles,
			full_name = excluded.full_name,
			email = excluded.email,
			metadata = excluded.metadata,
			enabled = excluded.enabled,
			reserved = excluded.reserved`,
		u.Username, u.PasswordHash, roles, u.FullName, u.Email, jsonArg(u.Metadata), u.Enabled, u.Reserved)
	if err != nil {
		return false, fmt.Errorf("put user %q: %w", u.Username, err)
	}
	return created, nil
}

// DeleteUser removes a user, or returns store.ErrNotFound.
func (w *writer) DeleteUser(ctx context.Context, username string) error {
	if err := w.deleteOne(ctx, "DELETE FROM users WHERE username = ?", username); err != nil {
		return fmt.Errorf("delete user %q: %w", username, err)
	}
	return nil
}

// PutRole creates or replaces a role and reports whether it was created.
func (w *writer) PutRole(ctx context.Context, r *store.Role) (bool, error) {
	created, err := w.absent(ctx, "SELECT 1 FROM roles WHERE name = ?", r.Name)
	if err != nil {
		return false, fmt.Errorf("put role %q: %w", r.Name, err)
	}
	_, err = w.tx.ExecContext(ctx, `
		INSERT INTO roles (name, descriptor) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET descriptor = excluded.descriptor`,
		r.Name, jsonArg(r.Descriptor))
	if err != nil {
		return false, fmt.Errorf("put role %q: %w", r.Name, err)
	}
	return created, nil
}

// DeleteRole removes a role, or returns store.ErrNotFound.
func (w *writer) DeleteRole(ctx context.Context, name string) error {
	if err := w.deleteOne(ctx, "DELETE FROM roles WHERE name = ?", name); err != nil {
		return fmt.Errorf("delete role %q: %w", name, err)
	}
	return nil
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
