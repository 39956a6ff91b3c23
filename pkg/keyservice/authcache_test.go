package keyservice_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
	"github.com/apikeyctl/apikeyctl/pkg/store"
	"github.com/apikeyctl/apikeyctl/pkg/store/sqlite"
)

// countingStore counts the read transactions of a store.
type countingStore struct {
	store.Store
	views atomic.Int64
}

func (c *countingStore) View(ctx context.Context, fn func(store.Reader) error) error {
	c.views.Add(1)
	return c.Store.View(ctx, fn)
}

// twoProcesses is a service over a database file (a daemon) and a second
// service over its own connection to the same file (apikeyctl --db, or
// another daemon).
type twoProcesses struct {
	daemon, other *keyservice.Service
	reads         *countingStore
	root          context.Context
}

func newTwoProcesses(t *testing.T) *twoProcesses {
	t.Helper()
	path := t.TempDir() + "/keys.db"
	open := func() store.Store {
		db, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	now := func() time.Time { return time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC) }
	tp := &twoProcesses{reads: &countingStore{Store: open()}, root: auth.WithSubject(context.Background(), auth.OSSubject("root"))}
	var err error
	if tp.daemon, err = keyservice.New(tp.reads, keyservice.Options{Now: now, PasswordHashing: "bcrypt4"}); err != nil {
		t.Fatal(err)
	}
	if tp.other, err = keyservice.New(open(), keyservice.Options{Now: now, PasswordHashing: "bcrypt4"}); err != nil {
		t.Fatal(err)
	}
	return tp
}

func (tp *twoProcesses) authKey(resp *api.CreateAPIKeyResponse) (*auth.Subject, error) {
	return tp.daemon.AuthenticateCredential(context.Background(), auth.Credential{Scheme: auth.SchemeAPIKey, KeyID: resp.ID, KeySecret: resp.APIKey})
}

func (tp *twoProcesses) authUser(user, password string) (*auth.Subject, error) {
	return tp.daemon.AuthenticateCredential(context.Background(), auth.Credential{Scheme: auth.SchemeBasic, Username: user, Password: password})
}

// wantUnsuccessful asserts the 401 of a credential that did not
// authenticate, for the reason Elasticsearch names in the error's
// additional_unsuccessful_credentials.
func wantUnsuccessful(t *testing.T, err error, detail string) {
	t.Helper()
	wantErr(t, err, 401, "security_exception", "unable to authenticate with provided credentials")
	var e *api.Error
	errors.As(err, &e)
	if got := e.Fields["additional_unsuccessful_credentials"]; got != detail {
		t.Errorf("additional_unsuccessful_credentials = %v, want %q", got, detail)
	}
}

// TestKeyCacheIsCoherent: a key that authenticated is served from memory
// until a write — by this service or by another process on the file —
// changes the store, and the next authentication sees the write.
func TestKeyCacheIsCoherent(t *testing.T) {
	tp := newTwoProcesses(t)
	name := "cached"
	resp, err := tp.daemon.CreateAPIKey(tp.root, &api.CreateAPIKeyRequest{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tp.authKey(resp); err != nil {
		t.Fatal(err)
	}
	before := tp.reads.views.Load()
	for range 10 {
		if _, err := tp.authKey(resp); err != nil {
			t.Fatal(err)
		}
	}
	if n := tp.reads.views.Load() - before; n != 0 {
		t.Errorf("10 authentications of a cached key read the store %d times", n)
	}
	// A wrong secret is still refused from the cache.
	bad := *resp
	bad.APIKey = "wrong"
	if _, err := tp.authKey(&bad); err == nil {
		t.Fatal("a wrong secret authenticated from the cache")
	}

	// Another process invalidates the key: the next authentication fails.
	if _, err := tp.other.InvalidateAPIKeys(tp.root, &api.InvalidateAPIKeysRequest{IDs: []string{resp.ID}}); err != nil {
		t.Fatal(err)
	}
	_, err = tp.authKey(resp)
	wantUnsuccessful(t, err, "API key: api key ["+resp.ID+"] has been invalidated")
}

// TestMissingKeyCacheIsCoherent: an unknown id is remembered, and
// forgotten once the store changes.
func TestMissingKeyCacheIsCoherent(t *testing.T) {
	tp := newTwoProcesses(t)
	ghost := &api.CreateAPIKeyResponse{ID: "ghost", APIKey: "secret"}
	for range 3 {
		_, err := tp.authKey(ghost)
		wantUnsuccessful(t, err, "API key: unable to find apikey with id ghost")
	}
	before := tp.reads.views.Load()
	_, _ = tp.authKey(ghost)
	if n := tp.reads.views.Load() - before; n != 0 {
		t.Errorf("an unknown id read the store %d times once remembered", n)
	}
	name := "real"
	resp, err := tp.other.CreateAPIKey(tp.root, &api.CreateAPIKeyRequest{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tp.authKey(resp); err != nil {
		t.Fatalf("a key created by another process: %v", err)
	}
}

// TestRealmCacheIsCoherent: a user whose password verified is served
// from memory (no bcrypt, no read) until the store changes: a new
// password, a disabled user, a changed role are all seen at once.
func TestRealmCacheIsCoherent(t *testing.T) {
	tp := newTwoProcesses(t)
	pw := "password-1"
	if _, err := tp.other.PutRole(tp.root, &api.PutRoleRequest{Name: "r", Descriptor: api.RoleDescriptor{Cluster: []string{"monitor"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := tp.other.PutUser(tp.root, &api.PutUserRequest{Username: "u", Password: &pw, Roles: []string{"r"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := tp.authUser("u", pw); err != nil {
		t.Fatal(err)
	}
	before := tp.reads.views.Load()
	sub, err := tp.authUser("u", pw)
	if err != nil {
		t.Fatal(err)
	}
	if n := tp.reads.views.Load() - before; n != 0 {
		t.Errorf("a cached user read the store %d times", n)
	}
	if _, err := tp.authUser("u", "password-2"); err == nil {
		t.Fatal("a wrong password authenticated from the cache")
	}
	if got := sub.Descriptors[0].Descriptor.Cluster; len(got) != 1 || got[0] != "monitor" {
		t.Fatalf("role descriptors = %v", got)
	}

	// A role change by another process is in the next subject.
	if _, err := tp.other.PutRole(tp.root, &api.PutRoleRequest{Name: "r", Descriptor: api.RoleDescriptor{Cluster: []string{"manage_own_api_key"}}}); err != nil {
		t.Fatal(err)
	}
	if sub, err = tp.authUser("u", pw); err != nil {
		t.Fatal(err)
	}
	if got := sub.Descriptors[0].Descriptor.Cluster; len(got) != 1 || got[0] != "manage_own_api_key" {
		t.Errorf("role descriptors after the role changed = %v", got)
	}

	// A new password: the old one fails at once, the new one works.
	pw2 := "password-2"
	if err := tp.other.ChangePassword(tp.root, &api.ChangePasswordRequest{Username: "u", Password: &pw2}); err != nil {
		t.Fatal(err)
	}
	if _, err := tp.authUser("u", pw); err == nil {
		t.Error("the old password still authenticates")
	}
	if _, err := tp.authUser("u", pw2); err != nil {
		t.Errorf("the new password: %v", err)
	}
}
