// Package sqlite is the SQLite backend of store.Store, built on the pure-Go
// driver modernc.org/sqlite.
//
// One database file holds everything. It runs in WAL mode so that readers
// never block the writer, and may be shared by several processes at once
// (the daemon and a CLI in --db mode): a DB serialises its own writes on a
// single connection whose transactions begin IMMEDIATE, waits for other
// processes under busy_timeout, and retries a whole transaction the few
// times SQLite reports SQLITE_BUSY without waiting. SQLITE_BUSY never
// reaches a caller while its context is alive.
//
// The schema is created and upgraded by the numbered migrations embedded
// from migrations/, and its version is recorded in PRAGMA user_version.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

var _ store.Store = (*DB)(nil)

const (
	// busyTimeout is how long one statement waits for a lock another
	// connection holds before SQLite reports SQLITE_BUSY.
	busyTimeout = 10 * time.Second
	// retryPause is the first pause before running a transaction that
	// failed with SQLITE_BUSY again; it doubles up to maxRetryPause.
	retryPause    = 5 * time.Millisecond
	maxRetryPause = 100 * time.Millisecond
	// readConns is the size of the read pool: readers do not block each
	// other in WAL mode.
	readConns = 4
	// writeCacheKiB is the page cache of the write connection.
	writeCacheKiB = 32 << 10
)

// DB is a store.Store on one SQLite file. It is safe for concurrent use.
type DB struct {
	path  string
	write *sql.DB // one connection; transactions BEGIN IMMEDIATE
	read  *sql.DB // read-only connections for View
	// watch is the connection whose data version is the Generation.
	watch       *sql.DB
	dataVersion *sql.Stmt
	gen         generation
	// checkpoints copies the log into the file (checkpoint.go).
	checkpoints *checkpointer
	// paths and snapshots remember the committed ids of interned
	// metadata paths and limited-by snapshots (intern.go).
	paths, snapshots internTable

	// writeStmts are the hot statements, prepared on the write
	// connection (see statements.go); readers are the read connections,
	// each with the statements it prepared (readers.go).
	writeStmts map[string]*sql.Stmt
	readers    chan *readConn

	// queue feeds the committer (commit.go), which closes committerDone
	// when Close has closed queue and every queued function is answered.
	queue         chan *commitRequest
	committerDone chan struct{}
	// batches counts the commits by size, for StoreStats (stats.go).
	batches store.BatchCounter
	closeMu sync.RWMutex
	closed  bool
}

// Open opens the database at path, creating the file (mode 0600) when it
// does not exist, and brings its schema up to date. It fails when the file
// is not a SQLite database, belongs to another application, or has a schema
// newer than this binary supports.
func Open(ctx context.Context, path string) (*DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	if err := createFile(abs); err != nil {
		return nil, fmt.Errorf("open database %s: %w", abs, err)
	}

	db := &DB{
		path:      abs,
		paths:     internTable{insertSQL: insertPathSQL, selectSQL: selectPathSQL},
		snapshots: internTable{insertSQL: insertSnapshotSQL, selectSQL: selectSnapshotSQL},
	}
	db.write, err = sql.Open("sqlite", dsn(abs, false))
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", abs, err)
	}
	db.write.SetMaxOpenConns(1)
	db.write.SetMaxIdleConns(1)
	db.write.SetConnMaxLifetime(0)
	db.write.SetConnMaxIdleTime(0)

	if err := db.retry(ctx, func() error { return db.write.PingContext(ctx) }); err != nil {
		db.write.Close()
		return nil, db.openError(err)
	}
	if err := db.retry(ctx, func() error { return db.migrate(ctx, migrations) }); err != nil {
		db.write.Close()
		return nil, db.openError(err)
	}
	// WAL is a property of the file: set once, after migrate has made sure
	// the file is ours, and outside any transaction as SQLite requires.
	if err := db.retry(ctx, func() error { return db.setWAL(ctx) }); err != nil {
		db.write.Close()
		return nil, db.openError(err)
	}

	db.read, err = sql.Open("sqlite", dsn(abs, true))
	if err != nil {
		db.write.Close()
		return nil, fmt.Errorf("open database %s: %w", abs, err)
	}
	db.read.SetMaxOpenConns(readConns)
	db.read.SetMaxIdleConns(readConns)
	if err := db.retry(ctx, func() error { return db.read.PingContext(ctx) }); err != nil {
		db.closePools()
		return nil, db.openError(err)
	}
	if db.writeStmts, err = prepare(ctx, db.write, append(readStatements, writeStatements...)); err != nil {
		db.closePools()
		return nil, db.openError(err)
	}
	db.readers = make(chan *readConn, readConns)
	for range readConns {
		db.readers <- &readConn{}
	}
	if err := db.startCheckpointer(); err != nil {
		db.closePools()
		return nil, db.openError(err)
	}
	db.queue = make(chan *commitRequest, queueSize)
	db.committerDone = make(chan struct{})
	go db.commitLoop()
	return db, nil
}

// createFile creates path with mode 0600 when it does not exist, so that
// SQLite, which gives the -wal and -shm files the mode of the database,
// never creates any of them world-readable. An empty file is a valid empty
// database.
func createFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err // the caller names the path
	}
	if err != nil {
		return err
	}
	return f.Close()
}

