//go:build unix

package sqlite

import (
	"os"
	"syscall"
)

// mapWALIndexHeader maps the WAL-index header of the -shm file at path
// read-only, or returns nil when it cannot.
func mapWALIndexHeader(path string) ([]byte, func() error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || fi.Size() < walIndexHeaderSize {
		return nil, nil
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, walIndexHeaderSize, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil
	}
	return b, func() error { return syscall.Munmap(b) }
}
