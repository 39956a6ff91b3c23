package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// keyColumns are the columns of api_keys in the order scanKey reads them,
// the JSON ones as their exact text.
const keyColumns = `api_keys.id, api_keys.name, api_keys.type, api_keys.creation, api_keys.expiration,
	api_keys.invalidated, api_keys.invalidation, api_keys.hash,
	api_keys.role_descriptors::text, api_keys.limited_by::text, api_keys.metadata::text,
	api_keys.principal, api_keys.full_name, api_keys.email, api_keys.creator_metadata::text,
	api_keys.realm, api_keys.realm_type, api_keys.version, api_keys.certificate_identity,
	api_keys.allowed_networks`

func scanKey(s scanner) (*store.APIKey, error) {
	var (
		k                                    store.APIKey
		invalidated                          int16
		roleDescriptors, limitedBy, metadata *string
		creatorMetadata, allowedNetworks     *string
	)
	err := s.Scan(&k.ID, &k.Name, &k.Type, &k.Creation, &k.Expiration, &invalidated, &k.Invalidation, &k.Hash,
		&roleDescriptors, &limitedBy, &metadata,
		&k.Creator.Principal, &k.Creator.FullName, &k.Creator.Email, &creatorMetadata,
		&k.Creator.Realm, &k.Creator.RealmType, &k.Version, &k.CertificateIdentity, &allowedNetworks)
	if err != nil {
		return nil, err
	}
	k.AllowedNetworks = store.NetworksFromColumn(allowedNetworks)
	k.Invalidated = invalidated == 1
	k.RoleDescriptors = jsonValue(roleDescriptors)
	k.LimitedBy = jsonValue(limitedBy)
	k.Metadata = jsonValue(metadata)
	k.Creator.Metadata = jsonValue(creatorMetadata)
	return &k, nil
}

// flag is the smallint of a boolean column of api_keys.
func flag(b bool) int16 {
	if b {
		return 1
	}
	return 0
}

const (
	getKeySQL    = "SELECT " + keyColumns + " FROM api_keys WHERE id = $1"
	insertKeySQL = `INSERT INTO api_keys (id, name, type, creation, expiration, invalidated, invalidation, hash,
			role_descriptors, limited_by, metadata,
			principal, full_name, email, creator_metadata, realm, realm_type, version, certificate_identity,
			allowed_networks)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text::json, $10::text::json, $11::text::json,
			$12, $13, $14, $15::text::json, $16, $17, $18, $19, $20)
		ON CONFLICT (id) DO NOTHING
		RETURNING seq`
)

// GetAPIKey returns the key with id, or store.ErrNotFound.
func (r *reader) GetAPIKey(ctx context.Context, id string) (*store.APIKey, error) {
	return queryOne(ctx, r.tx, fmt.Sprintf("get api key %q", id), scanKey, getKeySQL, id)
}

// FindAPIKeys returns the keys matching f, ordered by creation then id.
func (r *reader) FindAPIKeys(ctx context.Context, f store.KeyFilter) ([]*store.APIKey, error) {
	if f.IDs != nil && len(f.IDs) == 0 {
		return []*store.APIKey{}, nil
	}
	where, args := keyWhere(f, 0)
	return queryAll(ctx, r.tx, "find api keys", scanKey,
		"SELECT "+keyColumns+" FROM api_keys WHERE "+where+" ORDER BY creation, id", args...)
}

// keyWhere compiles f to a WHERE condition on api_keys whose values are
// bound parameters numbered after the first n; lists (ids, realms) are
// one text[] parameter each.
func keyWhere(f store.KeyFilter, n int) (string, []any) {
	where := []string{"true"}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(n+len(args))
	}
	if f.IDs != nil {
		where = append(where, "id = ANY("+arg(strs(f.IDs))+"::text[])")
	}
	if f.Name != "" {
		if f.NamePrefix {
			where = append(where, "name >= "+arg(f.Name))
			if end, ok := prefixEnd(f.Name); ok {
				where = append(where, "name < "+arg(end))
			}
		} else {
			where = append(where, "name = "+arg(f.Name))
		}
	}
	if f.Username != "" {
		where = append(where, "principal = "+arg(f.Username))
	}
	if len(f.Realms) > 0 {
		where = append(where, "realm = ANY("+arg(f.Realms)+"::text[])")
	}
	if f.Type != "" {
		where = append(where, "type = "+arg(f.Type))
	}
	if f.ExcludeInvalidated || f.ActiveAt != 0 {
		where = append(where, "invalidated = 0")
	}
	if f.ActiveAt != 0 {
		where = append(where, "(expiration IS NULL OR expiration > "+arg(f.ActiveAt)+")")
	}
	return strings.Join(where, " AND "), args
}

