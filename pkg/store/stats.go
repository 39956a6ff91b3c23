package store

import (
	"context"
	"sync/atomic"
)

// StatsReporter is a Store that reports how its storage is doing, for
// apikeyd's metrics. It is optional: a store that does not implement it
// reports nothing, and the metrics leave its series out.
type StatsReporter interface {
	// StoreStats reads the store's counters and sizes. It is called on
	// every scrape of the metrics and must be cheap: no scan of records.
	StoreStats(ctx context.Context) (*Stats, error)
}

// BatchSizeBounds are the upper bounds of the buckets of Stats.BatchSizes:
// the number of writes (Update calls) committed together by one commit.
var BatchSizeBounds = []float64{1, 2, 4, 8, 16, 32, 64, 128}

// Stats is what a StatsReporter reports.
type Stats struct {
	// Backend names the store ("sqlite", "postgres").
	Backend string
	// SizeBytes is the size of the database on disk (for SQLite the file
	// and its write-ahead log); -1 when the store cannot tell.
	SizeBytes int64
	// Commits counts the transactions committed since the store opened
	// (a rolled-back one is not), and CommittedWrites the writes (Update
	// calls) they held: with group commit, several writes share one
	// commit, and one that failed was rolled back inside it.
	Commits         uint64
	CommittedWrites uint64
	// BatchSizes counts the commits by the number of writes they held,
	// cumulatively: BatchSizes[i] is the number of commits that held at
	// most BatchSizeBounds[i] writes. It is nil for a store without group
	// commit.
	BatchSizes []uint64
	// QueueDepth is the number of writes waiting for the committer now,
	// and QueueCapacity the most that can wait before a write blocks.
	QueueDepth    int
	QueueCapacity int
}

// BatchCounter counts a group committer's commits by their size, for
// Stats, with atomic counters only: the committer records, a scrape
// reads. The zero value is ready.
type BatchCounter struct {
	commits atomic.Uint64
	writes  atomic.Uint64
	// buckets[i] counts the commits of at most BatchSizeBounds[i] writes
	// and more than the bound before it (not cumulative); the last also
	// those beyond every bound.
	buckets [8]atomic.Uint64
}

// Record counts one commit of n writes.
func (b *BatchCounter) Record(n int) {
	b.commits.Add(1)
	b.writes.Add(uint64(n))
	for i, bound := range BatchSizeBounds {
		if float64(n) <= bound || i == len(BatchSizeBounds)-1 {
			b.buckets[i].Add(1)
			return
		}
	}
}

// Fill sets the commit counts of s: Commits, CommittedWrites and the
// cumulative BatchSizes.
func (b *BatchCounter) Fill(s *Stats) {
	s.Commits, s.CommittedWrites = b.commits.Load(), b.writes.Load()
	s.BatchSizes = make([]uint64, len(b.buckets))
	var sum uint64
	for i := range b.buckets {
		sum += b.buckets[i].Load()
		s.BatchSizes[i] = sum
	}
}
