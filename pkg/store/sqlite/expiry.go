package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// This file holds expiry policies and the record of expiry notices.

// ExpiringAPIKeys returns one page of the keys f selects, by the partial
// index api_keys_expiring.
func (r *reader) ExpiringAPIKeys(ctx context.Context, f store.ExpiringFilter) ([]*store.APIKey, error) {
	if f.Limit <= 0 {
		return []*store.APIKey{}, nil
	}
	query, args := expiringQuery(f)
	return queryAll(ctx, r.q, "find expiring api keys", scanKey, query, args...)
}

// expiringQuery is the SELECT of one page of f, in the order of the
// index it reads. The index is named: without statistics the planner
// would rather read every key not invalidated by api_keys_invalidated.
func expiringQuery(f store.ExpiringFilter) (string, []any) {
	query := "SELECT " + keyColumns + ` FROM api_keys INDEXED BY api_keys_expiring
		WHERE invalidated = 0 AND expiration IS NOT NULL AND expiration > ? AND expiration <= ?`
	args := []any{f.From, f.Until}
	if f.AfterID != "" {
		query += " AND (expiration, id) > (?, ?)"
		args = append(args, f.AfterExpiration, f.AfterID)
	}
	query += " ORDER BY expiration, id LIMIT ?"
	return query, append(args, f.Limit)
}

const noticeColumns = "key_id, lead, expiration, delivered, attempts, next_attempt, last_error"

func scanNotice(s scanner) (*store.ExpiryNotice, error) {
	var (
		n         store.ExpiryNotice
		delivered sql.NullInt64
	)
	if err := s.Scan(&n.KeyID, &n.Lead, &n.Expiration, &delivered, &n.Attempts, &n.NextAttempt, &n.LastError); err != nil {
		return nil, err
	}
	n.Delivered = int64Ptr(delivered)
	return &n, nil
}

// GetExpiryNotices returns the notices of the keys ids, ordered by key id
// then lead.
func (r *reader) GetExpiryNotices(ctx context.Context, ids []string) ([]*store.ExpiryNotice, error) {
	if len(ids) == 0 {
		return []*store.ExpiryNotice{}, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	query := "SELECT " + noticeColumns + " FROM expiry_notices WHERE key_id IN (?" +
		strings.Repeat(", ?", len(ids)-1) + ") ORDER BY key_id, lead"
	return queryAll(ctx, r.q, "get expiry notices", scanNotice, query, args...)
}

// PutExpiryNotice creates or replaces the notice of (n.KeyID, n.Lead).
func (w *writer) PutExpiryNotice(ctx context.Context, n *store.ExpiryNotice) error {
	_, err := w.q.ExecContext(ctx, `
		INSERT INTO expiry_notices (`+noticeColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (key_id, lead) DO UPDATE SET
			expiration = excluded.expiration,
			delivered = excluded.delivered,
			attempts = excluded.attempts,
			next_attempt = excluded.next_attempt,
			last_error = excluded.last_error`,
		n.KeyID, n.Lead, n.Expiration, n.Delivered, n.Attempts, n.NextAttempt, n.LastError)
	if err != nil {
		return fmt.Errorf("put expiry notice of %q: %w", n.KeyID, err)
	}
	return nil
}

const policyColumns = "name, scope, subject, default_value, max_value"

func scanPolicy(s scanner) (*api.ExpiryPolicy, error) {
	var (
		p             api.ExpiryPolicy
		scope, value  string
		def, maxValue sql.NullString
	)
	if err := s.Scan(&p.Name, &scope, &value, &def, &maxValue); err != nil {
		return nil, err
	}
	switch scope {
	case api.ScopeRealm:
		p.Realm = value
	case api.ScopeUser:
		p.User = value
	case api.ScopeRole:
		p.Role = value
	default:
		return nil, fmt.Errorf("expiry policy %q: unknown scope %q", p.Name, scope)
	}
	p.Default, p.Max = def.String, maxValue.String
	return &p, nil
}

// GetExpiryPolicy returns the expiry policy name, or store.ErrNotFound.
func (r *reader) GetExpiryPolicy(ctx context.Context, name string) (*api.ExpiryPolicy, error) {
	return queryOne(ctx, r.q, fmt.Sprintf("get expiry policy %q", name), scanPolicy,
		"SELECT "+policyColumns+" FROM expiry_policies WHERE name = ?", name)
}

// ListExpiryPolicies returns every expiry policy ordered by name.
func (r *reader) ListExpiryPolicies(ctx context.Context) ([]*api.ExpiryPolicy, error) {
	return queryAll(ctx, r.q, "list expiry policies", scanPolicy, listPoliciesSQL)
}

// listPoliciesSQL reads every policy: it runs in every write of a new
// key, so it is prepared once per connection (statements.go).
const listPoliciesSQL = "SELECT " + policyColumns + " FROM expiry_policies ORDER BY name"

// nullIfEmpty is s, or SQL NULL for "".
func nullIfEmpty(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// PutExpiryPolicy creates or replaces an expiry policy and reports whether
// it was created.
func (w *writer) PutExpiryPolicy(ctx context.Context, p *api.ExpiryPolicy) (bool, error) {
	scope, value := p.Scope()
	created, err := w.absent(ctx, "SELECT 1 FROM expiry_policies WHERE name = ?", p.Name)
	if err != nil {
		return false, fmt.Errorf("put expiry policy %q: %w", p.Name, err)
	}
	_, err = w.q.ExecContext(ctx, `
		INSERT INTO expiry_policies (`+policyColumns+`) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET
			scope = excluded.scope,
			subject = excluded.subject,
			default_value = excluded.default_value,
			max_value = excluded.max_value`,
		p.Name, scope, value, nullIfEmpty(p.Default), nullIfEmpty(p.Max))
	if err != nil {
		return false, fmt.Errorf("put expiry policy %q: %w", p.Name, err)
	}
	return created, nil
}

// DeleteExpiryPolicy removes an expiry policy, or returns store.ErrNotFound.
func (w *writer) DeleteExpiryPolicy(ctx context.Context, name string) error {
	if err := w.deleteOne(ctx, "DELETE FROM expiry_policies WHERE name = ?", name); err != nil {
		return fmt.Errorf("delete expiry policy %q: %w", name, err)
	}
	return nil
}