// prefixEnd returns the least string greater than every string that
// starts with prefix, in code point order (which is UTF-8 byte order, the
// "C" collation's): prefix with its last character replaced by the next
// one, trailing characters that have none dropped. There is none when
// every character is the last one.
func prefixEnd(prefix string) (string, bool) {
	r := []rune(prefix)
	for i := len(r) - 1; i >= 0; i-- {
		next := r[i] + 1
		if next == 0xD800 { // the surrogates are not characters
			next = 0xE000
		}
		if next <= utf8.MaxRune {
			r[i] = next
			return string(r[:i+1]), true
		}
	}
	return "", false
}

// InsertAPIKey stores a new key with Version 1; a duplicate id is
// store.ErrConflict. It sets k.Version to 1.
func (w *writer) InsertAPIKey(ctx context.Context, k *store.APIKey) error {
	return w.insertKey(ctx, k, 1)
}

// ImportAPIKey stores k as InsertAPIKey does but keeps its Version.
func (w *writer) ImportAPIKey(ctx context.Context, k *store.APIKey) error {
	if k.Version < 1 {
		return fmt.Errorf("import api key %q: version %d is not positive", k.ID, k.Version)
	}
	return w.insertKey(ctx, k, k.Version)
}

// insertKey stores a new key with version and sets k.Version to it.
func (w *writer) insertKey(ctx context.Context, k *store.APIKey, version int64) error {
	var seq int64
	err := w.tx.QueryRow(ctx, insertKeySQL,
		k.ID, k.Name, k.Type, k.Creation, k.Expiration, flag(k.Invalidated), k.Invalidation, k.Hash,
		jsonArg(k.RoleDescriptors), jsonArg(k.LimitedBy), jsonArg(k.Metadata),
		k.Creator.Principal, k.Creator.FullName, k.Creator.Email, jsonArg(k.Creator.Metadata),
		k.Creator.Realm, k.Creator.RealmType, version, k.CertificateIdentity,
		store.NetworksColumn(k.AllowedNetworks)).Scan(&seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("insert api key %q: duplicate id: %w", k.ID, store.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("insert api key %q: %w", k.ID, err)
	}
	k.Version = version
	if k.Lineage != nil {
		if err := w.insertLineage(ctx, k.ID, k.Lineage); err != nil {
			return err
		}
	}
	return w.writeLeaves(ctx, k.ID, seq, k.Metadata)
}

// UpdateAPIKey replaces the mutable fields of k when the stored version
// equals k.Version, and sets k.Version to the new version.
// store.ErrNotFound or store.ErrConflict otherwise. Only the columns whose
// value changes are written, and the metadata leaves only with the
// metadata. The row is read first unless this member knows it, and the
// write is queued, sent with the member's next statement (pipeline.go).
func (w *writer) UpdateAPIKey(ctx context.Context, k *store.APIKey) error {
	p, ok := w.tx.(*pipelineTx)
	if !ok {
		// A writer outside Update: a queue of its own, sent now.
		pw := &writer{reader{tx: &pipelineTx{Tx: w.tx}}}
		if err := pw.UpdateAPIKey(ctx, k); err != nil {
			return err
		}
		return pw.tx.(*pipelineTx).flush(ctx)
	}
	old := w.knownKey(k.ID)
	if old == nil {
		var err error
		if old, err = queryOne(ctx, w.tx, fmt.Sprintf("update api key %q", k.ID), scanKey, getKeySQL, k.ID); err != nil {
			return err
		}
	}
	if old.Version != k.Version {
		return fmt.Errorf("update api key %q: version %d is stale: %w", k.ID, k.Version, store.ErrConflict)
	}
	u := &queuedUpdate{id: k.ID, version: k.Version, changes: changedColumns(old, k)}
	if !bytes.Equal(old.Metadata, k.Metadata) {
		u.metadata = true
		var err error
		if u.paths, u.values, err = distinctLeaves(k.ID, k.Metadata); err != nil {
			return err
		}
	}
	if err := p.enqueue(ctx, u); err != nil {
		return fmt.Errorf("update api key %q: %w", k.ID, err)
	}
	k.Version++
	w.remember(k)
	return nil
}

// columnChange is the new value of a column of api_keys, as text (nil for
// NULL), and the column's type.
type columnChange struct {
	column, typ string
	value       *string
}

// changedColumns lists the mutable columns whose value differs between
// old and k, with their new values.
func changedColumns(old, k *store.APIKey) []columnChange {
	var changes []columnChange
	set := func(changed bool, column, typ string, value *string) {
		if changed {
			changes = append(changes, columnChange{column: column, typ: typ, value: value})
		}
	}
	text := func(s string) *string { return &s }
	number := func(n *int64) *string {
		if n == nil {
			return nil
		}
		return text(strconv.FormatInt(*n, 10))
	}
	jsonText := func(raw json.RawMessage) *string {
		if len(raw) == 0 {
			return nil
		}
		return text(string(raw))
	}
	set(old.Name != k.Name, "name", "text", text(k.Name))
	set(!equalPtr(old.Expiration, k.Expiration), "expiration", "bigint", number(k.Expiration))
	set(old.Invalidated != k.Invalidated, "invalidated", "smallint", text(strconv.Itoa(int(flag(k.Invalidated)))))
	set(!equalPtr(old.Invalidation, k.Invalidation), "invalidation", "bigint", number(k.Invalidation))
	set(!bytes.Equal(old.RoleDescriptors, k.RoleDescriptors), "role_descriptors", "json", jsonText(k.RoleDescriptors))
	set(!bytes.Equal(old.LimitedBy, k.LimitedBy), "limited_by", "json", jsonText(k.LimitedBy))
	set(!bytes.Equal(old.Metadata, k.Metadata), "metadata", "json", jsonText(k.Metadata))
	set(!equalPtr(old.CertificateIdentity, k.CertificateIdentity), "certificate_identity", "text", k.CertificateIdentity)
	set(!slices.Equal(old.AllowedNetworks, k.AllowedNetworks), "allowed_networks", "text", store.NetworksColumn(k.AllowedNetworks))
	oc, nc := old.Creator, k.Creator
	set(oc.Principal != nc.Principal, "principal", "text", text(nc.Principal))
	set(!equalPtr(oc.FullName, nc.FullName), "full_name", "text", nc.FullName)
	set(!equalPtr(oc.Email, nc.Email), "email", "text", nc.Email)
	set(!bytes.Equal(oc.Metadata, nc.Metadata), "creator_metadata", "json", jsonText(nc.Metadata))
	set(oc.Realm != nc.Realm, "realm", "text", text(nc.Realm))
	set(oc.RealmType != nc.RealmType, "realm_type", "text", text(nc.RealmType))
	return changes
}

// equalPtr reports whether two optional values are both absent or equal.
func equalPtr[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// InvalidateAPIKeys marks the keys f selects that are not yet invalidated
// as invalidated at the instant at, counting it as a write to their
// version, in one statement, and returns their ids ordered by creation
// then id.
func (w *writer) InvalidateAPIKeys(ctx context.Context, f store.KeyFilter, at int64) ([]string, error) {
	if f.IDs != nil && len(f.IDs) == 0 {
		return []string{}, nil
	}
	where, args := keyWhere(f, 1)
	return queryAll(ctx, w.tx, "invalidate api keys", scanID, `
		WITH changed AS (
			UPDATE api_keys SET invalidated = 1, invalidation = $1, version = version + 1
			WHERE invalidated = 0 AND `+where+`
			RETURNING creation, id)
		SELECT id FROM changed ORDER BY creation, id`, append([]any{at}, args...)...)
}
