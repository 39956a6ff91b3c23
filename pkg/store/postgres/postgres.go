// Package postgres is the PostgreSQL backend of store.Store, built on
// github.com/jackc/pgx/v5, for apikeyd replicas that share one key set.
//
// A DB is a bounded pool of connections (pgxpool) to one database. Views
// are REPEATABLE READ READ ONLY transactions: one consistent snapshot,
// never blocking a writer. Every write transaction begins by incrementing
// the one row of store_generation, the change counter behind Generation:
// the row's lock serialises the writers of every process sharing the
// database, so that a write transaction, at READ COMMITTED, sees every
// earlier one committed and none in progress, as if it ran alone. Bulk
// updates and invalidations are therefore whole, never interleaved with
// another writer, and never fail with a serialization error; the version
// check of UpdateAPIKey and UpdateToken turns an update based on a stale
// read into store.ErrConflict. The functions of concurrent Updates run
// together in one such transaction, each in its own savepoint, and commit
// at once (commit.go): one turn on the row's lock and one commit for many
// writes.
//
// Caches stay coherent across the processes sharing the database
// through Generation, which every authentication calls. The transaction
// that increments the change counter also notifies its new value
// (pg_notify, delivered at commit only) on a channel named after the
// counter table. In the default mode, apikeyd_coherence=notify, a
// listener (one connection outside the pool, opened at the first call of
// Generation, so that a process that authenticates nothing never opens
// it) LISTENs on that channel and Generation answers from memory the
// highest generation heard of: notified, read by the listener, or
// committed by this process, which its own next authentication therefore
// sees at once. Another process's change is seen once its notification
// arrives. PostgreSQL loses a notification only with the connection, and
// the listener confirms every interval (apikeyd_coherence_interval, 1s by
// default) that it missed nothing by reading the counter on its own
// connection; while it does not listen (before it first does, while it
// reconnects after losing its connection) or is late (its last such read
// began two intervals ago or more), Generation reads the counter instead,
// as in strict mode. So a change is hidden from another process for at
// most one interval when a notification goes missing on a connection that
// looks alive, and never for two. The mode apikeyd_coherence=strict reads
// the counter on every call: no window at all, one round trip per
// authentication. Both parameters go in the connection string, and are
// taken out of it before pgx sees it.
//
// Statements run through pgx's statement cache: each is prepared once per
// connection. The schema is created and upgraded by the numbered
// migrations embedded from migrations/, recorded in the table
// apikeyd_schema_migrations.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

var _ store.Store = (*DB)(nil)

const (
	// maxConns bounds the pool unless the connection string sets
	// pool_max_conns.
	maxConns = 10
	// connectTimeout bounds the opening of one connection unless the
	// connection string sets connect_timeout.
	connectTimeout = 10 * time.Second
	// maxConnIdle closes connections idle for longer.
	maxConnIdle = 5 * time.Minute
	// healthCheck is how often idle connections are checked.
	healthCheck = 30 * time.Second
)

// DB is a store.Store on one PostgreSQL database. It is safe for
// concurrent use.
type DB struct {
	// name is the connection string without its password, for errors.
	name string
	pool *pgxpool.Pool
	// commits is the queue of the group commit (commit.go).
	commits committer
	// gen is the state of Generation (listener.go).
	gen generation
}

// IsDSN reports whether s names a PostgreSQL database: a postgres:// or
// postgresql:// URL.
func IsDSN(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Open connects to the database dsn (a postgres:// URL or key=value
// connection string, as libpq takes) and brings its schema up to date.
// It fails when the database cannot be reached, holds tables of another
// application, or has a schema newer than this binary supports.
func Open(ctx context.Context, dsn string) (*DB, error) {
	return open(ctx, dsn, func(ctx context.Context, db *DB) error { return db.migrate(ctx, migrations) })
}

// OpenCurrent connects to the database dsn as Open does but changes
// nothing in it: it fails, as Open does, when the schema is not
// apikeyd's or is newer than this binary supports, and also when there
// is none or it is older (apikeyctl migrate reads its source so).
func OpenCurrent(ctx context.Context, dsn string) (*DB, error) {
	return open(ctx, dsn, func(ctx context.Context, db *DB) error { return db.checkCurrent(ctx, migrations) })
}

// open connects to the database dsn and runs prepare on it.
func open(ctx context.Context, dsn string, prepare func(ctx context.Context, db *DB) error) (*DB, error) {
	name := Redact(dsn)
	dsn, coh, err := splitCoherence(dsn)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", name, err)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", name, err)
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		cfg.MaxConns = maxConns
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = connectTimeout
	}
	cfg.MaxConnIdleTime = maxConnIdle
	cfg.HealthCheckPeriod = healthCheck
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", name, err)
	}
	db := &DB{name: name, pool: pool}
	db.gen.init(coh, cfg.ConnConfig)
	if err := prepare(ctx, db); err != nil {
		pool.Close()
		var se *schemaError
		if errors.As(err, &se) {
			return nil, err
		}
		return nil, fmt.Errorf("open database %s: %w", name, err)
	}
	db.startCommitter()
	return db, nil
}

// Close waits for the writes already queued to be committed, stops the
// listener and releases the pool, waiting for the connections in use.
func (db *DB) Close() error {
	db.stopCommitter()
	db.gen.stop()
	db.pool.Close()
	return nil
}

// Redact is the connection string dsn without its password, to be shown.
func Redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && IsDSN(dsn) {
		return u.Redacted()
	}
	var kept []string
	for _, f := range strings.Fields(dsn) {
		if strings.HasPrefix(f, "password=") {
			f = "password=xxxxx"
		}
		kept = append(kept, f)
	}
	return strings.Join(kept, " ")
}

// storageError gives a call that failed for want of a server (it cannot
// be reached, it is shutting down, the connection was cut), of a
// writable database (a hot standby) or of space the store's error for
// it, ErrUnavailable, ErrReadOnly or ErrNoSpace; other errors (a context
// done above all) are returned as they are.
func storageError(err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var (
		pe *pgconn.PgError
		ce *pgconn.ConnectError
		ne net.Error
	)
	switch {
	case errors.As(err, &ce):
		// Whatever the server answered, it could not be reached.
		return fmt.Errorf("%w (%v)", store.ErrUnavailable, err)
	case errors.As(err, &pe):
		switch {
		case pe.Code == "25006": // read_only_sql_transaction
			return fmt.Errorf("%w (%v)", store.ErrReadOnly, err)
		case pe.Code == "53100": // disk_full
			return fmt.Errorf("%w (%v)", store.ErrNoSpace, err)
		case strings.HasPrefix(pe.Code, "08"), // connection exception
			pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03", // shutting down, starting up
			pe.Code == "3D000": // the database does not exist (any more)
			return fmt.Errorf("%w (%v)", store.ErrUnavailable, err)
		}
	case errors.As(err, &ne), errors.Is(err, pgconn.ErrConnClosed),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w (%v)", store.ErrUnavailable, err)
	}
	return err
}

// Prepare brings the schema of the database dsn up to date, as Open
// does, and closes it: for pgtest.Main, whose test databases are then
// copies of a migrated one.
func Prepare(ctx context.Context, dsn string) error {
	db, err := Open(ctx, dsn)
	if err != nil {
		return err
	}
	return db.Close()
}
