package store

import (
	"slices"
	"testing"
)

// TestBatchCounter: a commit is counted in the first bucket whose bound
// holds it (beyond the last bound, in the last), the sizes come out
// cumulative, and there is a bucket for every bound.
func TestBatchCounter(t *testing.T) {
	var b BatchCounter
	if len(b.buckets) != len(BatchSizeBounds) {
		t.Fatalf("%d buckets for %d bounds", len(b.buckets), len(BatchSizeBounds))
	}
	for _, n := range []int{1, 1, 3, 16, 17, 128, 500} {
		b.Record(n)
	}
	var s Stats
	b.Fill(&s)
	if s.Commits != 7 || s.CommittedWrites != 666 {
		t.Errorf("commits %d, writes %d; want 7 and 666", s.Commits, s.CommittedWrites)
	}
	// bounds:            1  2  4  8  16 32 64 128
	want := []uint64{2, 2, 3, 3, 4, 5, 5, 7}
	if !slices.Equal(s.BatchSizes, want) {
		t.Errorf("batch sizes %v, want %v", s.BatchSizes, want)
	}
}
