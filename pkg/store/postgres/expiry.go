package postgres

import (
	"context"
	"fmt"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// This file keeps expiry policies and the record of expiry notifications.

// ExpiringAPIKeys returns one page of the keys f selects, read by the
// index api_keys_expiring.
func (r *reader) ExpiringAPIKeys(ctx context.Context, f store.ExpiringFilter) ([]*store.APIKey, error) {
	if f.Limit <= 0 {
		return []*store.APIKey{}, nil
	}
	query := "SELECT " + keyColumns + ` FROM api_keys
		WHERE invalidated = 0 AND expiration IS NOT NULL AND expiration > $1 AND expiration <= $2`
	args := []any{f.From, f.Until}
	if f.AfterID != "" {
		query += " AND (expiration, id) > ($4, $5)"
		args = append(args, f.Limit, f.AfterExpiration, f.AfterID)
	} else {
		args = append(args, f.Limit)
	}
	query += " ORDER BY expiration, id LIMIT $3"
	return queryAll(ctx, r.tx, "find expiring api keys", scanKey, query, args...)
}

const noticeColumns = "key_id, lead, expiration, delivered, attempts, next_attempt, last_error"

func scanNotice(s scanner) (*store.ExpiryNotice, error) {
	var n store.ExpiryNotice
	if err := s.Scan(&n.KeyID, &n.Lead, &n.Expiration, &n.Delivered, &n.Attempts, &n.NextAttempt, &n.LastError); err != nil {
		return nil, err
	}
	return &n, nil
}

// GetExpiryNotices returns the notices of the keys ids, ordered by key id
// then lead.
func (r *reader) GetExpiryNotices(ctx context.Context, ids []string) ([]*store.ExpiryNotice, error) {
	if len(ids) == 0 {
		return []*store.ExpiryNotice{}, nil
	}
	return queryAll(ctx, r.tx, "get expiry notices", scanNotice,
		"SELECT "+noticeColumns+" FROM expiry_notices WHERE key_id = ANY($1::text[]) ORDER BY key_id, lead", ids)
}

// PutExpiryNotice creates or replaces the notice of (n.KeyID, n.Lead).
func (w *writer) PutExpiryNotice(ctx context.Context, n *store.ExpiryNotice) error {
	_, err := w.tx.Exec(ctx, `
		INSERT INTO expiry_notices (`+noticeColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)
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
		def, maxValue *string
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
	if def != nil {
		p.Default = *def
	}
	if maxValue != nil {
		p.Max = *maxValue
	}
	return &p, nil
}

// GetExpiryPolicy returns the expiry policy name, or store.ErrNotFound.
func (r *reader) GetExpiryPolicy(ctx context.Context, name string) (*api.ExpiryPolicy, error) {
	return queryOne(ctx, r.tx, fmt.Sprintf("get expiry policy %q", name), scanPolicy,
		"SELECT "+policyColumns+" FROM expiry_policies WHERE name = $1", name)
}

// ListExpiryPolicies returns every expiry policy ordered by name.
func (r *reader) ListExpiryPolicies(ctx context.Context) ([]*api.ExpiryPolicy, error) {
	return queryAll(ctx, r.tx, "list expiry policies", scanPolicy,
		"SELECT "+policyColumns+" FROM expiry_policies ORDER BY name")
}

// PutExpiryPolicy creates or replaces an expiry policy and reports
// whether it was created.
func (w *writer) PutExpiryPolicy(ctx context.Context, p *api.ExpiryPolicy) (bool, error) {
	scope, value := p.Scope()
	var created bool
	err := w.tx.QueryRow(ctx, `
		INSERT INTO expiry_policies (`+policyColumns+`) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (name) DO UPDATE SET
			scope = excluded.scope,
			subject = excluded.subject,
			default_value = excluded.default_value,
			max_value = excluded.max_value
		RETURNING xmax = 0`,
		p.Name, scope, value, nullString(p.Default), nullString(p.Max)).Scan(&created)
	if err != nil {
		return false, fmt.Errorf("put expiry policy %q: %w", p.Name, err)
	}
	return created, nil
}

// DeleteExpiryPolicy removes an expiry policy, or returns store.ErrNotFound.
func (w *writer) DeleteExpiryPolicy(ctx context.Context, name string) error {
	if err := w.deleteOne(ctx, "DELETE FROM expiry_policies WHERE name = $1", name); err != nil {
		return fmt.Errorf("delete expiry policy %q: %w", name, err)
	}
	return nil
}
