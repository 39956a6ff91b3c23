package sqlite

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// keyColumns are the columns of api_keys in the order scanKey reads them,
// the limited-by snapshot from api_key_snapshots.
const keyColumns = `api_keys.id, name, type, creation, expiration, invalidated, invalidation, hash,
	role_descriptors,
	(SELECT s.json FROM api_key_snapshots AS s WHERE s.id = api_keys.limited_by_id) AS limited_by,
	metadata, principal, full_name, email, creator_metadata, realm, realm_type, version,
	certificate_identity, allowed_networks`

func scanKey(s scanner) (*store.APIKey, error) {
	var (
		k                                    store.APIKey
		expiration, invalidation             sql.NullInt64
		roleDescriptors, limitedBy, metadata sql.NullString
		fullName, email, creatorMetadata     sql.NullString
		certificateIdentity, allowedNetworks sql.NullString
	)
	err := s.Scan(&k.ID, &k.Name, &k.Type, &k.Creation, &expiration, &k.Invalidated, &invalidation, &k.Hash,
		&roleDescriptors, &limitedBy, &metadata,
		&k.Creator.Principal, &fullName, &email, &creatorMetadata, &k.Creator.Realm, &k.Creator.RealmType,
		&k.Version, &certificateIdentity, &allowedNetworks)
	if err != nil {
		return nil, err
	}
	k.CertificateIdentity = stringPtr(certificateIdentity)
	k.AllowedNetworks = store.NetworksFromColumn(stringPtr(allowedNetworks))
	k.Expiration = int64Ptr(expiration)
	k.Invalidation = int64Ptr(invalidation)
	k.RoleDescriptors = jsonValue(roleDescriptors)
	k.LimitedBy = jsonValue(limitedBy)
	k.Metadata = jsonValue(metadata)
	k.Creator.FullName = stringPtr(fullName)
	k.Creator.Email = stringPtr(email)
	k.Creator.Metadata = jsonValue(creatorMetadata)
	return &k, nil
}

// The statements of the key hot paths, prepared once per connection.
//
// The writes are OR FAIL: a statement that fails halfway keeps what it did
// rather than undoing it, so SQLite keeps no statement journal (a copy of
// every page the statement changes) for it. Nothing is lost by it: a
// failing statement fails its transaction function, whose whole
// transaction or savepoint is then rolled back.
const (
	getKeySQL    = "SELECT " + keyColumns + " FROM api_keys WHERE id = ?"
	insertKeySQL = `INSERT OR FAIL INTO api_keys (id, name, type, creation, expiration, invalidated, invalidation, hash,
			role_descriptors, limited_by_id, metadata,
			principal, full_name, email, creator_metadata, realm, realm_type, version, certificate_identity,
			allowed_networks)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING
		RETURNING seq`
	insertSnapshotSQL = `INSERT INTO api_key_snapshots (json) VALUES (?) ON CONFLICT (json) DO NOTHING RETURNING id`
	selectSnapshotSQL = `SELECT id FROM api_key_snapshots WHERE json = ?`
)

// snapshotID is the interned id of a limited-by snapshot, nil for none.
func (w *writer) snapshotID(ctx context.Context, limitedBy []byte) (any, error) {
	if len(limitedBy) == 0 {
		return nil, nil
	}
	return w.snapshots.id(ctx, w.q, string(limitedBy))
}

// GetAPIKey returns the key with id, or store.ErrNotFound.
func (r *reader) GetAPIKey(ctx context.Context, id string) (*store.APIKey, error) {
	k, err := queryOne(ctx, r.q, fmt.Sprintf("get api key %q", id), scanKey, getKeySQL, id)
	if err == nil {
		r.remember(k)
	}
	return k, err
}

// FindAPIKeys returns the keys matching f, ordered by creation then id.
func (r *reader) FindAPIKeys(ctx context.Context, f store.KeyFilter) ([]*store.APIKey, error) {
	if f.IDs != nil && len(f.IDs) == 0 {
		return []*store.APIKey{}, nil
	}
	query, args, err := keyQuery(f)
	if err != nil {
		return nil, fmt.Errorf("find api keys: %w", err)
	}
	keys, err := queryAll(ctx, r.q, "find api keys", scanKey, query, args...)
	r.remember(keys...)
	return keys, err
}

