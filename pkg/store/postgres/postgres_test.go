package postgres

import (
	"context"
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/store"
	"github.com/apikeyctl/apikeyctl/pkg/store/postgres/pgtest"
	"github.com/apikeyctl/apikeyctl/pkg/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, Prepare)) }

// mustOpen opens a store on a fresh database, closed when the test ends.
func mustOpen(tb testing.TB) *DB {
	tb.Helper()
	return openDSN(tb, pgtest.DSN(tb))
}

// openDSN opens the store on dsn, closed when the test ends.
func openDSN(tb testing.TB, dsn string) *DB {
	tb.Helper()
	db, err := Open(context.Background(), dsn)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return db
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return mustOpen(t) })
}

func TestStoreStatsContract(t *testing.T) {
	storetest.RunStats(t, func(t *testing.T) store.Store { return mustOpen(t) })
}

// TestOpenRefuses: a database this binary cannot use is refused, saying
// why, and left as it was.
func TestOpenRefuses(t *testing.T) {
	tests := []struct {
		name  string
		setup string
		want  string
	}{
		{"newer schema", "INSERT INTO apikeyd_schema_migrations (version, name) VALUES (100000, '100000_future.sql')",
			"is newer than this binary supports"},
		{"tables of another application", "DROP TABLE apikeyd_schema_migrations", "holds tables of another application"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dsn := pgtest.DSN(t)
			db := openDSN(t, dsn)
			if _, err := db.pool.Exec(t.Context(), tt.setup); err != nil {
				t.Fatal(err)
			}
			_, err := Open(t.Context(), dsn)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Open = %v, want an error saying %q", err, tt.want)
			}
		})
	}
}

// TestOpenCurrent: OpenCurrent opens a database at this binary's schema
// and refuses, without changing it, one at another version or without
// apikeyd's schema.
func TestOpenCurrent(t *testing.T) {
	tests := []struct {
		name  string
		setup string
		want  string // "" opens
	}{
		{"current", "", ""},
		{"newer schema", "INSERT INTO apikeyd_schema_migrations (version, name) VALUES (100000, '100000_future.sql')",
			"is newer than this binary supports"},
		{"older schema", "DELETE FROM apikeyd_schema_migrations WHERE version = (SELECT max(version) FROM apikeyd_schema_migrations)",
			"is older than this binary's"},
		{"no store", "DROP TABLE apikeyd_schema_migrations", "holds no apikeyd store"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dsn := pgtest.DSN(t)
			db := openDSN(t, dsn)
			if tt.setup != "" {
				if _, err := db.pool.Exec(t.Context(), tt.setup); err != nil {
					t.Fatal(err)
				}
			}
			var before int
			if err := db.pool.QueryRow(t.Context(), "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()").Scan(&before); err != nil {
				t.Fatal(err)
			}
			got, err := OpenCurrent(t.Context(), dsn)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("OpenCurrent = %v", err)
				}
				got.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("OpenCurrent = %v, want an error saying %q", err, tt.want)
			}
			var after int
			if err := db.pool.QueryRow(t.Context(), "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()").Scan(&after); err != nil {
				t.Fatal(err)
			}
			if after != before {
				t.Errorf("the refused database went from %d tables to %d", before, after)
			}
		})
	}
}

