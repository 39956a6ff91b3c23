package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
)

// This file is the store's Generation: a number that changes with every
// commit to the file, by this process or another, checked on the hot path
// of every authentication, so it must cost next to nothing.
//
// SQLite's answer is PRAGMA data_version, but reading it begins a read
// transaction: shared-memory locks and a file size, ~13 µs of system calls
// on the machines this was measured on. Every commit in WAL mode rewrites
// the WAL-index header at the start of the -shm file (walformat.html: two
// copies of 48 bytes, the first changed last, holding among others a
// counter of transactions, iChange, and the last valid frame, mxFrame), and
// every connection maps that file. So on Unix the watch connection's
// mapping of the header is read instead: when both copies are equal and
// differ from the last header seen, a commit happened; when the copies
// differ, a commit is under way, which counts as a change too. The file
// cannot be truncated under the mapping while the watch connection is
// open: SQLite reinitialises it only when no connection holds it. Where
// the file cannot be mapped, data_version is read.

// walIndexHeaderSize is the size of the two copies of the WAL-index header.
const walIndexHeaderSize = 2 * 48

// dataVersionSQL reads SQLite's data version of the connection: it changes
// whenever another connection (of this process or another one) commits.
const dataVersionSQL = "PRAGMA data_version"

// generation is the state behind DB.Generation.
type generation struct {
	// opened is set once the watch connection is open (openWatch, at the
	// first call of Generation: a process that authenticates nothing,
	// like apikeyctl --db, never opens it); openMu serialises opening.
	opened atomic.Bool
	openMu sync.Mutex

	mu   sync.Mutex
	n    uint64
	last [walIndexHeaderSize]byte
	// header is the mapped WAL-index header; nil when data_version is read.
	header []byte
	unmap  func() error
	// release closes the -shm file mapWALIndexHeader opened, after every
	// connection (see there).
	release func() error
}

// openWatch opens the watch connection, one read-only connection that
// never writes and stays open while the DB is, and maps the WAL-index
// header when it can; once.
func (db *DB) openWatch(ctx context.Context) error {
	if db.gen.opened.Load() {
		return nil
	}
	db.gen.openMu.Lock()
	defer db.gen.openMu.Unlock()
	if db.gen.opened.Load() {
		return nil
	}
	watch, err := sql.Open("sqlite", dsn(db.path, true))
	if err != nil {
		return err
	}
	watch.SetMaxOpenConns(1)
	watch.SetMaxIdleConns(1)
	watch.SetConnMaxLifetime(0)
	watch.SetConnMaxIdleTime(0)
	dataVersion, err := watch.PrepareContext(ctx, dataVersionSQL)
	if err != nil {
		watch.Close()
		return err
	}
	// A first read maps the -shm file into the watch connection, which
	// keeps it from being reinitialised under our own mapping.
	var v uint64
	if err := dataVersion.QueryRowContext(ctx).Scan(&v); err != nil {
		dataVersion.Close()
		watch.Close()
		return err
	}
	db.watch, db.dataVersion = watch, dataVersion
	db.gen.header, db.gen.unmap, db.gen.release = mapWALIndexHeader(db.path + "-shm")
	db.gen.opened.Store(true)
	return nil
}

// closeWatch unmaps the header; the caller closes the connection after,
// and calls releaseWatch once every connection is closed.
func (db *DB) closeWatch() error {
	if db.gen.unmap == nil {
		return nil
	}
	db.gen.header = nil
	err := db.gen.unmap()
	db.gen.unmap = nil
	return err
}

// releaseWatch closes the -shm file the header was mapped from, which
// must outlive every connection of this process to the database.
func (db *DB) releaseWatch() error {
	if db.gen.release == nil {
		return nil
	}
	err := db.gen.release()
	db.gen.release = nil
	return err
}

// Generation returns a number that changes whenever a transaction that
// may have changed records commits, in this process or another one
// sharing the file. Records read after a call to Generation are current
// at least up to the number it returned: a cache that keeps them with it
// drops them once Generation returns another number.
func (db *DB) Generation(ctx context.Context) (uint64, error) {
	if err := db.openWatch(ctx); err != nil {
		return 0, fmt.Errorf("watch %s for changes: %w", db.path, err)
	}
	g := &db.gen
	if g.header == nil {
		var v uint64
		if err := db.dataVersion.QueryRowContext(ctx).Scan(&v); err != nil {
			return 0, fmt.Errorf("read the data version of %s: %w", db.path, err)
		}
		return v, nil
	}
	var now [walIndexHeaderSize]byte
	copy(now[:], g.header)
	g.mu.Lock()
	defer g.mu.Unlock()
	settled := bytes.Equal(now[:48], now[48:])
	if !settled || now != g.last {
		g.n++
		if settled {
			g.last = now
		}
	}
	return g.n, nil
}
