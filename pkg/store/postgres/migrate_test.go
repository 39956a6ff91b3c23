package postgres

import (
	"fmt"
	"testing"
	"testing/fstest"
)

func TestMigrations(t *testing.T) {
	const v1 = "CREATE TABLE t (x integer);"
	tests := []struct {
		name  string
		files fstest.MapFS
		want  string // error, "" for none
	}{
		{"ok", fstest.MapFS{
			"migrations/0001_a.sql": {Data: []byte(v1)},
			"migrations/0002_b.sql": {Data: []byte("ALTER TABLE t ADD COLUMN y text;")},
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

// TestMigrateUpgradesInOrder: the migrations a database lacks apply in
// order, all or none, once each, and are recorded.
func TestMigrateUpgradesInOrder(t *testing.T) {
	db := mustOpen(t)
	ctx := t.Context()
	base := len(migrations)
	next := append(append([]migration(nil), migrations...),
		migration{base + 1, fmt.Sprintf("%04d_one.sql", base+1), "CREATE TABLE extra (x integer); INSERT INTO extra VALUES (1);"},
		migration{base + 2, fmt.Sprintf("%04d_two.sql", base+2), "INSERT INTO extra SELECT x + 1 FROM extra;"},
	)
	broken := append(append([]migration(nil), next...),
		migration{base + 3, fmt.Sprintf("%04d_three.sql", base+3), "INSERT INTO extra VALUES (3); SELECT no_such_function();"},
	)
	version := func() int {
		t.Helper()
		var v int
		if err := db.pool.QueryRow(ctx, "SELECT max(version) FROM apikeyd_schema_migrations").Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}

	if err := db.migrate(ctx, broken); err == nil {
		t.Fatal("a failing migration succeeded")
	}
	// Nothing of the failed run remains: not even the first two steps.
	if got := version(); got != base {
		t.Errorf("version after a failed migration = %d, want %d", got, base)
	}
	var exists bool
	if err := db.pool.QueryRow(ctx, "SELECT to_regclass('extra') IS NOT NULL").Scan(&exists); err != nil || exists {
		t.Errorf("table of a rolled back migration: %v, %v", exists, err)
	}

	if err := db.migrate(ctx, next); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if got := version(); got != base+2 {
		t.Errorf("version = %d, want %d", got, base+2)
	}
	sum := func() int {
		t.Helper()
		var n int
		if err := db.pool.QueryRow(ctx, "SELECT sum(x) FROM extra").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := sum(); n != 3 {
		t.Errorf("migrations applied out of order or twice: sum %d", n)
	}
	// Applying again is a no-op.
	if err := db.migrate(ctx, next); err != nil {
		t.Fatalf("migrate again: %v", err)
	}
	if n := sum(); n != 3 {
		t.Errorf("second migrate changed data: sum %d", n)
	}
}