// keyQuery compiles f to one SELECT whose values are all bound parameters.
func keyQuery(f store.KeyFilter) (string, []any, error) {
	where, args, err := keyWhere(f)
	if err != nil {
		return "", nil, err
	}
	return "SELECT " + keyColumns + " FROM api_keys WHERE " + where + " ORDER BY creation, id", args, nil
}

// keyWhere compiles f to a WHERE condition on api_keys. Lists (ids,
// realms) are bound as one JSON array each and expanded with json_each,
// so their length never meets SQLite's limit on parameters.
func keyWhere(f store.KeyFilter) (string, []any, error) {
	where := []string{"1"}
	var args []any
	if f.IDs != nil {
		ids, err := jsonStrings(f.IDs)
		if err != nil {
			return "", nil, err
		}
		where = append(where, "id IN (SELECT value FROM json_each(?))")
		args = append(args, ids)
	}
	if f.Name != "" {
		if f.NamePrefix {
			// A range on the name index rather than LIKE, whose wildcards
			// would need escaping and which ignores the index under the
			// BINARY collation.
			where = append(where, "name >= ?")
			args = append(args, f.Name)
			if end, ok := prefixEnd(f.Name); ok {
				where = append(where, "name < ?")
				args = append(args, end)
			}
		} else {
			where = append(where, "name = ?")
			args = append(args, f.Name)
		}
	}
	if f.Username != "" {
		where = append(where, "principal = ?")
		args = append(args, f.Username)
	}
	if len(f.Realms) > 0 {
		realms, err := jsonStrings(f.Realms)
		if err != nil {
			return "", nil, err
		}
		where = append(where, "realm IN (SELECT value FROM json_each(?))")
		args = append(args, realms)
	}
	if f.Type != "" {
		// +type: the few-valued type index never serves a filter better
		// than the others.
		where = append(where, "+type = ?")
		args = append(args, f.Type)
	}
	if f.ExcludeInvalidated || f.ActiveAt != 0 {
		where = append(where, "+invalidated = 0")
	}
	if f.ActiveAt != 0 {
		where = append(where, "(expiration IS NULL OR expiration > ?)")
		args = append(args, f.ActiveAt)
	}
	return strings.Join(where, " AND "), args, nil
}