// TestReopen: a second Open of a current database, as another replica's,
// changes nothing and shares its records and its generation.
func TestReopen(t *testing.T) {
	dsn := pgtest.DSN(t)
	a, b := openDSN(t, dsn), openDSN(t, dsn)
	g0, err := b.Generation(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	err = a.Update(t.Context(), func(w store.Writer) error {
		return w.InsertAPIKey(t.Context(), &store.APIKey{ID: "k1", Name: "n", Type: "rest", Hash: "h",
			Creator: store.Creator{Principal: "p", Realm: "r", RealmType: "native"}})
	})
	if err != nil {
		t.Fatal(err)
	}
	// The other store hears of the write by notification: soon, not at
	// once (generation_test.go pins how soon).
	waitFor(t, "the other store's generation to move", func() bool {
		g1, err := b.Generation(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return g1 != g0
	})
	err = b.View(t.Context(), func(r store.Reader) error {
		_, err := r.GetAPIKey(t.Context(), "k1")
		return err
	})
	if err != nil {
		t.Errorf("the other store: %v", err)
	}
}

// TestTwoStoresLoseNoUpdate: of two stores (two replicas) updating a key
// from the same read, the second update is a conflict, not a lost update.
func TestTwoStoresLoseNoUpdate(t *testing.T) {
	dsn := pgtest.DSN(t)
	a, b := openDSN(t, dsn), openDSN(t, dsn)
	ctx := t.Context()
	k := &store.APIKey{ID: "k1", Name: "n", Type: "rest", Hash: "h",
		Creator: store.Creator{Principal: "p", Realm: "r", RealmType: "native"}}
	if err := a.Update(ctx, func(w store.Writer) error { return w.InsertAPIKey(ctx, k) }); err != nil {
		t.Fatal(err)
	}
	read := func(st store.Store) *store.APIKey {
		var got *store.APIKey
		err := st.View(ctx, func(r store.Reader) (err error) {
			got, err = r.GetAPIKey(ctx, "k1")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	ka, kb := read(a), read(b)
	ka.Name, kb.Name = "by-a", "by-b"
	if err := a.Update(ctx, func(w store.Writer) error { return w.UpdateAPIKey(ctx, ka) }); err != nil {
		t.Fatalf("first update: %v", err)
	}
	err := b.Update(ctx, func(w store.Writer) error { return w.UpdateAPIKey(ctx, kb) })
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second update = %v, want ErrConflict", err)
	}
	if got := read(b); got.Name != "by-a" || got.Version != 2 {
		t.Errorf("stored name %q version %d, want by-a 2", got.Name, got.Version)
	}
}

// TestUnavailable: while the database refuses connections (a server
// down, a failover), every call fails with ErrUnavailable; once it
// accepts them again, the same store works, without being reopened.
func TestUnavailable(t *testing.T) {
	db := mustOpen(t)
	ctx := t.Context()
	var name string
	if err := db.pool.QueryRow(ctx, "SELECT current_database()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	admin := func(sql string) {
		t.Helper()
		if err := pgtest.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	admin("ALTER DATABASE " + name + " ALLOW_CONNECTIONS false")
	admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + name + "'")
	t.Cleanup(func() { pgtest.Exec(context.Background(), "ALTER DATABASE "+name+" ALLOW_CONNECTIONS true") })

	calls := []struct {
		name string
		call func() error
	}{
		{"Generation", func() error { _, err := db.Generation(ctx); return err }},
		{"View", func() error {
			return db.View(ctx, func(r store.Reader) error { _, err := r.ListUsers(ctx); return err })
		}},
		{"Update", func() error {
			return db.Update(ctx, func(w store.Writer) error { return w.DeleteRole(ctx, "none") })
		}},
	}
	for _, c := range calls {
		if err := c.call(); !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%s while the database is away = %v, want ErrUnavailable", c.name, err)
		}
	}
	admin("ALTER DATABASE " + name + " ALLOW_CONNECTIONS true")
	if err := calls[0].call(); err != nil {
		t.Errorf("Generation once the database is back: %v", err)
	}
	if err := calls[1].call(); err != nil {
		t.Errorf("View once the database is back: %v", err)
	}
}

// TestCheck: doctor's view of the database says which server it is,
// whether the schema is the one this binary knows, and what it holds.
func TestCheck(t *testing.T) {
	tests := []struct {
		name  string
		setup string
		want  []api.CheckStatus
		say   string
	}{
		{"current", "SELECT 1", []api.CheckStatus{api.CheckOK, api.CheckOK, api.CheckOK}, "the newest this binary knows"},
		{"newer", "INSERT INTO apikeyd_schema_migrations (version, name) VALUES (100000, 'x')",
			[]api.CheckStatus{api.CheckOK, api.CheckFail, api.CheckOK}, "upgrade apikeyd and apikeyctl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := mustOpen(t)
			if _, err := db.pool.Exec(t.Context(), tt.setup); err != nil {
				t.Fatal(err)
			}
			checks := db.Check(t.Context())
			var got []api.CheckStatus
			for _, c := range checks {
				got = append(got, c.Status)
			}
			if !slices.Equal(got, tt.want) || !strings.Contains(checks[1].Message, tt.say) {
				t.Errorf("checks = %+v, want statuses %v and %q", checks, tt.want, tt.say)
			}
			if !strings.HasPrefix(checks[0].Message, "PostgreSQL ") || checks[2].Message != "0 API keys, 0 users, 0 roles" {
				t.Errorf("checks = %+v", checks)
			}
		})
	}
}

// TestTwoStoresSerialiseWrites: write transactions of two stores on one
// database (two replicas) take turns, each seeing every earlier one: read-
// modify-write updates running at once through both lose nothing and
// never conflict.
func TestTwoStoresSerialiseWrites(t *testing.T) {
	dsn := pgtest.DSN(t)
	stores := []*DB{openDSN(t, dsn), openDSN(t, dsn)}
	ctx := t.Context()
	k := &store.APIKey{ID: "counter", Name: "0", Type: "rest", Hash: "h",
		Creator: store.Creator{Principal: "p", Realm: "r", RealmType: "native"}}
	if err := stores[0].Update(ctx, func(w store.Writer) error { return w.InsertAPIKey(ctx, k) }); err != nil {
		t.Fatal(err)
	}
	const perStore = 20
	var wg sync.WaitGroup
	errs := make(chan error, 2*perStore)
	for _, st := range stores {
		for range perStore {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- st.Update(ctx, func(w store.Writer) error {
					k, err := w.GetAPIKey(ctx, "counter")
					if err != nil {
						return err
					}
					n, err := strconv.Atoi(k.Name)
					if err != nil {
						return err
					}
					k.Name = strconv.Itoa(n + 1)
					return w.UpdateAPIKey(ctx, k)
				})
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("update: %v", err)
		}
	}
	err := stores[1].View(ctx, func(r store.Reader) error {
		k, err := r.GetAPIKey(ctx, "counter")
		if err == nil && (k.Name != strconv.Itoa(2*perStore) || k.Version != 2*perStore+1) {
			t.Errorf("counter %s at version %d, want %d at %d", k.Name, k.Version, 2*perStore, 2*perStore+1)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
