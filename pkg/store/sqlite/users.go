package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// This file holds the native realm: users and roles.

// GetUser returns the user, or store.ErrNotFound.
func (r *reader) GetUser(ctx context.Context, username string) (*store.User, error) {
	return queryOne(ctx, r.q, fmt.Sprintf("get user %q", username), scanUser, getUserSQL, username)
}

// ListUsers returns all users ordered by name.
func (r *reader) ListUsers(ctx context.Context) ([]*store.User, error) {
	return queryAll(ctx, r.q, "list users", scanUser, "SELECT "+userColumns+" FROM users ORDER BY username")
}

const (
	userColumns = "username, password_hash, roles, full_name, email, metadata, enabled, reserved"
	getUserSQL  = "SELECT " + userColumns + " FROM users WHERE username = ?"
	getRoleSQL  = "SELECT name, descriptor FROM roles WHERE name = ?"
)

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
	return queryOne(ctx, r.q, fmt.Sprintf("get role %q", name), scanRole, getRoleSQL, name)
}

// ListRoles returns all roles ordered by name.
func (r *reader) ListRoles(ctx context.Context) ([]*store.Role, error) {
	return queryAll(ctx, r.q, "list roles", scanRole, "SELECT name, descriptor FROM roles ORDER BY name")
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
	_, err = w.q.ExecContext(ctx, `
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
	_, err = w.q.ExecContext(ctx, `
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
