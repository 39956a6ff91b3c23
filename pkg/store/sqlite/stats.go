package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync/atomic"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

var _ store.StatsReporter = (*DB)(nil)

// batchStats counts the group commits by their size (store.Stats), with
// atomic counters only: the committer adds, a scrape reads.
type batchStats struct {
	commits atomic.Uint64
	writes  atomic.Uint64
	// buckets[i] counts the commits of at most store.BatchSizeBounds[i]
	// writes and more than the bound before (not cumulative).
	buckets [8]atomic.Uint64
}

// record counts one commit of n writes.
func (b *batchStats) record(n int) {
	b.commits.Add(1)
	b.writes.Add(uint64(n))
	for i, bound := range store.BatchSizeBounds {
		if float64(n) <= bound {
			b.buckets[i].Add(1)
			return
		}
	}
}

// cumulative is the buckets as store.Stats.BatchSizes counts them.
func (b *batchStats) cumulative() []uint64 {
	out := make([]uint64, len(b.buckets))
	var sum uint64
	for i := range b.buckets {
		sum += b.buckets[i].Load()
		out[i] = sum
	}
	return out
}

// StoreStats reports the size of the database file and its write-ahead
// log, and the group commits since the store opened.
func (db *DB) StoreStats(context.Context) (*store.Stats, error) {
	size, err := fileSizes(db.path, db.path+"-wal")
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", db.path, err)
	}
	return &store.Stats{
		Backend:         "sqlite",
		SizeBytes:       size,
		Commits:         db.batches.commits.Load(),
		CommittedWrites: db.batches.writes.Load(),
		BatchSizes:      db.batches.cumulative(),
		QueueDepth:      len(db.queue),
		QueueCapacity:   cap(db.queue),
	}, nil
}

// fileSizes is the total size of the files that exist among paths.
func fileSizes(paths ...string) (int64, error) {
	var total int64
	for _, p := range paths {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, err
		}
		total += fi.Size()
	}
	return total, nil
}
