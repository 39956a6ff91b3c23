package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/store"
	"github.com/apikeyctl/apikeyctl/pkg/store/postgres/pgtest"
)

// testKey is a key with id whose metadata is the JSON text metadata.
func testKey(id, metadata string) *store.APIKey {
	return &store.APIKey{ID: id, Name: "n", Type: "rest", Hash: "h", Metadata: json.RawMessage(metadata),
		Creator: store.Creator{Principal: "p", Realm: "r", RealmType: "native"}}
}

// holdCommitter runs an Update whose function waits, holding the
// committer (and its transaction open), until release is called; release
// returns that Update's error.
func holdCommitter(t *testing.T, db *DB) (release func() error) {
	t.Helper()
	hold, free := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- db.Update(t.Context(), func(w store.Writer) error {
			close(hold)
			<-free
			return w.InsertAPIKey(t.Context(), testKey("holder", `{}`))
		})
	}()
	<-hold
	return func() error {
		close(free)
		return <-done
	}
}

// waitQueued waits until the committer's queue holds want functions.
func waitQueued(db *DB, want int) {
	for len(db.commits.queue) < want {
		runtime.Gosched()
	}
}

// keyStored reports whether the key id is stored, seen through db.
func keyStored(t *testing.T, db *DB, id string) bool {
	t.Helper()
	err := db.View(t.Context(), func(r store.Reader) error {
		_, err := r.GetAPIKey(t.Context(), id)
		return err
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("get %s: %v", id, err)
	}
	return err == nil
}

// TestGroupCommitMembersFailAlone queues many Updates behind one that
// holds the committer, so that they are committed as one batch (the
// generation moves once for them all): the members that fail, panic, run
// a statement the server refuses, or whose context ends while queued or
// while they run are rolled back alone; every other member's write is
// committed, whatever its first statement (a row, rows, or none).
func TestGroupCommitMembersFailAlone(t *testing.T) {
	db := mustOpen(t)
	ctx := t.Context()
	g0, err := db.Generation(ctx)
	if err != nil {
		t.Fatal(err)
	}
	release := holdCommitter(t, db)

	errRefused := errors.New("refused")
	const n = 50
	type outcome struct {
		err      error
		panicked any
	}
	outcomes := make([]chan outcome, n)
	run := func(i int, callCtx context.Context, cancel context.CancelFunc) {
		outcomes[i] = make(chan outcome, 1)
		go func() {
			var o outcome
			defer func() {
				o.panicked = recover()
				outcomes[i] <- o
			}()
			o.err = db.Update(callCtx, func(w store.Writer) error {
				id := fmt.Sprintf("k%02d", i)
				switch i % 10 {
				case 6, 7: // a first statement that reads rows
					if _, err := w.FindAPIKeys(callCtx, store.KeyFilter{Name: "none"}); err != nil {
						return err
					}
				case 8: // no statement at all
					return nil
				}
				if err := w.InsertAPIKey(callCtx, testKey(id, fmt.Sprintf(`{"n":%d}`, i))); err != nil {
					return err
				}
				switch i % 10 {
				case 1, 6:
					return errRefused
				case 2:
					panic("member " + id)
				case 4: // the server refuses the metadata: the transaction is aborted
					return w.InsertAPIKey(callCtx, testKey(id+"-bad", `{"n":`))
				case 5: // the caller gives up while its function runs
					cancel()
					return w.InsertAPIKey(callCtx, testKey(id+"-late", `{}`))
				}
				return nil
			})
		}()
	}
	// Members whose context ends while they wait in the queue: queued one
	// at a time, each cancelled once it is in.
	waiting := 0
	for i := 3; i < n; i += 10 {
		callCtx, cancel := context.WithCancel(ctx)
		run(i, callCtx, cancel)
		waiting++
		waitQueued(db, waiting)
		cancel()
	}
	for i := range n {
		if i%10 != 3 {
			callCtx, cancel := context.WithCancel(ctx)
			t.Cleanup(cancel)
			run(i, callCtx, cancel)
		}
	}
	waitQueued(db, n)
	if err := release(); err != nil {
		t.Fatalf("holder: %v", err)
	}
	for i := range n {
		o := <-outcomes[i]
		id := fmt.Sprintf("k%02d", i)
		switch i % 10 {
		case 1, 6:
			if !errors.Is(o.err, errRefused) {
				t.Errorf("%s: err = %v, want its own error", id, o.err)
			}
		case 2:
			if o.panicked == nil {
				t.Errorf("%s: the panic did not reach its caller (err %v)", id, o.err)
			}
		case 3, 5:
			if !errors.Is(o.err, context.Canceled) {
				t.Errorf("%s: err = %v, want context.Canceled", id, o.err)
			}
		case 4:
			if o.err == nil || errors.Is(o.err, store.ErrUnavailable) {
				t.Errorf("%s: err = %v, want the server's refusal", id, o.err)
			}
		case 8:
			if o.err != nil || o.panicked != nil {
				t.Errorf("%s: err %v, panic %v", id, o.err, o.panicked)
			}
		default:
			if o.err != nil || o.panicked != nil || !keyStored(t, db, id) {
				t.Errorf("%s: err %v, panic %v, then stored: %v", id, o.err, o.panicked, keyStored(t, db, id))
			}
			continue
		}
		if keyStored(t, db, id) {
			t.Errorf("%s: a failed member's write is there", id)
		}
	}
	if g, err := db.Generation(ctx); err != nil || g != g0+2 {
		t.Errorf("generation %d, %v: want %d, one step for the holder and one for the batch", g, err, g0+2)
	}
}

// TestGroupCommitCancelledWhileWaiting: a member whose caller gives up
// while its statement waits for a lock fails alone at its next
// statement; the connection, and the other members, are unharmed.
func TestGroupCommitCancelledWhileWaiting(t *testing.T) {
	db := mustOpen(t)
	ctx := t.Context()
	// Another transaction inserts the key "locked" and keeps it
	// uncommitted: an insert of the same id waits for it.
	blocker, err := db.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer blocker.Rollback(context.Background())
	if err := (&writer{reader{tx: blocker}}).InsertAPIKey(ctx, testKey("locked", `{}`)); err != nil {
		t.Fatal(err)
	}
	release := holdCommitter(t, db)
	callCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	waiter, other := make(chan error, 1), make(chan error, 1)
	go func() {
		waiter <- db.Update(callCtx, func(w store.Writer) error {
			if err := w.InsertAPIKey(callCtx, testKey("locked", `{}`)); err != nil {
				return err
			}
			return w.InsertAPIKey(callCtx, testKey("after", `{}`))
		})
	}()
	waitQueued(db, 1)
	go func() {
		other <- db.Update(ctx, func(w store.Writer) error { return w.InsertAPIKey(ctx, testKey("other", `{}`)) })
	}()
	waitQueued(db, 2)
	if err := release(); err != nil {
		t.Fatal(err)
	}
	for waiting := 0; waiting == 0; {
		if err := db.pool.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'").Scan(&waiting); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	if err := blocker.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-waiter; !errors.Is(err, context.Canceled) {
		t.Errorf("the member that gave up: %v, want context.Canceled", err)
	}
	if err := <-other; err != nil {
		t.Errorf("the other member: %v", err)
	}
	for id, want := range map[string]bool{"locked": false, "after": false, "other": true} {
		if got := keyStored(t, db, id); got != want {
			t.Errorf("%s stored: %v, want %v", id, got, want)
		}
	}
}

// TestGroupCommitNothingCommitted: a batch whose members all fail is
// rolled back, leaving the generation as it was.
func TestGroupCommitNothingCommitted(t *testing.T) {
	db := mustOpen(t)
	ctx := t.Context()
	release := holdCommitter(t, db)
	errRefused := errors.New("refused")
	const n = 3
	errs := make(chan error, n)
	for i := range n {
		go func() {
			errs <- db.Update(ctx, func(w store.Writer) error {
				if err := w.InsertAPIKey(ctx, testKey(fmt.Sprintf("k%d", i), `{}`)); err != nil {
					return err
				}
				return errRefused
			})
		}()
	}
	waitQueued(db, n)
	if err := release(); err != nil {
		t.Fatal(err)
	}
	g0, err := db.Generation(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for range n {
		if err := <-errs; !errors.Is(err, errRefused) {
			t.Errorf("member: %v, want its own error", err)
		}
	}
	if g, err := db.Generation(ctx); err != nil || g != g0 {
		t.Errorf("generation %d, %v: want %d", g, err, g0)
	}
}

// TestGroupCommitConnectionLost: when the connection of a batch is lost,
// every member is answered ErrUnavailable and none of their writes is
// there.
func TestGroupCommitConnectionLost(t *testing.T) {
	db := mustOpen(t)
	ctx := t.Context()
	release := holdCommitter(t, db)
	// The first member of the next batch waits, its transaction open,
	// for the connection to be cut.
	running, cut := make(chan struct{}), make(chan struct{})
	const n = 4
	errs := make([]chan error, n)
	for i := range n {
		errs[i] = make(chan error, 1)
		go func() {
			errs[i] <- db.Update(ctx, func(w store.Writer) error {
				if i == 0 {
					close(running)
					<-cut
				}
				return w.InsertAPIKey(ctx, testKey(fmt.Sprintf("k%d", i), `{}`))
			})
		}()
		waitQueued(db, i+1)
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	<-running
	var name string
	if err := db.pool.QueryRow(ctx, "SELECT current_database()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	if err := pgtest.Exec(ctx, "SELECT pg_terminate_backend(pid, 60000) FROM pg_stat_activity WHERE datname = '"+name+
		"' AND state = 'idle in transaction'"); err != nil {
		t.Fatal(err)
	}
	close(cut)
	for i := range n {
		if err := <-errs[i]; !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("member %d: %v, want ErrUnavailable", i, err)
		}
		if keyStored(t, db, fmt.Sprintf("k%d", i)) {
			t.Errorf("member %d: its write is there", i)
		}
	}
}

// TestCloseCommitsQueued: Close answers the Updates already queued,
// committing them, before it returns; an Update after Close fails
// instead of waiting for a committer that is gone.
func TestCloseCommitsQueued(t *testing.T) {
	dsn := pgtest.DSN(t)
	db, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	release := holdCommitter(t, db)
	const n = 5
	errs := make(chan error, n)
	for i := range n {
		go func() {
			errs <- db.Update(ctx, func(w store.Writer) error {
				return w.InsertAPIKey(ctx, testKey(fmt.Sprintf("k%d", i), `{}`))
			})
		}()
	}
	waitQueued(db, n)
	closed := make(chan error, 1)
	go func() { closed <- db.Close() }()
	for closing := false; !closing; {
		db.commits.mu.RLock()
		closing = db.commits.closed
		db.commits.mu.RUnlock()
		runtime.Gosched()
	}
	if err := db.Update(ctx, func(store.Writer) error { return nil }); !errors.Is(err, errClosed) {
		t.Errorf("Update while closing = %v, want errClosed", err)
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("queued before Close: %v", err)
		}
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if err := db.Update(ctx, func(store.Writer) error { return nil }); !errors.Is(err, errClosed) {
		t.Errorf("Update after Close = %v, want errClosed", err)
	}
	other := openDSN(t, dsn)
	for i := range n {
		if !keyStored(t, other, fmt.Sprintf("k%d", i)) {
			t.Errorf("k%d, queued before Close, is not there", i)
		}
	}
}
