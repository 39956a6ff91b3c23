// Package storecopy copies every record of one store into another, for
// apikeyctl migrate: between SQLite and PostgreSQL, either way. It reads
// the source in one snapshot, writes the target in one transaction, then
// reads the target back and compares, kind by kind, the number of rows
// and a SHA-256 digest of a canonical serialisation of every row.
//
// The rule of what a copy is lives here only: API keys with every stored
// field and their versions (the target rebuilds the metadata leaves as its
// own insert does), key lineage, last-used records, users (password hashes
// as they are), roles, application privileges, OAuth2 tokens, expiry
// policies and expiry notices.
package storecopy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// The kinds of records, in the order they are copied and reported.
const (
	KindAPIKeys    = "api_keys"
	KindLineage    = "key_lineage"
	KindUsage      = "key_usage"
	KindUsers      = "users"
	KindRoles      = "roles"
	KindPrivileges = "application_privileges"
	KindTokens     = "tokens"
	KindPolicies   = "expiry_policies"
	KindNotices    = "expiry_notices"
)

// Kinds lists every kind, in order.
var Kinds = []string{KindAPIKeys, KindLineage, KindUsage, KindUsers, KindRoles, KindPrivileges, KindTokens, KindPolicies, KindNotices}

// batch bounds the ids one read of notices or usage names.
const batch = 500

// SQLitePrefix marks a SQLite file in a --from or --to location.
const SQLitePrefix = "sqlite:"

// StoreName is the name the backend opens for a location: a sqlite:FILE
// location is FILE, a PostgreSQL URL or a plain path is itself.
func StoreName(location string) string {
	return strings.TrimPrefix(location, SQLitePrefix)
}

// Snapshot is every record of a store, each kind in a stable order.
type Snapshot struct {
	// Keys are ordered by creation then id, each with its Lineage.
	Keys []*store.APIKey
	// Usage is ordered by key id.
	Usage      []store.KeyUsage
	Users      []*store.User
	Roles      []*store.Role
	Privileges []*store.ApplicationPrivilege
	// Tokens are ordered by creation then id.
	Tokens   []*store.Token
	Policies []*api.ExpiryPolicy
	// Notices are ordered by key id then lead.
	Notices []*store.ExpiryNotice
}

// Read reads every record r holds.
func Read(ctx context.Context, r store.Reader) (*Snapshot, error) {
	var s Snapshot
	var err error
	if s.Keys, err = r.FindAPIKeys(ctx, store.KeyFilter{}); err != nil {
		return nil, fmt.Errorf("read the api keys: %w", err)
	}
	ids := make([]string, len(s.Keys))
	for i, k := range s.Keys {
		ids[i] = k.ID
		l, err := r.GetLineage(ctx, k.ID)
		switch {
		case err == nil:
			k.Lineage = l
		case !errors.Is(err, store.ErrNotFound):
			return nil, fmt.Errorf("read the lineage of api key %s: %w", k.ID, err)
		}
	}
	slices.Sort(ids)
	for chunk := range slices.Chunk(ids, batch) {
		usage, err := r.GetKeyUsage(ctx, chunk)
		if err != nil {
			return nil, fmt.Errorf("read the usage of the api keys: %w", err)
		}
		for _, id := range chunk {
			if u, ok := usage[id]; ok {
				s.Usage = append(s.Usage, u)
			}
		}
		notices, err := r.GetExpiryNotices(ctx, chunk)
		if err != nil {
			return nil, fmt.Errorf("read the expiry notices: %w", err)
		}
		s.Notices = append(s.Notices, notices...)
	}
	if s.Users, err = r.ListUsers(ctx); err != nil {
		return nil, fmt.Errorf("read the users: %w", err)
	}
	if s.Roles, err = r.ListRoles(ctx); err != nil {
		return nil, fmt.Errorf("read the roles: %w", err)
	}
	if s.Privileges, err = r.ListApplicationPrivileges(ctx, nil); err != nil {
		return nil, fmt.Errorf("read the application privileges: %w", err)
	}
	if s.Tokens, err = r.FindTokens(ctx, store.TokenFilter{}); err != nil {
		return nil, fmt.Errorf("read the tokens: %w", err)
	}
	if s.Policies, err = r.ListExpiryPolicies(ctx); err != nil {
		return nil, fmt.Errorf("read the expiry policies: %w", err)
	}
	return &s, nil
}

// Empty reports whether the snapshot holds no record.
func (s *Snapshot) Empty() bool {
	return len(s.Keys) == 0 && len(s.Users) == 0 && len(s.Roles) == 0 && len(s.Privileges) == 0 &&
		len(s.Tokens) == 0 && len(s.Policies) == 0
}

// Write inserts every record of s through w, which must be a
// store.Copier.
func (s *Snapshot) Write(ctx context.Context, w store.Writer) error {
	c, ok := w.(store.Copier)
	if !ok {
		return fmt.Errorf("the target store (%T) cannot import records", w)
	}
	for _, k := range s.Keys {
		cp := *k
		if err := c.ImportAPIKey(ctx, &cp); err != nil {
			return err
		}
	}
	if err := w.RecordKeyUsage(ctx, s.Usage); err != nil {
		return err
	}
	for _, u := range s.Users {
		if _, err := w.PutUser(ctx, u); err != nil {
			return fmt.Errorf("write user %s: %w", u.Username, err)
		}
	}
	for _, r := range s.Roles {
		if _, err := w.PutRole(ctx, r); err != nil {
			return fmt.Errorf("write role %s: %w", r.Name, err)
		}
	}
	for _, p := range s.Privileges {
		if _, err := w.PutApplicationPrivilege(ctx, p); err != nil {
			return fmt.Errorf("write application privilege %s/%s: %w", p.Application, p.Name, err)
		}
	}
	for _, t := range s.Tokens {
		cp := *t
		if err := c.ImportToken(ctx, &cp); err != nil {
			return err
		}
	}
	for _, p := range s.Policies {
		if _, err := w.PutExpiryPolicy(ctx, p); err != nil {
			return fmt.Errorf("write expiry policy %s: %w", p.Name, err)
		}
	}
	for _, n := range s.Notices {
		if err := w.PutExpiryNotice(ctx, n); err != nil {
			return fmt.Errorf("write the expiry notice of api key %s: %w", n.KeyID, err)
		}
	}
	return nil
}
