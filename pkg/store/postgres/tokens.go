package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// This file keeps the OAuth2 tokens.

// tokenColumns are the columns of tokens, tokenSelect them as scanToken
// reads them, the JSON ones as their exact text.
const (
	tokenColumns = `id, access_hash, refresh_hash, creation, expiration,
	invalidated, refresh_invalidated, refreshed, refresh_time, superseding,
	principal, realm, subject, client, version`
	tokenSelect = `id, access_hash, refresh_hash, creation, expiration,
	invalidated, refresh_invalidated, refreshed, refresh_time, superseding,
	principal, realm, subject::text, client::text, version`
)

func scanToken(s scanner) (*store.Token, error) {
	var (
		t                        store.Token
		refreshHash, superseding *string
		subject, client          *string
	)
	err := s.Scan(&t.ID, &t.AccessHash, &refreshHash, &t.Creation, &t.Expiration,
		&t.Invalidated, &t.RefreshInvalidated, &t.Refreshed, &t.RefreshTime, &superseding,
		&t.Principal, &t.Realm, &subject, &client, &t.Version)
	if err != nil {
		return nil, err
	}
	if refreshHash != nil {
		t.RefreshHash = *refreshHash
	}
	if superseding != nil {
		t.Superseding = *superseding
	}
	t.Subject = jsonValue(subject)
	t.Client = jsonValue(client)
	return &t, nil
}

// GetTokenByAccessHash returns the token whose access token has the hash.
func (r *reader) GetTokenByAccessHash(ctx context.Context, hash string) (*store.Token, error) {
	return r.getToken(ctx, "access_hash", hash)
}

// GetTokenByRefreshHash returns the token whose refresh token has the hash.
func (r *reader) GetTokenByRefreshHash(ctx context.Context, hash string) (*store.Token, error) {
	return r.getToken(ctx, "refresh_hash", hash)
}

func (r *reader) getToken(ctx context.Context, column, value string) (*store.Token, error) {
	if value == "" {
		return nil, fmt.Errorf("get token: empty %s: %w", column, store.ErrNotFound)
	}
	return queryOne(ctx, r.tx, "get token by "+column, scanToken,
		"SELECT "+tokenSelect+" FROM tokens WHERE "+column+" = $1", value)
}

// FindTokens returns the tokens matching f, ordered by creation then id.
func (r *reader) FindTokens(ctx context.Context, f store.TokenFilter) ([]*store.Token, error) {
	var (
		where []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.Realm != "" {
		where = append(where, "realm = "+arg(f.Realm))
	}
	if f.Principal != "" {
		where = append(where, "principal = "+arg(f.Principal))
	}
	if f.ActiveAt != 0 {
		where = append(where, `((NOT invalidated AND expiration >= `+arg(f.ActiveAt)+`)
			OR (refresh_hash IS NOT NULL AND NOT refresh_invalidated AND creation >= `+arg(f.RefreshSince)+`))`)
	}
	var b strings.Builder
	b.WriteString("SELECT " + tokenSelect + " FROM tokens")
	if len(where) > 0 {
		b.WriteString(" WHERE " + strings.Join(where, " AND "))
	}
	b.WriteString(" ORDER BY creation, id")
	return queryAll(ctx, r.tx, "find tokens", scanToken, b.String(), args...)
}

// InsertToken stores a new token with Version 1; a duplicate id or hash
// is store.ErrConflict.
func (w *writer) InsertToken(ctx context.Context, t *store.Token) error {
	return w.insertToken(ctx, t, 1)
}

// ImportToken stores t as InsertToken does but keeps its Version.
func (w *writer) ImportToken(ctx context.Context, t *store.Token) error {
	if t.Version < 1 {
		return fmt.Errorf("import token %q: version %d is not positive", t.ID, t.Version)
	}
	return w.insertToken(ctx, t, t.Version)
}

// insertToken stores a new token with version and sets t.Version to it.
func (w *writer) insertToken(ctx context.Context, t *store.Token, version int64) error {
	tag, err := w.tx.Exec(ctx, `
		INSERT INTO tokens (`+tokenColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::text::json, $14::text::json, $15)
		ON CONFLICT DO NOTHING`,
		t.ID, t.AccessHash, nullString(t.RefreshHash), t.Creation, t.Expiration,
		t.Invalidated, t.RefreshInvalidated, t.Refreshed, t.RefreshTime, nullString(t.Superseding),
		t.Principal, t.Realm, jsonArg(t.Subject), jsonArg(t.Client), version)
	if err != nil {
		return fmt.Errorf("insert token %q: %w", t.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("insert token %q: duplicate id or hash: %w", t.ID, store.ErrConflict)
	}
	t.Version = version
	return nil
}

// UpdateToken replaces the mutable fields of t when the stored version
// equals t.Version, and sets t.Version to the new version.
func (w *writer) UpdateToken(ctx context.Context, t *store.Token) error {
	var next int64
	err := w.tx.QueryRow(ctx, `
		UPDATE tokens SET
			invalidated = $1, refresh_invalidated = $2, refreshed = $3, refresh_time = $4, superseding = $5,
			version = version + 1
		WHERE id = $6 AND version = $7
		RETURNING version`,
		t.Invalidated, t.RefreshInvalidated, t.Refreshed, t.RefreshTime, nullString(t.Superseding),
		t.ID, t.Version).Scan(&next)
	if errors.Is(err, pgx.ErrNoRows) {
		absent, err := w.absent(ctx, "SELECT 1 FROM tokens WHERE id = $1", t.ID)
		switch {
		case err != nil:
			return fmt.Errorf("update token %q: %w", t.ID, err)
		case absent:
			return fmt.Errorf("update token %q: %w", t.ID, store.ErrNotFound)
		}
		return fmt.Errorf("update token %q: version %d is stale: %w", t.ID, t.Version, store.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("update token %q: %w", t.ID, err)
	}
	t.Version = next
	return nil
}

// DeleteTokensCreatedBefore deletes up to limit tokens created before the
// instant before, oldest first, and returns how many it deleted.
func (w *writer) DeleteTokensCreatedBefore(ctx context.Context, before int64, limit int) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	tag, err := w.tx.Exec(ctx, `
		DELETE FROM tokens WHERE id IN (
			SELECT id FROM tokens WHERE creation < $1 ORDER BY creation, id LIMIT $2)`,
		before, limit)
	if err != nil {
		return 0, fmt.Errorf("delete old tokens: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
