package postgres

import (
	"context"
	"os"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/store"
	"github.com/apikeyctl/apikeyctl/pkg/store/postgres/pgtest"
	"github.com/apikeyctl/apikeyctl/pkg/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

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
