package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

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

// execRaw runs statements on the file at path without this package's
// Open, and closes it.
func execRaw(tb testing.TB, path, statements string) {
	tb.Helper()
	db := rawDB(tb, path)
	if _, err := db.Exec(statements); err != nil {
		tb.Fatal(err)
	}
	db.Close()
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
				execRaw(t, path, "CREATE TABLE notes (body TEXT)")
			},
			want: "the file is a SQLite database of another application",
		},
		{
			name: "another application id",
			prepare: func(t *testing.T, path string) {
				execRaw(t, path, "PRAGMA application_id = 42; PRAGMA user_version = 1; CREATE TABLE t (x)")
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
