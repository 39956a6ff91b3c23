package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/store"
	"github.com/apikeyctl/apikeyctl/pkg/store/storetest"
)

// mustOpen opens the database at path, closed when the test ends.
func mustOpen(tb testing.TB, path string) *DB {
	tb.Helper()
	db, err := Open(context.Background(), path)
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

// tempPath is a database path in a fresh temporary directory.
func tempPath(tb testing.TB) string {
	return filepath.Join(tb.TempDir(), "apikeyd.db")
}

// rawDB opens path with the plain driver, bypassing Open.
func rawDB(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func pragmaInt(tb testing.TB, db *sql.DB, pragma string) int {
	tb.Helper()
	var n int
	if err := db.QueryRow("PRAGMA " + pragma).Scan(&n); err != nil {
		tb.Fatalf("PRAGMA %s: %v", pragma, err)
	}
	return n
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return mustOpen(t, tempPath(t)) })
}

func TestOpenSetsSchema(t *testing.T) {
	path := tempPath(t)
	db := mustOpen(t, path)
	latest := migrations[len(migrations)-1].version

	if got := pragmaInt(t, db.write, "user_version"); got != latest {
		t.Errorf("user_version = %d, want %d", got, latest)
	}
	if got := pragmaInt(t, db.write, "application_id"); got != applicationID {
		t.Errorf("application_id = %#x, want %#x", got, applicationID)
	}
	var mode string
	if err := db.read.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	for _, tc := range []struct {
		pool   *sql.DB
		pragma string
		want   int
	}{
		{db.write, "busy_timeout", int(busyTimeout.Milliseconds())},
		{db.read, "busy_timeout", int(busyTimeout.Milliseconds())},
		{db.write, "foreign_keys", 1},
		{db.write, "synchronous", 2},
		{db.read, "query_only", 1},
		{db.write, "query_only", 0},
	} {
		if got := pragmaInt(t, tc.pool, tc.pragma); got != tc.want {
			t.Errorf("%s = %d, want %d", tc.pragma, got, tc.want)
		}
	}
	rows, err := db.write.Query("SELECT name, strict FROM pragma_table_list WHERE schema = 'main' AND name NOT LIKE 'sqlite%'")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	tables := map[string]bool{}
	for rows.Next() {
		var name string
		var strict bool
		if err := rows.Scan(&name, &strict); err != nil {
			t.Fatal(err)
		}
		tables[name] = strict
	}
	for _, name := range []string{"api_keys", "users", "roles"} {
		if strict, ok := tables[name]; !ok || !strict {
			t.Errorf("table %s: present %v, strict %v", name, ok, strict)
		}
	}
}