// dsn returns the driver's name for the database at path: a file: URI, so
// that any character of the path survives, with the pragmas every
// connection needs.
//
//   - busy_timeout first, so that the other pragmas wait for locks too.
//   - synchronous=FULL: the log is synced at every commit, so an
//     acknowledged write (an invalidation above all) survives a power loss,
//     not only a crash of the process. NORMAL would be crash-safe but could
//     lose the last commits on power loss; the write volume of an API key
//     store is small enough to pay for the fsync.
//   - foreign_keys=ON: no table has one yet, but future migrations may.
//   - temp_store=MEMORY: statement journals (every statement of a
//     multi-statement transaction that may fail halfway, and every
//     savepoint of a group commit) and sorts stay in memory rather than in
//     temporary files written with a system call per page.
//   - the writer does not checkpoint the log when it commits: the
//     checkpointer does, off the writers' path (checkpoint.go).
//   - the writer's page cache holds writeCacheKiB, so that a bulk
//     transaction of tens of thousands of keys does not spill its dirty
//     pages to the log before it commits; readers keep SQLite's default.
//   - the write pool begins IMMEDIATE, taking the write lock at BEGIN, when
//     busy_timeout can still wait for it; a DEFERRED transaction that reads
//     and then writes gets SQLITE_BUSY without any wait. The read pool is
//     query_only.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "temp_store(MEMORY)")
	if readOnly {
		q.Set("_txlock", "deferred")
		q.Set("_query_only", "1")
	} else {
		q.Set("_txlock", "immediate")
		q.Add("_pragma", fmt.Sprintf("cache_size(%d)", -writeCacheKiB))
		q.Add("_pragma", "wal_autocheckpoint(0)")
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path), RawQuery: q.Encode()}
	if u.Path != "" && u.Path[0] != '/' {
		u.Path = "/" + u.Path // a Windows volume: file:///C:/...
	}
	return u.String()
}

// setWAL switches the file to WAL mode: readers and the writer do not block
// each other, and a commit is one append to the log.
func (db *DB) setWAL(ctx context.Context) error {
	var mode string
	if err := db.write.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("read journal mode: %w", err)
	}
	if mode == "wal" {
		return nil
	}
	if err := db.write.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode); err != nil {
		return fmt.Errorf("set WAL mode: %w", err)
	}
	if mode != "wal" {
		return fmt.Errorf("set WAL mode: journal mode is still %q", mode)
	}
	return nil
}

// openError turns an error of Open into a sentence a user can act on.
func (db *DB) openError(err error) error {
	if code, ok := sqliteCode(err); ok && code&0xff == sqlite3.SQLITE_NOTADB {
		return fmt.Errorf("open database %s: the file is not a SQLite database", db.path)
	}
	var se *schemaError
	if errors.As(err, &se) {
		return se
	}
	return fmt.Errorf("open database %s: %w", db.path, err)
}

// Close waits for the writes already queued to be committed, then releases
// both connection pools. Closing the last connection to the file
// checkpoints and removes the write-ahead log. Update fails after Close.
func (db *DB) Close() error {
	db.closeMu.Lock()
	if db.closed {
		db.closeMu.Unlock()
		return nil
	}
	db.closed = true
	close(db.queue)
	db.closeMu.Unlock()
	<-db.committerDone
	return db.closePools()
}

// closePools closes the prepared statements and both pools.
func (db *DB) closePools() error {
	var errs []error
	if db.checkpoints != nil {
		errs = append(errs, db.checkpoints.close())
	}
	errs = append(errs, db.closeWatch())
	if db.dataVersion != nil {
		errs = append(errs, db.dataVersion.Close())
	}
	if db.watch != nil {
		errs = append(errs, db.watch.Close())
	}
	for _, st := range db.writeStmts {
		errs = append(errs, st.Close())
	}
	errs = append(errs, db.closeReaders())
	if db.read != nil {
		errs = append(errs, db.read.Close())
	}
	errs = append(errs, db.write.Close())
	errs = append(errs, db.releaseWatch())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close database %s: %w", db.path, err)
	}
	return nil
}

// retry runs f again while it fails with SQLITE_BUSY, which SQLite reports
// without waiting in a few cases (changing the journal mode while another
// process opens the file, a WAL being recovered) and after busyTimeout in
// the others. It gives up once busyTimeout has passed since the first
// attempt and f has run at least twice, so a lock held for longer than
// twice busyTimeout is reported. Once ctx is done it returns the context's
// error rather than the busy one.
func (db *DB) retry(ctx context.Context, f func() error) error {
	start := time.Now()
	for attempt := 1; ; attempt++ {
		err := f()
		if err == nil || !isBusy(err) {
			return err
		}
		if ctx.Err() != nil {
			return fmt.Errorf("database %s busy: %w", db.path, context.Cause(ctx))
		}
		if attempt >= 2 && time.Since(start) >= busyTimeout {
			return fmt.Errorf("database %s still locked by another process after %v: %w",
				db.path, time.Since(start).Round(time.Second), err)
		}
		pause := min(retryPause<<(attempt-1), maxRetryPause)
		t := time.NewTimer(pause/2 + rand.N(pause/2+1))
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("database %s busy: %w", db.path, context.Cause(ctx))
		case <-t.C:
		}
	}
}

// sqliteCode returns the extended result code of the SQLite error in err's
// chain.
func sqliteCode(err error) (int, bool) {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return 0, false
	}
	return se.Code(), true
}

// storageError gives a write that failed for want of a writable file or
// of space the store's error for it, ErrReadOnly or ErrNoSpace; other
// errors are returned as they are.
func storageError(err error) error {
	code, ok := sqliteCode(err)
	switch {
	case !ok:
		return err
	case code&0xff == sqlite3.SQLITE_READONLY:
		return fmt.Errorf("%w (%v)", store.ErrReadOnly, err)
	case code&0xff == sqlite3.SQLITE_FULL:
		return fmt.Errorf("%w (%v)", store.ErrNoSpace, err)
	}
	return err
}

// isBusy reports whether err is SQLITE_BUSY or one of its extended codes.
func isBusy(err error) bool {
	code, ok := sqliteCode(err)
	return ok && code&0xff == sqlite3.SQLITE_BUSY
}
