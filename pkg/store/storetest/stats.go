package storetest

import (
	"fmt"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// RunStats is the contract of store.StatsReporter: the stats name the
// backend, count every commit and only commits (a rolled-back Update is
// none), keep the batch sizes cumulative over store.BatchSizeBounds, and
// report a write queue no deeper than its capacity. open returns a new,
// empty store that implements store.StatsReporter.
func RunStats(t *testing.T, open func(t *testing.T) store.Store) {
	st := open(t)
	rep, ok := st.(store.StatsReporter)
	if !ok {
		t.Fatalf("%T is not a store.StatsReporter", st)
	}
	stats := func() *store.Stats {
		t.Helper()
		s, err := rep.StoreStats(t.Context())
		if err != nil {
			t.Fatalf("StoreStats: %v", err)
		}
		return s
	}
	before := stats()
	for i := range 3 {
		insert(t, st, newKey(fmt.Sprintf("stats-%d", i)))
	}
	if err := st.Update(t.Context(), func(store.Writer) error { return errTest }); err == nil {
		t.Fatal("a failing Update succeeded")
	}
	after := stats()
	if after.Backend == "" || after.SizeBytes == 0 {
		t.Errorf("backend %q, size %d", after.Backend, after.SizeBytes)
	}
	if got := after.Commits - before.Commits; got < 1 || got > 3 {
		t.Errorf("three writes one at a time: %d commits", got)
	}
	if got := after.CommittedWrites - before.CommittedWrites; got != 3 {
		t.Errorf("three writes one at a time: %d committed writes", got)
	}
	if after.QueueDepth < 0 || (after.QueueCapacity > 0 && after.QueueDepth > after.QueueCapacity) {
		t.Errorf("queue %d of %d", after.QueueDepth, after.QueueCapacity)
	}
	if b := after.BatchSizes; b != nil {
		if len(b) != len(store.BatchSizeBounds) {
			t.Fatalf("%d batch size buckets for %d bounds", len(b), len(store.BatchSizeBounds))
		}
		for i := 1; i < len(b); i++ {
			if b[i] < b[i-1] {
				t.Errorf("batch sizes not cumulative: %v", b)
			}
		}
		if b[len(b)-1] > after.Commits || (len(before.BatchSizes) > 0 && b[0] < before.BatchSizes[0]+1) {
			t.Errorf("batch sizes %v for %d commits (before %v)", b, after.Commits, before.BatchSizes)
		}
	}
}
