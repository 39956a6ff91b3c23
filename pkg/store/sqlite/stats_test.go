package sqlite

import (
	"fmt"
	"runtime"
	"slices"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/store"
	"github.com/apikeyctl/apikeyctl/pkg/store/storetest"
)

// TestStoreStats holds the committer while five writes queue behind it:
// the stats show the queue, then one commit of one write and one of five,
// and a database that has a size.
func TestStoreStats(t *testing.T) {
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
	const n = 5
	done := make(chan error, n)
	for i := range n {
		go func() {
			done <- db.Update(ctx, func(w store.Writer) error {
				return w.InsertAPIKey(ctx, leafKey(fmt.Sprintf("k%d", i), `{"n":1}`))
			})
		}()
	}
	for len(db.queue) < n {
		runtime.Gosched()
	}
	st, err := db.StoreStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.QueueDepth != n || st.QueueCapacity != queueSize || st.Commits != 0 {
		t.Fatalf("while held: %+v", st)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	for range n {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	st, err = db.StoreStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Buckets ≤1, ≤2, ≤4, ≤8, …: the commit of one, then the one of five.
	want := []uint64{1, 1, 1, 2, 2, 2, 2, 2}
	if st.Backend != "sqlite" || st.Commits != 2 || st.CommittedWrites != n+1 || !slices.Equal(st.BatchSizes, want) || st.QueueDepth != 0 {
		t.Fatalf("after: %+v, want batch sizes %v", st, want)
	}
	if st.SizeBytes <= 0 {
		t.Fatalf("size %d", st.SizeBytes)
	}
}

func TestStoreStatsContract(t *testing.T) {
	storetest.RunStats(t, func(t *testing.T) store.Store { return mustOpen(t, tempPath(t)) })
}
