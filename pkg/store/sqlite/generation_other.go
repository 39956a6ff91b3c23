//go:build !unix

package sqlite

// mapWALIndexHeader maps nothing where mmap is not available: Generation
// reads PRAGMA data_version.
func mapWALIndexHeader(string) (header []byte, unmap, release func() error) { return nil, nil, nil }
