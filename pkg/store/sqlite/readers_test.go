package sqlite

import (
	"errors"
	"fmt"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/query"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// TestReadConnectionsKeepStatements: a search compiled at run time is
// prepared once per read connection, the cache stays bounded, and a View
// whose function fails or panics leaves its connection usable.
func TestReadConnectionsKeepStatements(t *testing.T) {
	db := mustOpen(t, tempPath(t))
	ctx := t.Context()
	if err := db.Update(ctx, func(w store.Writer) error { return w.InsertAPIKey(ctx, leafKey("a", `{"env":"prod"}`)) }); err != nil {
		t.Fatal(err)
	}
	prepared := func() int {
		n := 0
		for range cap(db.readers) {
			rc := <-db.readers
			n += len(rc.stmts)
			defer func() { db.readers <- rc }()
		}
		return n
	}
	for range 5 {
		if got := termIDs(t, db, "metadata.env", "prod"); len(got) != 1 {
			t.Fatalf("term = %q", got)
		}
	}
	once := prepared()
	for range 5 {
		termIDs(t, db, "metadata.env", "prod")
	}
	if again := prepared(); again != once {
		t.Errorf("the same search prepared %d statements, then %d", once, again)
	}
	for i := range readStmtCache + 10 {
		termIDs(t, db, "name", fmt.Sprintf("n%d", i))
	}
	if n := prepared(); n > readConns*readStmtCache {
		t.Errorf("%d statements kept, bound %d", n, readConns*readStmtCache)
	}

	errRefused := errors.New("refused")
	if err := db.View(ctx, func(r store.Reader) error {
		_, err := r.GetAPIKey(ctx, "a")
		if err != nil {
			return err
		}
		return errRefused
	}); !errors.Is(err, errRefused) {
		t.Fatalf("View = %v", err)
	}
	func() {
		defer func() { recover() }()
		_ = db.View(ctx, func(r store.Reader) error { panic("in a view") })
	}()
	for range 2 * readConns {
		err := db.View(ctx, func(r store.Reader) error {
			page, err := r.QueryAPIKeys(ctx, &store.KeySearch{Search: query.Search{Query: query.MatchAll{}}})
			if err == nil && page.Total != 1 {
				err = fmt.Errorf("total %d", page.Total)
			}
			return err
		})
		if err != nil {
			t.Fatalf("a View after a failed one: %v", err)
		}
	}
}