// prefixEnd returns the least string greater than every string that starts
// with prefix, comparing bytes as SQLite's BINARY collation does: prefix
// with trailing 0xFF bytes dropped and its last byte incremented. There is
// none when prefix is all 0xFF bytes (never valid UTF-8).
func prefixEnd(prefix string) (string, bool) {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xFF {
			b[i]++
			return string(b[:i+1]), true
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
	limitedBy, err := w.snapshotID(ctx, k.LimitedBy)
	if err != nil {
		return fmt.Errorf("insert api key %q: %w", k.ID, err)
	}
	var seq int64
	err = w.q.QueryRowContext(ctx, insertKeySQL,
		k.ID, k.Name, k.Type, k.Creation, k.Expiration, k.Invalidated, k.Invalidation, k.Hash,
		jsonArg(k.RoleDescriptors), limitedBy, jsonArg(k.Metadata),
		k.Creator.Principal, k.Creator.FullName, k.Creator.Email, jsonArg(k.Creator.Metadata),
		k.Creator.Realm, k.Creator.RealmType, version, k.CertificateIdentity,
		store.NetworksColumn(k.AllowedNetworks)).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("insert api key %q: duplicate id: %w", k.ID, store.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("insert api key %q: %w", k.ID, err)
	}
	k.Version = version
	w.remember(k)
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
// value changes are written, so that the indexes of the others are left
// alone, and the metadata leaves are rewritten only with the metadata.
func (w *writer) UpdateAPIKey(ctx context.Context, k *store.APIKey) error {
	old, ok := w.read[k.ID]
	if !ok || old.Version != k.Version {
		stored, err := queryOne(ctx, w.q, fmt.Sprintf("update api key %q", k.ID), scanKey, getKeySQL, k.ID)
		if err != nil {
			return err
		}
		old = *stored
	}
	if old.Version != k.Version {
		return fmt.Errorf("update api key %q: version %d is stale: %w", k.ID, k.Version, store.ErrConflict)
	}
	sets, args := changedColumns(&old, k)
	if !bytes.Equal(old.LimitedBy, k.LimitedBy) {
		id, err := w.snapshotID(ctx, k.LimitedBy)
		if err != nil {
			return fmt.Errorf("update api key %q: %w", k.ID, err)
		}
		sets, args = append(sets, "limited_by_id = ?"), append(args, id)
	}
	// The version in the WHERE clause still decides: a row written since
	// it was read changes nothing, and is told apart below.
	query := "UPDATE OR FAIL api_keys SET " + strings.Join(append(sets, "version = version + 1"), ", ") +
		" WHERE id = ? AND version = ? RETURNING seq"
	var seq int64
	err := w.q.queryRowLocal(ctx, query, append(args, k.ID, k.Version)...).Scan(&seq)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("update api key %q: %w", k.ID, err)
	}
	if err != nil {
		delete(w.read, k.ID)
		absent, err := w.absent(ctx, "SELECT 1 FROM api_keys WHERE id = ?", k.ID)
		switch {
		case err != nil:
			return fmt.Errorf("update api key %q: %w", k.ID, err)
		case absent:
			return fmt.Errorf("update api key %q: %w", k.ID, store.ErrNotFound)
		}
		return fmt.Errorf("update api key %q: version %d is stale: %w", k.ID, k.Version, store.ErrConflict)
	}
	k.Version++
	w.remember(k)
	if bytes.Equal(old.Metadata, k.Metadata) {
		return nil
	}
	return w.rewriteLeaves(ctx, k.ID, seq, k.Metadata)
}

// changedColumns lists the assignments of the mutable columns whose value
// differs between old and k, with their arguments; the limited-by
// snapshot, an interned id, is the caller's.
func changedColumns(old, k *store.APIKey) (sets []string, args []any) {
	set := func(changed bool, column string, value any) {
		if changed {
			sets = append(sets, column+" = ?")
			args = append(args, value)
		}
	}
	set(old.Name != k.Name, "name", k.Name)
	set(!equalPtr(old.Expiration, k.Expiration), "expiration", k.Expiration)
	set(old.Invalidated != k.Invalidated, "invalidated", k.Invalidated)
	set(!equalPtr(old.Invalidation, k.Invalidation), "invalidation", k.Invalidation)
	set(!bytes.Equal(old.RoleDescriptors, k.RoleDescriptors), "role_descriptors", jsonArg(k.RoleDescriptors))
	set(!bytes.Equal(old.Metadata, k.Metadata), "metadata", jsonArg(k.Metadata))
	set(!equalPtr(old.CertificateIdentity, k.CertificateIdentity), "certificate_identity", k.CertificateIdentity)
	set(!slices.Equal(old.AllowedNetworks, k.AllowedNetworks), "allowed_networks", store.NetworksColumn(k.AllowedNetworks))
	oc, nc := old.Creator, k.Creator
	set(oc.Principal != nc.Principal, "principal", nc.Principal)
	set(!equalPtr(oc.FullName, nc.FullName), "full_name", nc.FullName)
	set(!equalPtr(oc.Email, nc.Email), "email", nc.Email)
	set(!bytes.Equal(oc.Metadata, nc.Metadata), "creator_metadata", jsonArg(nc.Metadata))
	set(oc.Realm != nc.Realm, "realm", nc.Realm)
	set(oc.RealmType != nc.RealmType, "realm_type", nc.RealmType)
	return sets, args
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
	where, args, err := keyWhere(f)
	if err != nil {
		return nil, fmt.Errorf("invalidate api keys: %w", err)
	}
	rows, err := w.q.QueryContext(ctx, `
		UPDATE OR FAIL api_keys SET invalidated = 1, invalidation = ?, version = version + 1
		WHERE +invalidated = 0 AND `+where+`
		RETURNING creation, id`, append([]any{at}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("invalidate api keys: %w", err)
	}
	type changed struct {
		creation int64
		id       string
	}
	keys, err := scanAll(rows, "invalidate api keys", func(s scanner) (changed, error) {
		var c changed
		err := s.Scan(&c.creation, &c.id)
		return c, err
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(keys, func(a, b changed) int {
		return cmp.Or(cmp.Compare(a.creation, b.creation), strings.Compare(a.id, b.id))
	})
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.id
	}
	return ids, nil
}