func TestReopenKeepsData(t *testing.T) {
	path := tempPath(t)
	ctx := t.Context()
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(ctx, func(w store.Writer) error {
		if err := w.InsertAPIKey(ctx, &store.APIKey{ID: "k1", Name: "n", Type: "rest", Hash: "h",
			Metadata: json.RawMessage(`{"a": 1}`)}); err != nil {
			return err
		}
		_, err := w.PutUser(ctx, &store.User{Username: "u", PasswordHash: "p", Roles: []string{"r"}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = mustOpen(t, path)
	err = db.View(ctx, func(r store.Reader) error {
		k, err := r.GetAPIKey(ctx, "k1")
		if err != nil {
			return err
		}
		if string(k.Metadata) != `{"a": 1}` || k.Version != 1 {
			t.Errorf("reopened key: metadata %s version %d", k.Metadata, k.Version)
		}
		u, err := r.GetUser(ctx, "u")
		if err != nil {
			return err
		}
		if len(u.Roles) != 1 || u.Roles[0] != "r" {
			t.Errorf("reopened user roles %q", u.Roles)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := pragmaInt(t, db.write, "user_version"); got != len(migrations) {
		t.Errorf("user_version after reopen = %d", got)
	}
}

func TestOpenRefuses(t *testing.T) {
	latest := migrations[len(migrations)-1].version
	tests := []struct {
		name    string
		prepare func(t *testing.T, path string)
		want    string
	}{
		{
			name: "newer schema",
			prepare: func(t *testing.T, path string) {
				db, err := Open(t.Context(), path)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := db.write.Exec(fmt.Sprintf("PRAGMA user_version = %d", latest+1)); err != nil {
					t.Fatal(err)
				}
				db.Close()
			},
			want: fmt.Sprintf("database schema version %d is newer than this binary supports (%d); upgrade apikeyd/apikeyctl",
				latest+1, latest),
		},
		{
			name: "garbage",
			prepare: func(t *testing.T, path string) {
				garbage := bytes.Repeat([]byte("this is not a database, it is a text file\n"), 200)
				if err := os.WriteFile(path, garbage, 0o600); err != nil {
					t.Fatal(err)
				}
			},
			want: "the file is not a SQLite database",
		},
		{
			name: "short garbage",
			prepare: func(t *testing.T, path string) {
				if err := os.WriteFile(path, []byte("hello"), 0o600); err != nil {
					t.Fatal(err)
				}
			},
			want: "the file is not a SQLite database",
		},
		{
			name: "another application's database",
			prepare: func(t *testing.T, path string) {
				db := rawDB(t, path)
				if _, err := db.Exec("CREATE TABLE notes (body TEXT)"); err != nil {
					t.Fatal(err)
				}
				db.Close()
			},
			want: "the file is a SQLite database of another application",
		},
		{
			name: "another application id",
			prepare: func(t *testing.T, path string) {
				db := rawDB(t, path)
				if _, err := db.Exec("PRAGMA application_id = 42; PRAGMA user_version = 1; CREATE TABLE t (x)"); err != nil {
					t.Fatal(err)
				}
				db.Close()
			},
			want: "the file belongs to another application (application_id 0x2a)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tempPath(t)
			tt.prepare(t, path)
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			db, err := Open(t.Context(), path)
			if err == nil {
				db.Close()
				t.Fatal("Open succeeded")
			}
			if want := "open database " + path + ": " + tt.want; err.Error() != want {
				t.Errorf("Open error:\n got %q\nwant %q", err, want)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Error("a refused Open modified the file")
			}
		})
	}
}

func TestOpenMissingDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "apikeyd.db")
	_, err := Open(t.Context(), path)
	if want := "open database " + path + ": no such file or directory"; err == nil || err.Error() != want {
		t.Errorf("Open = %v, want %q", err, want)
	}
}

func TestFileMode(t *testing.T) {
	path := tempPath(t)
	db := mustOpen(t, path)
	// A write makes sure the -wal and -shm files exist.
	err := db.Update(t.Context(), func(w store.Writer) error {
		_, err := w.PutRole(t.Context(), &store.Role{Name: "r", Descriptor: json.RawMessage(`{}`)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Errorf("stat: %v", err)
			continue
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s has mode %#o, want 0600", filepath.Base(p), mode)
		}
	}
}

func TestOpenUnusualPath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "dir with spaces %20 #frag ?q=1")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "a?b#c%41.db")
	mustOpen(t, path).Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not created at the given path: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "a?b#c%41.db") {
			t.Errorf("stray file %q", e.Name())
		}
	}
	// Reopen finds the same database.
	mustOpen(t, path)
}

func TestMigrations(t *testing.T) {
	v1 := "CREATE TABLE t (x INTEGER) STRICT;"
	tests := []struct {
		name  string
		files fstest.MapFS
		want  string // error, "" for none
	}{
		{"ok", fstest.MapFS{
			"migrations/0001_a.sql": {Data: []byte(v1)},
			"migrations/0002_b.sql": {Data: []byte("ALTER TABLE t ADD COLUMN y TEXT;")},
		}, ""},
		{"gap", fstest.MapFS{
			"migrations/0001_a.sql": {Data: []byte(v1)},
			"migrations/0003_c.sql": {Data: []byte(v1)},
		}, "migration migrations/0003_c.sql: want version 2"},
		{"bad name", fstest.MapFS{
			"migrations/init.sql": {Data: []byte(v1)},
		}, "migration migrations/init.sql: name is not NNNN_description.sql"},
		{"none", fstest.MapFS{}, "no migrations"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, err := loadMigrations(tt.files)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("loadMigrations: %v", err)
			case tt.want != "" && (err == nil || err.Error() != tt.want):
				t.Fatalf("loadMigrations error = %v, want %q", err, tt.want)
			case tt.want == "" && (len(ms) != 2 || ms[0].version != 1 || ms[1].version != 2):
				t.Fatalf("loadMigrations = %+v", ms)
			}
		})
	}
	// The embedded set loads.
	if _, err := loadMigrations(migrationFS); err != nil {
		t.Fatalf("embedded migrations: %v", err)
	}
}

