package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// keyColumns are the columns of api_keys in the order scanKey reads them.
const keyColumns = `id, name, type, creation, expiration, invalidated, invalidation, hash,
	role_descriptors, limited_by, metadata,
	principal, full_name, email, creator_metadata, realm, realm_type, version`

func scanKey(s scanner) (*store.APIKey, error) {
	var (
		k                                    store.APIKey
		expiration, invalidation             sql.NullInt64
		roleDescriptors, limitedBy, metadata sql.NullString
		fullName, email, creatorMetadata     sql.NullString
	)
	err := s.Scan(&k.ID, &k.Name, &k.Type, &k.Creation, &expiration, &k.Invalidated, &invalidation, &k.Hash,
		&roleDescriptors, &limitedBy, &metadata,
		&k.Creator.Principal, &fullName, &email, &creatorMetadata, &k.Creator.Realm, &k.Creator.RealmType,
		&k.Version)
	if err != nil {
		return nil, err
	}
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
const (
	getKeySQL    = "SELECT " + keyColumns + " FROM api_keys WHERE id = ?"
	insertKeySQL = `INSERT INTO api_keys (` + keyColumns + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
		ON CONFLICT (id) DO NOTHING`
	updateKeySQL = `UPDATE api_keys SET
			expiration = ?, invalidated = ?, invalidation = ?,
			role_descriptors = ?, limited_by = ?, metadata = ?,
			principal = ?, full_name = ?, email = ?, creator_metadata = ?, realm = ?, realm_type = ?,
			version = version + 1
		WHERE id = ? AND version = ?
		RETURNING version`
)

// GetAPIKey returns the key with id, or store.ErrNotFound.
func (r *reader) GetAPIKey(ctx context.Context, id string) (*store.APIKey, error) {
	return queryOne(ctx, r.q, fmt.Sprintf("get api key %q", id), scanKey, getKeySQL, id)
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
	return queryAll(ctx, r.q, "find api keys", scanKey, query, args...)
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
	err := w.insertNew(ctx, "api key", k.ID, "duplicate id", &k.Version, insertKeySQL,
		k.ID, k.Name, k.Type, k.Creation, k.Expiration, k.Invalidated, k.Invalidation, k.Hash,
		jsonArg(k.RoleDescriptors), jsonArg(k.LimitedBy), jsonArg(k.Metadata),
		k.Creator.Principal, k.Creator.FullName, k.Creator.Email, jsonArg(k.Creator.Metadata),
		k.Creator.Realm, k.Creator.RealmType)
	if err != nil {
		return err
	}
	return w.writeLeaves(ctx, k.ID, k.Metadata)
}

// UpdateAPIKey replaces the mutable fields of k when the stored version
// equals k.Version, and sets k.Version to the new version.
// store.ErrNotFound or store.ErrConflict otherwise.
func (w *writer) UpdateAPIKey(ctx context.Context, k *store.APIKey) error {
	err := w.updateVersioned(ctx, "api key", "api_keys", k.ID, &k.Version, updateKeySQL,
		k.Expiration, k.Invalidated, k.Invalidation,
		jsonArg(k.RoleDescriptors), jsonArg(k.LimitedBy), jsonArg(k.Metadata),
		k.Creator.Principal, k.Creator.FullName, k.Creator.Email, jsonArg(k.Creator.Metadata),
		k.Creator.Realm, k.Creator.RealmType,
		k.ID, k.Version)
	if err != nil {
		return err
	}
	return w.rewriteLeaves(ctx, k.ID, k.Metadata)
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
		UPDATE api_keys SET invalidated = 1, invalidation = ?, version = version + 1
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
