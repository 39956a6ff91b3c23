package sqlite

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/store"
	"github.com/apikeyctl/apikeyctl/pkg/store/storetest"
)

// TestWritesWithoutStorage: a database that cannot be written, or has no
// space left, refuses writes with ErrReadOnly or ErrNoSpace, loses nothing
// already written, stays intact, and takes writes again once it can.
func TestWritesWithoutStorage(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixMilli()
	for _, c := range []struct {
		name           string
		block, unblock string // pragmas run on the writer's connection
		want           error
	}{
		// query_only makes SQLite refuse writes as for a read-only file.
		{name: "read-only", block: "PRAGMA query_only = 1", unblock: "PRAGMA query_only = 0", want: store.ErrReadOnly},
		// A page limit at the current size is a full disk to SQLite.
		{name: "no space", block: "PRAGMA max_page_count = %d", unblock: "PRAGMA max_page_count = 1073741823", want: store.ErrNoSpace},
	} {
		t.Run(c.name, func(t *testing.T) {
			db := mustOpen(t, tempPath(t))
			keys := storetest.GenerateKeys(1, 400, now)
			insert := func(batch []*store.APIKey) error {
				return db.Update(ctx, func(w store.Writer) error {
					for _, k := range batch {
						if err := w.InsertAPIKey(ctx, k); err != nil {
							return err
						}
					}
					return nil
				})
			}
			if err := insert(keys[:100]); err != nil {
				t.Fatal(err)
			}
			block := c.block
			if c.want == store.ErrNoSpace {
				var pages int
				if err := db.write.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
					t.Fatal(err)
				}
				block = fmt.Sprintf(block, pages)
			}
			if _, err := db.write.ExecContext(ctx, block); err != nil {
				t.Fatal(err)
			}
			err := insert(keys[100:])
			if !errors.Is(err, c.want) {
				t.Fatalf("write: %v, want %v", err, c.want)
			}
			if got := countKeys(t, db); got != 100 {
				t.Fatalf("%d keys after the refused write, want the 100 written before", got)
			}
			var check string
			if err := db.write.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
				t.Fatalf("integrity_check: %q %v", check, err)
			}
			if _, err := db.write.ExecContext(ctx, c.unblock); err != nil {
				t.Fatal(err)
			}
			if err := insert(keys[100:]); err != nil {
				t.Fatalf("write once unblocked: %v", err)
			}
			if got := countKeys(t, db); got != 400 {
				t.Fatalf("%d keys, want 400", got)
			}
		})
	}
}

func countKeys(t *testing.T, db *DB) int {
	t.Helper()
	var n int
	err := db.View(context.Background(), func(r store.Reader) error {
		page, err := r.QueryAPIKeys(context.Background(), &store.KeySearch{})
		if err == nil {
			n = int(page.Total)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCancelledWriteFreesTheWriter: a write whose context ends in the
// middle (a request past its timeout) is interrupted and rolled back, and
// the writer serves the next write at once.
func TestCancelledWriteFreesTheWriter(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t, tempPath(t))
	keys := storetest.GenerateKeys(1, 200, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixMilli())
	wctx, cancel := context.WithCancel(ctx)
	err := db.Update(wctx, func(w store.Writer) error {
		for i, k := range keys[:100] {
			if i == 50 {
				cancel() // the deadline passes in the middle of the work
			}
			if err := w.InsertAPIKey(wctx, k); err != nil {
				return err
			}
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled write: %v, want context.Canceled", err)
	}
	if got := countKeys(t, db); got != 0 {
		t.Fatalf("%d keys of the cancelled write were kept", got)
	}
	err = db.Update(ctx, func(w store.Writer) error {
		for _, k := range keys[100:] {
			if err := w.InsertAPIKey(ctx, k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || countKeys(t, db) != 100 {
		t.Fatalf("the next write: %v, %d keys", err, countKeys(t, db))
	}
}

// TestCancelledTransactionSaysWhy: once a write's context ends,
// database/sql rolls its transaction back; what the write does next fails
// with "transaction has already been committed or rolled back", and
// Update reports the cancellation instead.
func TestCancelledTransactionSaysWhy(t *testing.T) {
	db := mustOpen(t, tempPath(t))
	ctx, cancel := context.WithCancel(context.Background())
	err := db.Update(ctx, func(w store.Writer) error {
		cancel()
		for {
			// Statements of their own context: only the transaction's
			// rollback (asynchronous, in database/sql) ends this loop.
			if _, err := w.GetAPIKey(context.Background(), "none"); !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Update = %v, want context.Canceled", err)
	}
}
