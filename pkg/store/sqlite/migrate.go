package sqlite

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// applicationID marks a file as an apikeyd database in its header
// (PRAGMA application_id), "apkd" in ASCII. Migration 0001 sets it.
const applicationID = 0x61706B64

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrations are the embedded schema migrations, in order.
var migrations = mustLoadMigrations(migrationFS)

// migration is one schema step: the SQL that takes user_version from
// version-1 to version.
type migration struct {
	version int
	name    string
	sql     string
}

// schemaError is a database whose schema this binary cannot use.
type schemaError struct {
	path string
	msg  string
}

func (e *schemaError) Error() string {
	return fmt.Sprintf("open database %s: %s", e.path, e.msg)
}

// mustLoadMigrations reads the files NNNN_name.sql of fsys, which must be
// numbered 1, 2, 3 ... without gaps. A malformed set is a programming error.
func mustLoadMigrations(fsys fs.FS) []migration {
	ms, err := loadMigrations(fsys)
	if err != nil {
		panic(err)
	}
	return ms
}

func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	// fs.Glob returns names in lexical order; the fixed-width numbers make
	// that the numeric order, which the loop checks.
	var ms []migration
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name is not NNNN_description.sql", name)
		}
		if v != len(ms)+1 {
			return nil, fmt.Errorf("migration %s: want version %d", name, len(ms)+1)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: base, sql: string(b)})
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("no migrations")
	}
	return ms, nil
}

// migrate applies the migrations the database lacks, all in one IMMEDIATE
// transaction: a concurrent Open in another process waits, then finds the
// schema current. It refuses a schema newer than ms and a file that another
// application has already used.
func (db *DB) migrate(ctx context.Context, ms []migration) error {
	latest := ms[len(ms)-1].version
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()

	var current, appID, objects int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&current); err != nil {
		return fmt.Errorf("migrate: read user_version: %w", err)
	}
	if err := tx.QueryRowContext(ctx, "PRAGMA application_id").Scan(&appID); err != nil {
		return fmt.Errorf("migrate: read application_id: %w", err)
	}
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&objects); err != nil {
		return fmt.Errorf("migrate: read schema: %w", err)
	}
	switch {
	case appID != 0 && appID != applicationID:
		return &schemaError{db.path, fmt.Sprintf("the file belongs to another application (application_id %#x)", appID)}
	case current == 0 && objects > 0:
		return &schemaError{db.path, "the file is a SQLite database of another application"}
	case current > latest:
		return &schemaError{db.path, fmt.Sprintf(
			"database schema version %d is newer than this binary supports (%d); upgrade apikeyd/apikeyctl",
			current, latest)}
	case current == latest:
		return nil
	}

	for _, m := range ms[current:] {
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("migrate: apply %s: %w", m.name, err)
		}
	}
	// PRAGMA takes no bound parameters; latest is our own integer.
	if _, err := tx.ExecContext(ctx, "PRAGMA user_version = "+strconv.Itoa(latest)); err != nil {
		return fmt.Errorf("migrate: set user_version: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: commit: %w", err)
	}
	return nil
}
