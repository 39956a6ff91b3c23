package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

var _ store.Backuper = (*DB)(nil)

// Backup copies the database with VACUUM INTO, a read transaction that
// sees one snapshot of the WAL database while writers go on (it neither
// waits for them nor holds them up), into a temporary file of mode 0600
// beside the database, and returns that file to be read once: Close
// removes it. The copy is a compact database file in rollback-journal
// mode, whole in itself (no -wal beside it), that Open accepts.
func (db *DB) Backup(ctx context.Context) (*api.Backup, error) {
	db.closeMu.RLock()
	closed := db.closed
	db.closeMu.RUnlock()
	if closed {
		return nil, fmt.Errorf("backup %s: the database is closed", db.path)
	}
	// CreateTemp makes the file 0600 and empty: VACUUM INTO fills an
	// empty file and keeps its mode.
	tmp, err := os.CreateTemp(filepath.Dir(db.path), "."+filepath.Base(db.path)+".backup-*")
	if err != nil {
		return nil, fmt.Errorf("backup %s: %w", db.path, err)
	}
	name := tmp.Name()
	if err := tmp.Close(); err != nil {
		os.Remove(name)
		return nil, fmt.Errorf("backup %s: %w", db.path, err)
	}
	if err := db.vacuumInto(ctx, name); err != nil {
		removeCopy(name)
		return nil, err
	}
	f, err := os.Open(name)
	if err != nil {
		removeCopy(name)
		return nil, fmt.Errorf("backup %s: %w", db.path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		removeCopy(name)
		return nil, fmt.Errorf("backup %s: %w", db.path, err)
	}
	return &api.Backup{Size: fi.Size(), Body: &copyFile{File: f}}, nil
}

// vacuumInto writes the copy into the empty file name, on a connection of
// its own: the read pool is query_only, which VACUUM INTO does not pass,
// and the writer must not wait for a copy.
func (db *DB) vacuumInto(ctx context.Context, name string) error {
	conn, err := sql.Open("sqlite", dsn(db.path, false))
	if err != nil {
		return fmt.Errorf("backup %s: %w", db.path, err)
	}
	defer conn.Close()
	err = db.retry(ctx, func() error {
		_, err := conn.ExecContext(ctx, "VACUUM INTO ?", name)
		return err
	})
	if err != nil {
		return fmt.Errorf("backup %s: %w", db.path, err)
	}
	// The copy keeps the WAL flag of its source in its header: make it a
	// rollback-journal database, so that opening it (to check it, or
	// once restored) leaves no -wal or -shm beside it before apikeyd
	// makes it a WAL database again.
	cp, err := sql.Open("sqlite", plainDSN(name))
	if err != nil {
		return fmt.Errorf("backup %s: %w", db.path, err)
	}
	defer cp.Close()
	var mode string
	if err := cp.QueryRowContext(ctx, "PRAGMA journal_mode = DELETE").Scan(&mode); err != nil {
		return fmt.Errorf("backup %s: set the copy's journal mode: %w", db.path, err)
	}
	return nil
}

// plainDSN names a database file without any of the pool's pragmas.
func plainDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path), RawQuery: q.Encode()}
	if u.Path != "" && u.Path[0] != '/' {
		u.Path = "/" + u.Path
	}
	return u.String()
}

// copyFile is a backup's temporary file; closing it removes it.
type copyFile struct{ *os.File }

func (c *copyFile) Close() error {
	err := c.File.Close()
	return errors.Join(err, removeCopy(c.Name()))
}

// removeCopy removes a temporary copy and the journal a failed copy may
// have left.
func removeCopy(name string) error {
	var errs []error
	for _, p := range []string{name, name + "-journal"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

var _ io.ReadCloser = (*copyFile)(nil)