func TestMigrateUpgradesInOrder(t *testing.T) {
	path := tempPath(t)
	db := mustOpen(t, path)
	base := len(migrations)
	next := append(append([]migration(nil), migrations...),
		migration{base + 1, fmt.Sprintf("%04d_one.sql", base+1), "CREATE TABLE extra (x INTEGER) STRICT; INSERT INTO extra VALUES (1);"},
		migration{base + 2, fmt.Sprintf("%04d_two.sql", base+2), "INSERT INTO extra SELECT x + 1 FROM extra;"},
	)
	broken := append(append([]migration(nil), next...),
		migration{base + 3, fmt.Sprintf("%04d_three.sql", base+3), "INSERT INTO extra VALUES (3); SELECT no_such_function();"},
	)

	if err := db.migrate(t.Context(), broken); err == nil {
		t.Fatal("a failing migration succeeded")
	}
	// Nothing of the failed run remains: not even the first two steps.
	if got := pragmaInt(t, db.write, "user_version"); got != base {
		t.Errorf("user_version after a failed migration = %d, want %d", got, base)
	}
	var n int
	if err := db.write.QueryRow("SELECT count(*) FROM sqlite_schema WHERE name = 'extra'").Scan(&n); err != nil || n != 0 {
		t.Errorf("table of a rolled back migration: count %d, %v", n, err)
	}

	if err := db.migrate(t.Context(), next); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if got := pragmaInt(t, db.write, "user_version"); got != base+2 {
		t.Errorf("user_version = %d, want %d", got, base+2)
	}
	if err := db.write.QueryRow("SELECT sum(x) FROM extra").Scan(&n); err != nil || n != 3 {
		t.Errorf("migrations applied out of order or twice: sum %d, %v", n, err)
	}
	// Applying again is a no-op.
	if err := db.migrate(t.Context(), next); err != nil {
		t.Fatalf("migrate again: %v", err)
	}
	if err := db.write.QueryRow("SELECT sum(x) FROM extra").Scan(&n); err != nil || n != 3 {
		t.Errorf("second migrate changed data: sum %d, %v", n, err)
	}
}

