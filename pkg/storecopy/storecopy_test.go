package storecopy_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
	"github.com/apikeyctl/apikeyctl/pkg/store"
	"github.com/apikeyctl/apikeyctl/pkg/store/postgres"
	"github.com/apikeyctl/apikeyctl/pkg/store/postgres/pgtest"
	"github.com/apikeyctl/apikeyctl/pkg/store/sqlite"
	"github.com/apikeyctl/apikeyctl/pkg/storecopy"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, postgres.Prepare)) }

var now = func() time.Time { return time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC) }

func openSQLite(t *testing.T) store.Store {
	t.Helper()
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "keys.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func openPostgres(t *testing.T) store.Store {
	t.Helper()
	db, err := postgres.Open(t.Context(), pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func service(t *testing.T, st store.Store) *keyservice.Service {
	t.Helper()
	svc, err := keyservice.New(st, keyservice.Options{Now: now, PasswordHashing: "bcrypt4"})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// populated is a store holding every kind of record, and the secrets
// that authenticate against it.
type populated struct {
	st       store.Store
	keys     []*api.CreateAPIKeyResponse
	password string
}

func populate(t *testing.T, st store.Store) *populated {
	t.Helper()
	ctx := t.Context()
	root := auth.WithSubject(ctx, auth.OSSubject("root"))
	svc := service(t, st)
	p := &populated{st: st, password: "alice-password-1"}
	for _, name := range []string{"ci-deploy", "tmp-debug", "retired"} {
		resp, err := svc.CreateAPIKey(root, &api.CreateAPIKeyRequest{Name: &name,
			Metadata: api.Metadata{{Key: "env", Value: "prod"}, {Key: "team", Value: map[string]any{"name": "blue"}}}})
		if err != nil {
			t.Fatal(err)
		}
		p.keys = append(p.keys, resp)
	}
	if _, err := svc.UpdateAPIKey(root, &api.UpdateAPIKeyRequest{ID: p.keys[1].ID, Metadata: api.Metadata{{Key: "env", Value: "staging"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.InvalidateAPIKeys(root, &api.InvalidateAPIKeysRequest{IDs: []string{p.keys[2].ID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.PutUser(root, &api.PutUserRequest{Username: "alice", Password: &p.password, Roles: []string{"deployer"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.PutRole(root, &api.PutRoleRequest{Name: "deployer", Descriptor: api.RoleDescriptor{Cluster: []string{"manage_own_api_key"}}}); err != nil {
		t.Fatal(err)
	}
	// What the service makes only over time or through other APIs,
	// written as the store keeps it.
	err := st.Update(ctx, func(w store.Writer) error {
		child, err := w.GetAPIKey(ctx, p.keys[0].ID)
		if err != nil {
			return err
		}
		child.ID, child.Name = "child-of-ci-deploy", "ci-deploy clone"
		child.Lineage = &store.Lineage{Parent: p.keys[0].ID, Relation: store.RelationClone}
		if err := w.InsertAPIKey(ctx, child); err != nil {
			return err
		}
		if err := w.RecordKeyUsage(ctx, []store.KeyUsage{{ID: p.keys[0].ID, FirstUsed: 3, LastUsed: 4, LastFrom: "10.0.0.7", Count: 2}}); err != nil {
			return err
		}
		if err := w.InsertToken(ctx, &store.Token{ID: "tok-1", AccessHash: "a1", RefreshHash: "r1", Creation: 1, Expiration: 2,
			Principal: "alice", Realm: "default_native", Subject: json.RawMessage(`{"username":"alice"}`)}); err != nil {
			return err
		}
		if err := w.PutExpiryNotice(ctx, &store.ExpiryNotice{KeyID: p.keys[0].ID, Lead: 86_400_000, Expiration: 5, Attempts: 2, LastError: "smtp: refused"}); err != nil {
			return err
		}
		if _, err := w.PutApplicationPrivilege(ctx, &store.ApplicationPrivilege{Application: "myapp", Name: "read", Actions: []string{"data:read/*"}, Metadata: json.RawMessage(`{}`)}); err != nil {
			return err
		}
		_, err = w.PutExpiryPolicy(ctx, &api.ExpiryPolicy{Name: "ci", User: "ci-bot", Max: "30d"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func copyOK(t *testing.T, src, dst store.Store) *storecopy.Report {
	t.Helper()
	rep, err := storecopy.Copy(t.Context(), src, dst, storecopy.Options{})
	if err != nil {
		t.Fatalf("Copy: %v", err)
	}
	if !rep.OK {
		t.Fatalf("the copy differs: %v", rep.Mismatches())
	}
	return rep
}

// TestRoundTrip copies a populated SQLite store into PostgreSQL and back
// into a new SQLite store: every kind reads back the same, with the same
// digests both ways, and the keys and the user authenticate with the same
// secrets over the copies.
func TestRoundTrip(t *testing.T) {
	p := populate(t, openSQLite(t))
	pg := openPostgres(t)
	there := copyOK(t, p.st, pg)
	back := openSQLite(t)
	again := copyOK(t, pg, back)

	want := map[string]int{
		storecopy.KindAPIKeys: 4, storecopy.KindLineage: 1, storecopy.KindUsage: 1, storecopy.KindUsers: 1,
		storecopy.KindRoles: 1, storecopy.KindPrivileges: 1, storecopy.KindTokens: 1,
		storecopy.KindPolicies: 1, storecopy.KindNotices: 1,
	}
	for i, tb := range there.Tables {
		if tb.Kind != storecopy.Kinds[i] {
			t.Errorf("table %d is %s, want %s", i, tb.Kind, storecopy.Kinds[i])
		}
		if tb.Source.Rows != want[tb.Kind] {
			t.Errorf("%s: %d rows copied, want %d", tb.Kind, tb.Source.Rows, want[tb.Kind])
		}
		if back := again.Tables[i]; back.Source != tb.Source {
			t.Errorf("%s: copied back as %+v, copied there as %+v", tb.Kind, back.Source, tb.Source)
		}
	}

	for name, st := range map[string]store.Store{"postgres": pg, "sqlite again": back} {
		svc := service(t, st)
		ctx := t.Context()
		sub, err := svc.AuthenticateCredential(ctx, auth.Credential{Scheme: auth.SchemeAPIKey, KeyID: p.keys[0].ID, KeySecret: p.keys[0].APIKey})
		if err != nil {
			t.Errorf("%s: the key made before does not authenticate: %v", name, err)
		} else if sub.APIKey == nil || sub.APIKey.ID != p.keys[0].ID {
			t.Errorf("%s: authenticated as %+v", name, sub.APIKey)
		}
		if _, err := svc.AuthenticateCredential(ctx, auth.Credential{Scheme: auth.SchemeAPIKey, KeyID: p.keys[2].ID, KeySecret: p.keys[2].APIKey}); err == nil {
			t.Errorf("%s: the invalidated key authenticates", name)
		}
		if _, err := svc.AuthenticateCredential(ctx, auth.Credential{Scheme: auth.SchemeBasic, Username: "alice", Password: p.password}); err != nil {
			t.Errorf("%s: alice does not authenticate: %v", name, err)
		}
		err = st.View(ctx, func(r store.Reader) error {
			k, err := r.GetAPIKey(ctx, p.keys[1].ID)
			if err != nil {
				return err
			}
			if k.Version != 2 || string(k.Metadata) != `{"env":"staging"}` {
				t.Errorf("%s: the updated key is version %d with metadata %s", name, k.Version, k.Metadata)
			}
			l, err := r.GetLineage(ctx, "child-of-ci-deploy")
			if err != nil {
				return err
			}
			if l.Parent != p.keys[0].ID || l.Relation != store.RelationClone {
				t.Errorf("%s: lineage %+v", name, l)
			}
			return nil
		})
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestNonEmptyTarget: a target that holds records is refused, and with
// IntoNonEmpty a merge copies what it lacks and refuses what it has; a
// refusal writes nothing.
func TestNonEmptyTarget(t *testing.T) {
	ctx := t.Context()
	p := populate(t, openSQLite(t))
	dst := openSQLite(t)
	err := dst.Update(ctx, func(w store.Writer) error {
		_, err := w.PutRole(ctx, &store.Role{Name: "other", Descriptor: json.RawMessage(`{}`)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	_, err = storecopy.Copy(ctx, p.st, dst, storecopy.Options{})
	var nonEmpty *storecopy.NonEmptyError
	if !errors.As(err, &nonEmpty) {
		t.Fatalf("Copy into a store with a role = %v, want a NonEmptyError", err)
	}
	if want := "the target store is not empty (it holds 1 roles): nothing was copied"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}

	rep, err := storecopy.Copy(ctx, p.st, dst, storecopy.Options{IntoNonEmpty: true})
	if err != nil {
		t.Fatalf("merge: %v", err)
	}
	if !rep.OK {
		t.Fatalf("the merge differs: %v", rep.Mismatches())
	}

	_, err = storecopy.Copy(ctx, p.st, dst, storecopy.Options{IntoNonEmpty: true})
	var conflict *storecopy.ConflictError
	if !errors.As(err, &conflict) {
		t.Fatalf("a second merge = %v, want a ConflictError", err)
	}
	if conflict.Kind != storecopy.KindAPIKeys || conflict.N != 4 {
		t.Errorf("conflict = %+v", conflict)
	}
	var roles int
	err = dst.View(ctx, func(r store.Reader) error {
		rs, err := r.ListRoles(ctx)
		roles = len(rs)
		return err
	})
	if err != nil || roles != 2 {
		t.Errorf("roles after a refused merge: %d (%v), want 2", roles, err)
	}
}

// lyingStore reads back its keys renamed: a target that does not keep
// what it was given.
type lyingStore struct{ store.Store }

func (s lyingStore) View(ctx context.Context, fn func(store.Reader) error) error {
	return s.Store.View(ctx, func(r store.Reader) error { return fn(lyingReader{r}) })
}

type lyingReader struct{ store.Reader }

func (r lyingReader) FindAPIKeys(ctx context.Context, f store.KeyFilter) ([]*store.APIKey, error) {
	keys, err := r.Reader.FindAPIKeys(ctx, f)
	for _, k := range keys {
		k.Name += " (changed)"
	}
	return keys, err
}

// TestMismatchReported: a copy that does not read back as it was read
// is a Report that is not OK, naming the kind that differs.
func TestMismatchReported(t *testing.T) {
	p := populate(t, openSQLite(t))
	rep, err := storecopy.Copy(t.Context(), p.st, lyingStore{openSQLite(t)}, storecopy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK {
		t.Fatal("a target that reads back other names is OK")
	}
	want := []string{"api_keys (4 rows read, 4 read back)"}
	if got := rep.Mismatches(); !slices.Equal(got, want) {
		t.Errorf("Mismatches() = %q, want %q", got, want)
	}
}
