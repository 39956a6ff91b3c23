package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// This file keeps the users of the native realm and the roles.

const (
	userColumns = "username, password_hash, roles::text, full_name, email, metadata::text, enabled, reserved"
	getUserSQL  = "SELECT " + userColumns + " FROM users WHERE username = $1"
	getRoleSQL  = "SELECT name, descriptor::text FROM roles WHERE name = $1"
)

// GetUser returns the user, or store.ErrNotFound.
func (r *reader) GetUser(ctx context.Context, username string) (*store.User, error) {
	return queryOne(ctx, r.tx, fmt.Sprintf("get user %q", username), scanUser, getUserSQL, username)
}

// ListUsers returns all users ordered by name.
func (r *reader) ListUsers(ctx context.Context) ([]*store.User, error) {
	return queryAll(ctx, r.tx, "list users", scanUser, "SELECT "+userColumns+" FROM users ORDER BY username")
}

func scanUser(s scanner) (*store.User, error) {
	var (
		u        store.User
		roles    string
		metadata *string
	)
	if err := s.Scan(&u.Username, &u.PasswordHash, &roles, &u.FullName, &u.Email, &metadata, &u.Enabled, &u.Reserved); err != nil {
		return nil, err
	}
	u.Roles = []string{}
	if err := json.Unmarshal([]byte(roles), &u.Roles); err != nil {
		return nil, fmt.Errorf("user %q: decode roles: %w", u.Username, err)
	}
	u.Metadata = jsonValue(metadata)
	return &u, nil
}

// GetRole returns the role, or store.ErrNotFound.
func (r *reader) GetRole(ctx context.Context, name string) (*store.Role, error) {
	return queryOne(ctx, r.tx, fmt.Sprintf("get role %q", name), scanRole, getRoleSQL, name)
}

// ListRoles returns all roles ordered by name.
func (r *reader) ListRoles(ctx context.Context) ([]*store.Role, error) {
	return queryAll(ctx, r.tx, "list roles", scanRole, "SELECT name, descriptor::text FROM roles ORDER BY name")
}

func scanRole(s scanner) (*store.Role, error) {
	var (
		r          store.Role
		descriptor *string
	)
	if err := s.Scan(&r.Name, &descriptor); err != nil {
		return nil, err
	}
	r.Descriptor = jsonValue(descriptor)
	return &r, nil
}

// PutUser creates or replaces a user and reports whether it was created.
func (w *writer) PutUser(ctx context.Context, u *store.User) (bool, error) {
	roles := u.Roles
	if roles == nil {
		roles = []string{}
	}
	rolesJSON, err := json.Marshal(roles)
	if err != nil {
		return false, fmt.Errorf("put user %q: encode roles: %w", u.Username, err)
	}
	// xmax is 0 in a row the statement inserted.
	var created bool
	err = w.tx.QueryRow(ctx, `
		INSERT INTO users (username, password_hash, roles, full_name, email, metadata, enabled, reserved)
		VALUES ($1, $2, $3::text::json, $4, $5, $6::text::json, $7, $8)
		ON CONFLICT (username) DO UPDATE SET
			password_hash = excluded.password_hash,
			roles = excluded.roles,
			full_name = excluded.full_name,
			email = excluded.email,
			metadata = excluded.metadata,
			enabled = excluded.enabled,
			reserved = excluded.reserved
		RETURNING xmax = 0`,
		u.Username, u.PasswordHash, string(rolesJSON), u.FullName, u.Email, jsonArg(u.Metadata), u.Enabled, u.Reserved).Scan(&created)
	if err != nil {
		return false, fmt.Errorf("put user %q: %w", u.Username, err)
	}
	return created, nil
}

// DeleteUser removes a user, or returns store.ErrNotFound.
func (w *writer) DeleteUser(ctx context.Context, username string) error {
	if err := w.deleteOne(ctx, "DELETE FROM users WHERE username = $1", username); err != nil {
		return fmt.Errorf("delete user %q: %w", username, err)
	}
	return nil
}

// PutRole creates or replaces a role and reports whether it was created.
func (w *writer) PutRole(ctx context.Context, r *store.Role) (bool, error) {
	var created bool
	err := w.tx.QueryRow(ctx, `
		INSERT INTO roles (name, descriptor) VALUES ($1, $2::text::json)
		ON CONFLICT (name) DO UPDATE SET descriptor = excluded.descriptor
		RETURNING xmax = 0`,
		r.Name, jsonArg(r.Descriptor)).Scan(&created)
	if err != nil {
		return false, fmt.Errorf("put role %q: %w", r.Name, err)
	}
	return created, nil
}

// DeleteRole removes a role, or returns store.ErrNotFound.
func (w *writer) DeleteRole(ctx context.Context, name string) error {
	if err := w.deleteOne(ctx, "DELETE FROM roles WHERE name = $1", name); err != nil {
		return fmt.Errorf("delete role %q: %w", name, err)
	}
	return nil
}
