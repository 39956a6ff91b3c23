// Package pgtest gives tests a fresh PostgreSQL database each.
//
// When APIKEYD_TEST_POSTGRES holds a connection string, its server is
// used. Otherwise the first test that asks starts a private server
// (pgserver: a cluster in a temporary directory, served on a Unix socket
// there only, as the unprivileged user nobody when the tests run as
// root), without durability, which is of no use to a throw-away cluster.
// Every test gets its own database, dropped when it ends; Main stops the
// private server when the test binary's tests are done.
//
// A test skips, saying why and how to get a server, when there is none.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/apikeyctl/apikeyctl/pkg/store/postgres/pgserver"
)

// EnvDSN names the environment variable of an existing server's
// connection string (a role that may create databases).
const EnvDSN = "APIKEYD_TEST_POSTGRES"

var (
	once    sync.Once
	admin   string // the connection string of the maintenance database
	srv     *pgserver.Server
	errNone error // why there is no server

	mu   sync.Mutex
	conn *pgx.Conn // to admin, for CREATE and DROP DATABASE
	// prepareTemplate makes the template database, named template once
	// made.
	prepareTemplate func(ctx context.Context, dsn string) error
	template        string
)

// Main runs the tests of m (a *testing.M, or what wraps one) and then
// stops the private server, if one was started; a TestMain calls
// os.Exit(pgtest.Main(m)). When prepare is given, it prepares a template
// database once (creates the schema a store's Open creates, say), and
// every test database is a copy of it, which is quicker than preparing
// each.
func Main(m interface{ Run() int }, prepare ...func(ctx context.Context, dsn string) error) int {
	if len(prepare) > 0 {
		prepareTemplate = prepare[0]
	}
	code := m.Run()
	mu.Lock()
	if template != "" && srv == nil {
		if err := dropDatabase(context.Background(), template); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		}
	}
	if conn != nil {
		conn.Close(context.Background())
		conn = nil
	}
	mu.Unlock()
	if srv != nil {
		if err := srv.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
	}
	return code
}

// setup finds or starts the server, once.
func setup() {
	once.Do(func() {
		if dsn := os.Getenv(EnvDSN); dsn != "" {
			admin = dsn
			return
		}
		s, err := pgserver.Start("fsync=off", "synchronous_commit=off", "full_page_writes=off")
		if err != nil {
			errNone = err
			return
		}
		srv, admin = s, s.DSN("postgres")
	})
}

// DSN returns the connection string of a new database (empty, or a copy
// of Main's template), dropped when tb ends (a private server's go with
// it). It skips tb when no server can be had.
func DSN(tb testing.TB) string {
	tb.Helper()
	dsn, drop, err := NewDatabase(context.Background())
	if errors.Is(err, ErrNoServer) {
		tb.Skip(err.Error())
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := drop(); err != nil {
			tb.Errorf("pgtest: %v", err)
		}
	})
	return dsn
}

// ErrNoServer is NewDatabase's error when no PostgreSQL server can be had.
var ErrNoServer = errors.New("no PostgreSQL server for the tests")

// Available returns nil when there is a server for the tests, starting
// the private one if need be, and otherwise an error that wraps
// ErrNoServer with the reason and the remedy.
func Available() error {
	setup()
	if errNone != nil {
		return noServer()
	}
	return nil
}

// noServer is the error of NewDatabase and Available without a server.
func noServer() error {
	return fmt.Errorf("%w: %v; set %s to the URL of a server (a role that may create databases) "+
		"or install the PostgreSQL server (apt-get install postgresql)", ErrNoServer, errNone, EnvDSN)
}

// NewDatabase creates a new database (empty, or a copy of Main's
// template) and returns its connection string and the function that
// drops it (which leaves a private server's databases to go with it).
// Its error wraps ErrNoServer, with the reason and the remedy, when no
// server can be had.
func NewDatabase(ctx context.Context) (dsn string, drop func() error, err error) {
	if err := Available(); err != nil {
		return "", nil, err
	}
	mu.Lock()
	defer mu.Unlock()
	if prepareTemplate != nil && template == "" {
		name := randomName("tmpl_")
		if err := adminExec(ctx, "CREATE DATABASE "+name); err != nil {
			return "", nil, fmt.Errorf("pgtest: create database: %w", err)
		}
		tdsn, err := pgserver.WithDatabase(admin, name)
		if err == nil {
			err = prepareTemplate(ctx, tdsn)
		}
		if err != nil {
			dropDatabase(ctx, name)
			return "", nil, fmt.Errorf("pgtest: prepare the template database: %w", err)
		}
		template = name
	}
	name := randomName("t_")
	create := "CREATE DATABASE " + name
	if template != "" {
		create += " TEMPLATE " + template
	}
	if err := adminExec(ctx, create); err != nil {
		return "", nil, fmt.Errorf("pgtest: create database: %w", err)
	}
	dsn, err = pgserver.WithDatabase(admin, name)
	if err != nil {
		return "", nil, fmt.Errorf("pgtest: %s: %w", EnvDSN, err)
	}
	drop = func() error {
		// A private server's databases go with it.
		if srv != nil {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		return dropDatabase(context.Background(), name)
	}
	return dsn, drop, nil
}

// randomName is prefix and 16 random hexadecimal digits.
func randomName(prefix string) string {
	b := make([]byte, 8)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// dropDatabase drops the database name, closing its connections; mu is
// held.
func dropDatabase(ctx context.Context, name string) error {
	if err := adminExec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

// adminExec runs a statement on the maintenance connection; mu is held.
func adminExec(ctx context.Context, sql string) error {
	if conn == nil || conn.IsClosed() {
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			return err
		}
		conn = c
	}
	_, err := conn.Exec(ctx, sql)
	return err
}

// Exec runs sql on the server's maintenance database, as the role that
// creates the test databases: for a test that acts on its database from
// outside (refuses its connections, say).
func Exec(ctx context.Context, sql string) error {
	if err := Available(); err != nil {
		return err
	}
	mu.Lock()
	defer mu.Unlock()
	return adminExec(ctx, sql)
}
