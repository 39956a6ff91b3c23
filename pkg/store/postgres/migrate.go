package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrations are the embedded schema migrations, in order.
var migrations = mustLoadMigrations(migrationFS)

// migrateLock is the advisory lock that serialises the migrations of the
// processes opening one database at once ("apkd" in ASCII).
const migrateLock = 0x61706B64

// migration is one schema step: the SQL that takes the schema from
// version-1 to version.
type migration struct {
	version int
	name    string
	sql     string
}

// schemaError is a database whose schema this binary cannot use.
type schemaError struct {
	name string
	msg  string
}

func (e *schemaError) Error() string {
	return fmt.Sprintf("open database %s: %s", e.name, e.msg)
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
		return nil, errors.New("no migrations")
	}
	return ms, nil
}

// migrate applies the migrations the database lacks, all in one
// transaction under an advisory lock: a concurrent Open in another
// process waits, then finds the schema current. Each applied migration is
// a row of apikeyd_schema_migrations. It refuses a schema newer than ms
// and a database whose schema holds tables of another application.
func (db *DB) migrate(ctx context.Context, ms []migration) error {
	latest := ms[len(ms)-1].version
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(migrateLock)); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	var (
		ours   bool
		schema string
		tables int
	)
	err = tx.QueryRow(ctx, `SELECT
			to_regclass('apikeyd_schema_migrations') IS NOT NULL, current_schema(),
			(SELECT count(*) FROM pg_tables WHERE schemaname = current_schema())`).Scan(&ours, &schema, &tables)
	if err != nil {
		return fmt.Errorf("migrate: read schema: %w", err)
	}
	current := 0
	switch {
	case !ours && tables > 0:
		return &schemaError{db.name, fmt.Sprintf("the schema %q holds tables of another application", schema)}
	case !ours:
		if _, err := tx.Exec(ctx, `CREATE TABLE apikeyd_schema_migrations (
				version    integer     NOT NULL PRIMARY KEY,
				name       text        NOT NULL,
				applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	default:
		if err := tx.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM apikeyd_schema_migrations").Scan(&current); err != nil {
			return fmt.Errorf("migrate: read version: %w", err)
		}
	}
	switch {
	case current > latest:
		return &schemaError{db.name, fmt.Sprintf(
			"database schema version %d is newer than this binary supports (%d); upgrade apikeyd/apikeyctl",
			current, latest)}
	case current == latest:
		return nil
	}
	for _, m := range ms[current:] {
		// The simple protocol runs a file of several statements at once.
		if _, err := tx.Exec(ctx, m.sql, pgx.QueryExecModeSimpleProtocol); err != nil {
			return fmt.Errorf("migrate: apply %s: %w", m.name, err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO apikeyd_schema_migrations (version, name) VALUES ($1, $2)",
			m.version, m.name); err != nil {
			return fmt.Errorf("migrate: record %s: %w", m.name, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("migrate: commit: %w", err)
	}
	return nil
}

// checkCurrent returns a schemaError unless the database holds apikeyd's
// schema at the version of ms, the newest this binary knows.
func (db *DB) checkCurrent(ctx context.Context, ms []migration) error {
	latest := ms[len(ms)-1].version
	var ours bool
	if err := db.pool.QueryRow(ctx, "SELECT to_regclass('apikeyd_schema_migrations') IS NOT NULL").Scan(&ours); err != nil {
		return fmt.Errorf("read schema: %w", err)
	}
	if !ours {
		return &schemaError{db.name, "the database holds no apikeyd store"}
	}
	var current int
	if err := db.pool.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM apikeyd_schema_migrations").Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	switch {
	case current > latest:
		return &schemaError{db.name, fmt.Sprintf(
			"database schema version %d is newer than this binary supports (%d); upgrade apikeyd/apikeyctl", current, latest)}
	case current < latest:
		return &schemaError{db.name, fmt.Sprintf(
			"database schema version %d is older than this binary's (%d); upgrade it first by opening it with this version's apikeyd or apikeyctl --store", current, latest)}
	}
	return nil
}
