package sqlite

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// TestGroupCommitMembersFailAlone queues many Updates behind one that
// holds the committer, so that they are committed as one batch: the
// members that fail, panic or whose context ended are rolled back alone,
// every other member's write is committed.
func TestGroupCommitMembersFailAlone(t *testing.T) {
	db := mustOpen(t, tempPath(t))
	ctx := t.Context()

	hold, release := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- db.Update(ctx, func(w store.Writer) error {
			close(hold)
			<-release
			return w.InsertAPIKey(ctx, leafKey("first", `{"n":0}`))
		})
	}()
	<-hold

	errRefused := errors.New("refused")
	const n = 40
	type outcome struct {
		err      error
		panicked any
	}
	outcomes := make([]chan outcome, n)
	run := func(i int, callCtx context.Context) {
		outcomes[i] = make(chan outcome, 1)
		go func() {
			var o outcome
			defer func() {
				o.panicked = recover()
				outcomes[i] <- o
			}()
			o.err = db.Update(callCtx, func(w store.Writer) error {
				id := fmt.Sprintf("k%02d", i)
				if err := w.InsertAPIKey(callCtx, leafKey(id, fmt.Sprintf(`{"n":%d}`, i))); err != nil {
					return err
				}
				switch i % 10 {
				case 1:
					return errRefused
				case 2:
					panic("member " + id)
				}
				return nil
			})
		}()
	}
	// queued waits until the committer's queue holds want functions.
	queued := func(want int) {
		for len(db.queue) < want {
			runtime.Gosched()
		}
	}
	// Members whose context ends while they wait in the queue: queued one
	// at a time, each cancelled once it is in.
	waiting := 0
	for i := 3; i < n; i += 10 {
		callCtx, cancel := context.WithCancel(ctx)
		run(i, callCtx)
		waiting++
		queued(waiting)
		cancel()
	}
	for i := range n {
		if i%10 != 3 {
			run(i, ctx)
		}
	}
	queued(n)
	close(release)
	if err := <-first; err != nil {
		t.Fatalf("first: %v", err)
	}
	for i := range n {
		o := <-outcomes[i]
		id := fmt.Sprintf("k%02d", i)
		_, getErr := getKey(t, db, id)
		switch i % 10 {
		case 1:
			if !errors.Is(o.err, errRefused) {
				t.Errorf("%s: err = %v, want its own error", id, o.err)
			}
		case 2:
			if o.panicked == nil {
				t.Errorf("%s: the panic did not reach its caller (err %v)", id, o.err)
			}
		case 3:
			if !errors.Is(o.err, context.Canceled) {
				t.Errorf("%s: err = %v, want context.Canceled", id, o.err)
			}
		default:
			if o.err != nil || o.panicked != nil || getErr != nil {
				t.Errorf("%s: err %v, panic %v, then get: %v", id, o.err, o.panicked, getErr)
			}
			continue
		}
		if !errors.Is(getErr, store.ErrNotFound) {
			t.Errorf("%s: a failed member's write is there (get: %v)", id, getErr)
		}
	}
}

func getKey(t *testing.T, db *DB, id string) (*store.APIKey, error) {
	t.Helper()
	var k *store.APIKey
	err := db.View(t.Context(), func(r store.Reader) error {
		var err error
		k, err = r.GetAPIKey(t.Context(), id)
		return err
	})
	return k, err
}

// TestUpdateAfterClose fails instead of waiting for a committer that is gone.
func TestUpdateAfterClose(t *testing.T) {
	db, err := Open(t.Context(), tempPath(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	err = db.Update(t.Context(), func(store.Writer) error { return nil })
	if !errors.Is(err, errClosed) {
		t.Errorf("Update after Close = %v, want errClosed", err)
	}
}

func BenchmarkGeneration(b *testing.B) {
	db := mustOpen(b, tempPath(b))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := db.Generation(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestGroupCommitPathIDs: a metadata path first written by a batch member
// that is rolled back, then by members that succeed, gets one id that
// survives the commit, and later transactions reuse it from memory.
func TestGroupCommitPathIDs(t *testing.T) {
	db := mustOpen(t, tempPath(t))
	ctx := t.Context()
	hold, release := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- db.Update(ctx, func(store.Writer) error {
			close(hold)
			<-release
			return nil
		})
	}()
	<-hold
	errRefused := errors.New("refused")
	results := make([]chan error, 3)
	for i, fail := range []bool{true, false, false} {
		results[i] = make(chan error, 1)
		go func() {
			results[i] <- db.Update(ctx, func(w store.Writer) error {
				id := fmt.Sprintf("p%d", i)
				if err := w.InsertAPIKey(ctx, leafKey(id, `{"shared":{"path":"v`+id+`"}}`)); err != nil {
					return err
				}
				if fail {
					return errRefused
				}
				return nil
			})
		}()
		for len(db.queue) < i+1 {
			runtime.Gosched()
		}
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-results[0]; !errors.Is(err, errRefused) {
		t.Fatalf("p0: %v", err)
	}
	for i := 1; i < 3; i++ {
		if err := <-results[i]; err != nil {
			t.Fatalf("p%d: %v", i, err)
		}
	}
	var paths int
	if err := db.write.QueryRow("SELECT count(*) FROM api_key_paths WHERE path = 'shared.path'").Scan(&paths); err != nil || paths != 1 {
		t.Fatalf("paths named shared.path: %d, %v", paths, err)
	}
	if got := termIDs(t, db, "metadata.shared.path", "vp2"); len(got) != 1 || got[0] != "p2" {
		t.Errorf("term = %q", got)
	}
	cached, ok := db.paths.get("shared.path")
	var stored int64
	if err := db.write.QueryRow("SELECT id FROM api_key_paths WHERE path = 'shared.path'").Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if !ok || cached != stored {
		t.Errorf("cached id %d (%v), stored %d", cached, ok, stored)
	}
	// A later key with the same path uses the id.
	if err := db.Update(ctx, func(w store.Writer) error { return w.InsertAPIKey(ctx, leafKey("p3", `{"shared":{"path":"vp3"}}`)) }); err != nil {
		t.Fatal(err)
	}
	if got := termIDs(t, db, "metadata.shared.path", "vp3"); len(got) != 1 || got[0] != "p3" {
		t.Errorf("term after = %q", got)
	}
}

// TestCheckpointOffTheWriter: commits leave their pages in the log (the
// writer does not checkpoint), and a checkpoint copies them all.
func TestCheckpointOffTheWriter(t *testing.T) {
	db := mustOpen(t, tempPath(t))
	ctx := t.Context()
	if got := pragmaInt(t, db.write, "wal_autocheckpoint"); got != 0 {
		t.Fatalf("the writer checkpoints every %d pages", got)
	}
	for i := range 50 {
		if err := db.Update(ctx, func(w store.Writer) error {
			return w.InsertAPIKey(ctx, leafKey(fmt.Sprintf("c%d", i), `{"n":1}`))
		}); err != nil {
			t.Fatal(err)
		}
	}
	logPages, copied, err := db.checkpoints.checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if logPages == 0 || copied != logPages {
		t.Errorf("checkpoint copied %d of %d pages", copied, logPages)
	}
	if _, err := getKey(t, db, "c49"); err != nil {
		t.Errorf("after the checkpoint: %v", err)
	}
}
