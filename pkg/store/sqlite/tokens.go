package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// tokenColumns are the columns of tokens in the order scanToken reads them.
const tokenColumns = `id, access_hash, refresh_hash, creation, expiration,
	invalidated, refresh_invalidated, refreshed, refresh_time, superseding,
	principal, realm, subject, client, version`

func scanToken(s scanner) (*store.Token, error) {
	var (
		t                        store.Token
		refreshHash, superseding sql.NullString
		subject, client          sql.NullString
		refreshTime              sql.NullInt64
	)
	err := s.Scan(&t.ID, &t.AccessHash, &refreshHash, &t.Creation, &t.Expiration,
		&t.Invalidated, &t.RefreshInvalidated, &t.Refreshed, &refreshTime, &superseding,
		&t.Principal, &t.Realm, &subject, &client, &t.Version)
	if err != nil {
		return nil, err
	}
	t.RefreshHash = refreshHash.String
	t.RefreshTime = int64Ptr(refreshTime)
	t.Superseding = superseding.String
	t.Subject = jsonValue(subject)
	t.Client = jsonValue(client)
	return &t, nil
}

// nullString is the column value of an optional text field: NULL when empty.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// GetTokenByAccessHash returns the token whose access token has hash, or
// store.ErrNotFound.
func (r *reader) GetTokenByAccessHash(ctx context.Context, hash string) (*store.Token, error) {
	return r.getToken(ctx, "access_hash", hash)
}

// GetTokenByRefreshHash returns the token whose refresh token has hash,
// or store.ErrNotFound.
func (r *reader) GetTokenByRefreshHash(ctx context.Context, hash string) (*store.Token, error) {
	return r.getToken(ctx, "refresh_hash", hash)
}

// getToken reads the token whose column (one of our own names) equals
// value.
func (r *reader) getToken(ctx context.Context, column, value string) (*store.Token, error) {
	if value == "" {
		return nil, fmt.Errorf("get token: empty %s: %w", column, store.ErrNotFound)
	}
	return queryOne(ctx, r.q, "get token by "+column, scanToken, "SELECT "+tokenColumns+" FROM tokens WHERE "+column+" = ?", value)
}

// FindTokens returns the tokens matching f, ordered by creation then id.
func (r *reader) FindTokens(ctx context.Context, f store.TokenFilter) ([]*store.Token, error) {
	var (
		where []string
		args  []any
	)
	if f.Realm != "" {
		where = append(where, "realm = ?")
		args = append(args, f.Realm)
	}
	if f.Principal != "" {
		where = append(where, "principal = ?")
		args = append(args, f.Principal)
	}
	if f.ActiveAt != 0 {
		where = append(where, `((invalidated = 0 AND expiration >= ?)
			OR (refresh_hash IS NOT NULL AND refresh_invalidated = 0 AND creation >= ?))`)
		args = append(args, f.ActiveAt, f.RefreshSince)
	}
	var b strings.Builder
	b.WriteString("SELECT " + tokenColumns + " FROM tokens")
	if len(where) > 0 {
		b.WriteString(" WHERE " + strings.Join(where, " AND "))
	}
	b.WriteString(" ORDER BY creation, id")
	return queryAll(ctx, r.q, "find tokens", scanToken, b.String(), args...)
}

// InsertToken stores a new token with Version 1 and sets t.Version; a
// duplicate id or hash is store.ErrConflict.
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
	if err := w.insertNew(ctx, "token", t.ID, "duplicate id or hash", `
		INSERT INTO tokens (`+tokenColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`,
		t.ID, t.AccessHash, nullString(t.RefreshHash), t.Creation, t.Expiration,
		t.Invalidated, t.RefreshInvalidated, t.Refreshed, t.RefreshTime, nullString(t.Superseding),
		t.Principal, t.Realm, jsonArg(t.Subject), jsonArg(t.Client), version); err != nil {
		return err
	}
	t.Version = version
	return nil
}

// UpdateToken replaces the mutable fields of t when the stored version
// equals t.Version, and sets t.Version to the new version.
// store.ErrNotFound or store.ErrConflict otherwise.
func (w *writer) UpdateToken(ctx context.Context, t *store.Token) error {
	return w.updateVersioned(ctx, "token", "tokens", t.ID, &t.Version, `
		UPDATE tokens SET
			invalidated = ?, refresh_invalidated = ?, refreshed = ?, refresh_time = ?, superseding = ?,
			version = version + 1
		WHERE id = ? AND version = ?
		RETURNING version`,
		t.Invalidated, t.RefreshInvalidated, t.Refreshed, t.RefreshTime, nullString(t.Superseding),
		t.ID, t.Version)
}

// DeleteTokensCreatedBefore deletes up to limit tokens created before the
// instant before, oldest first, and returns how many it deleted.
func (w *writer) DeleteTokensCreatedBefore(ctx context.Context, before int64, limit int) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	res, err := w.q.ExecContext(ctx, `
		DELETE FROM tokens WHERE id IN (
			SELECT id FROM tokens WHERE creation < ? ORDER BY creation, id LIMIT ?)`,
		before, limit)
	if err != nil {
		return 0, fmt.Errorf("delete old tokens: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("delete old tokens: %w", err)
	}
	return int(n), nil
}
