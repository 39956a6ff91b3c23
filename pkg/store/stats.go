package store

import "context"

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
