//go:build unix

package sqlite

import (
	"os"
	"syscall"
)

// mapWALIndexHeader maps the WAL-index header of the -shm file at path
// read-only; header is nil when it cannot. The descriptor it opens stays
// open until release, which the caller calls only once every connection
// of this process to the database is closed: closing any descriptor of a
// file drops all the POSIX locks the process holds on it, SQLite's on the
// -shm file included. Without them another process opening the database
// takes the -shm file for unused and reinitialises it under this one's
// connections (their next access to it fails with SQLITE_IOERR_IN_PAGE,
// and their read marks no longer hold the checkpointer back).
func mapWALIndexHeader(path string) (header []byte, unmap, release func() error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, nil
	}
	if fi, err := f.Stat(); err != nil || fi.Size() < walIndexHeaderSize {
		return nil, nil, f.Close
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, walIndexHeaderSize, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, f.Close
	}
	return b, func() error { return syscall.Munmap(b) }, f.Close
}
