package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

var _ store.StatsReporter = (*DB)(nil)

// StoreStats reports the size of the database file and its write-ahead
// log, and the group commits since the store opened.
func (db *DB) StoreStats(context.Context) (*store.Stats, error) {
	size, err := fileSizes(db.path, db.path+"-wal")
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", db.path, err)
	}
	stats := &store.Stats{
		Backend:       "sqlite",
		SizeBytes:     size,
		QueueDepth:    len(db.queue),
		QueueCapacity: cap(db.queue),
	}
	db.batches.Fill(stats)
	return stats, nil
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