func TestConcurrentOpen(t *testing.T) {
	path := tempPath(t)
	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	dbs := make([]*DB, n)
	for i := range n {
		wg.Go(func() { dbs[i], errs[i] = Open(t.Context(), path) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Errorf("Open %d: %v", i, errs[i])
			continue
		}
		dbs[i].Close()
	}
}

// TestConcurrentWriters writes from two DBs on one file, as the daemon and
// a CLI would, from many goroutines each: nothing is lost and no caller
// sees SQLITE_BUSY.
func TestConcurrentWriters(t *testing.T) {
	path := tempPath(t)
	dbs := []*DB{mustOpen(t, path), mustOpen(t, path)}
	const goroutines, keys = 8, 50
	ctx := t.Context()

	var wg sync.WaitGroup
	errs := make(chan error, len(dbs)*goroutines*keys*3)
	for d, db := range dbs {
		for g := range goroutines {
			wg.Go(func() {
				for i := range keys {
					id := fmt.Sprintf("d%d-g%d-k%03d", d, g, i)
					k := &store.APIKey{ID: id, Name: id, Type: "rest", Creation: int64(i), Hash: "h"}
					errs <- db.Update(ctx, func(w store.Writer) error { return w.InsertAPIKey(ctx, k) })
					errs <- db.Update(ctx, func(w store.Writer) error {
						k, err := w.GetAPIKey(ctx, id)
						if err != nil {
							return err
						}
						k.Metadata = json.RawMessage(`{"updated":true}`)
						return w.UpdateAPIKey(ctx, k)
					})
					errs <- db.View(ctx, func(r store.Reader) error {
						_, err := r.GetAPIKey(ctx, id)
						return err
					})
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if err != nil {
			if failed++; failed <= 5 {
				t.Errorf("concurrent write: %v (busy: %v)", err, isBusy(err))
			}
		}
	}

	for _, db := range dbs {
		err := db.View(ctx, func(r store.Reader) error {
			all, err := r.FindAPIKeys(ctx, store.KeyFilter{})
			if err != nil {
				return err
			}
			if len(all) != len(dbs)*goroutines*keys {
				t.Errorf("found %d keys, want %d", len(all), len(dbs)*goroutines*keys)
			}
			for _, k := range all {
				if k.Version != 2 || string(k.Metadata) != `{"updated":true}` {
					t.Errorf("key %s: version %d metadata %s, want 2 {\"updated\":true}", k.ID, k.Version, k.Metadata)
					break
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestWaitsForOtherProcess holds the write lock from one DB while another
// writes and reads: the writer waits, the reader does not.
func TestWaitsForOtherProcess(t *testing.T) {
	path := tempPath(t)
	holder, waiter := mustOpen(t, path), mustOpen(t, path)
	ctx := t.Context()

	locked := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- holder.Update(ctx, func(w store.Writer) error {
			_, err := w.PutRole(ctx, &store.Role{Name: "held", Descriptor: json.RawMessage(`{}`)})
			close(locked)
			<-release
			return err
		})
	}()
	<-locked

	// Readers are not blocked by the writer, and see the last commit.
	err := waiter.View(ctx, func(r store.Reader) error {
		_, err := r.GetRole(ctx, "held")
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("View saw an uncommitted role: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("View while another process writes: %v", err)
	}

	time.AfterFunc(300*time.Millisecond, func() { close(release) })
	start := time.Now()
	err = waiter.Update(ctx, func(w store.Writer) error {
		_, err := w.GetRole(ctx, "held") // runs after the holder committed
		return err
	})
	if err != nil {
		t.Fatalf("Update waiting for another process: %v", err)
	}
	if waited := time.Since(start); waited < 200*time.Millisecond {
		t.Errorf("Update did not wait for the lock (%v)", waited)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestBusyEndsWithContext gives up waiting for another process's lock once
// the context is done, and reports the context, not SQLITE_BUSY.
func TestBusyEndsWithContext(t *testing.T) {
	path := tempPath(t)
	holder, waiter := mustOpen(t, path), mustOpen(t, path)

	locked := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- holder.Update(context.Background(), func(store.Writer) error {
			close(locked)
			<-release
			return nil
		})
	}()
	<-locked
	defer func() {
		close(release)
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()

	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := waiter.Update(ctx, func(store.Writer) error { return nil })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Update = %v, want context.DeadlineExceeded", err)
	}
	if isBusy(err) {
		t.Errorf("Update reported SQLITE_BUSY: %v", err)
	}
	if waited := time.Since(start); waited > 2*time.Second {
		t.Errorf("Update waited %v after its context ended", waited)
	}
}

func TestPrefixEnd(t *testing.T) {
	tests := []struct {
		name, prefix, want string
		ok                 bool
	}{
		{"ascii", "abc", "abd", true},
		{"percent", "50%", "50&", true},
		{"underscore", "a_", "a`", true},
		{"two-byte", "é", "\xc3\xaa", true},
		{"three-byte", "日", "\xe6\x97\xa6", true},
		{"last code point", "z\U0010FFFF", "z\xf4\x8f\xbf\xc0", true},
		{"trailing 0xff", "a\xff\xff", "b", true},
		{"only 0xff", "\xff\xff", "", false},
		{"empty", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := prefixEnd(tt.prefix)
			if got != tt.want || ok != tt.ok {
				t.Errorf("prefixEnd(%q) = %q, %v; want %q, %v", tt.prefix, got, ok, tt.want, tt.ok)
			}
		})
	}
}

// TestKeyQuery checks that filters bind their values and use the indexes.
func TestKeyQuery(t *testing.T) {
	db := mustOpen(t, tempPath(t))
	tests := []struct {
		name   string
		filter store.KeyFilter
		index  string // in the query plan
	}{
		{"ids", store.KeyFilter{IDs: []string{"x'--"}}, "(id=?)"},
		{"name", store.KeyFilter{Name: "x'--"}, "api_keys_name (name=?)"},
		{"name prefix", store.KeyFilter{Name: "x'--", NamePrefix: true}, "api_keys_name (name>? AND name<?)"},
		{"username", store.KeyFilter{Username: "x'--"}, "api_keys_owner (principal=?)"},
		{"username realms", store.KeyFilter{Username: "x'--", Realms: []string{"r"}}, "api_keys_owner (principal=? AND realm=?)"},
		{"all", store.KeyFilter{}, "api_keys_creation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			query, args, err := keyQuery(tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(query, "x'--") {
				t.Errorf("a value is part of the SQL: %s", query)
			}
			rows, err := db.read.Query("EXPLAIN QUERY PLAN "+query, args...)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, notused int
				var detail string
				if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			if p := strings.Join(plan, "; "); !strings.Contains(p, tt.index) {
				t.Errorf("query plan %q does not use %q", p, tt.index)
			}
		})
	}
}
