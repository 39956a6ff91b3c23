package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

func TestConcurrentOpen(t *testing.T) {
	path := tempPath(t)
	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	dbs := make([]*DB, n)
	for i := range n {
		wg.Go(func() { dbs[i], errs[i] = Open(t.Context(), path) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Errorf("Open %d: %v", i, errs[i])
			continue
		}
		dbs[i].Close()
	}
}

// TestConcurrentWriters writes from two DBs on one file, as the daemon and
// a CLI would, from many goroutines each: nothing is lost and no caller
// sees SQLITE_BUSY.
func TestConcurrentWriters(t *testing.T) {
	path := tempPath(t)
	dbs := []*DB{mustOpen(t, path), mustOpen(t, path)}
	const goroutines, keys = 8, 50
	ctx := t.Context()

	var wg sync.WaitGroup
	errs := make(chan error, len(dbs)*goroutines*keys*3)
	for d, db := range dbs {
		for g := range goroutines {
			wg.Go(func() {
				for i := range keys {
					id := fmt.Sprintf("d%d-g%d-k%03d", d, g, i)
					k := &store.APIKey{ID: id, Name: id, Type: "rest", Creation: int64(i), Hash: "h"}
					errs <- db.Update(ctx, func(w store.Writer) error { return w.InsertAPIKey(ctx, k) })
					errs <- db.Update(ctx, func(w store.Writer) error {
						k, err := w.GetAPIKey(ctx, id)
						if err != nil {
							return err
						}
						k.Metadata = json.RawMessage(`{"updated":true}`)
						return w.UpdateAPIKey(ctx, k)
					})
					errs <- db.View(ctx, func(r store.Reader) error {
						_, err := r.GetAPIKey(ctx, id)
						return err
					})
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if err != nil {
			if failed++; failed <= 5 {
				t.Errorf("concurrent write: %v (busy: %v)", err, isBusy(err))
			}
		}
	}

	for _, db := range dbs {
		err := db.View(ctx, func(r store.Reader) error {
			all, err := r.FindAPIKeys(ctx, store.KeyFilter{})
			if err != nil {
				return err
			}
			if len(all) != len(dbs)*goroutines*keys {
				t.Errorf("found %d keys, want %d", len(all), len(dbs)*goroutines*keys)
			}
			for _, k := range all {
				if k.Version != 2 || string(k.Metadata) != `{"updated":true}` {
					t.Errorf("key %s: version %d metadata %s, want 2 {\"updated\":true}", k.ID, k.Version, k.Metadata)
					break
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestWaitsForOtherProcess holds the write lock from one DB while another
// writes and reads: the writer waits, the reader does not.
func TestWaitsForOtherProcess(t *testing.T) {
	path := tempPath(t)
	holder, waiter := mustOpen(t, path), mustOpen(t, path)
	ctx := t.Context()

	locked := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- holder.Update(ctx, func(w store.Writer) error {
			_, err := w.PutRole(ctx, &store.Role{Name: "held", Descriptor: json.RawMessage(`{}`)})
			close(locked)
			<-release
			return err
		})
	}()
	<-locked

	// Readers are not blocked by the writer, and see the last commit.
	err := waiter.View(ctx, func(r store.Reader) error {
		_, err := r.GetRole(ctx, "held")
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("View saw an uncommitted role: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("View while another process writes: %v", err)
	}

	time.AfterFunc(300*time.Millisecond, func() { close(release) })
	start := time.Now()
	err = waiter.Update(ctx, func(w store.Writer) error {
		_, err := w.GetRole(ctx, "held") // runs after the holder committed
		return err
	})
	if err != nil {
		t.Fatalf("Update waiting for another process: %v", err)
	}
	if waited := time.Since(start); waited < 200*time.Millisecond {
		t.Errorf("Update did not wait for the lock (%v)", waited)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestBusyEndsWithContext gives up waiting for another process's lock once
// the context is done, and reports the context, not SQLITE_BUSY.
func TestBusyEndsWithContext(t *testing.T) {
	path := tempPath(t)
	holder, waiter := mustOpen(t, path), mustOpen(t, path)

	locked := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- holder.Update(context.Background(), func(store.Writer) error {
			close(locked)
			<-release
			return nil
		})
	}()
	<-locked
	defer func() {
		close(release)
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()

	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := waiter.Update(ctx, func(store.Writer) error { return nil })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Update = %v, want context.DeadlineExceeded", err)
	}
	if isBusy(err) {
		t.Errorf("Update reported SQLITE_BUSY: %v", err)
	}
	if waited := time.Since(start); waited > 2*time.Second {
		t.Errorf("Update waited %v after its context ended", waited)
	}
}
