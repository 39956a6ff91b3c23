//go:build !unix

package filecheck

import "io/fs"

// owner is empty where files have no Unix owner.
func owner(fs.FileInfo) string { return "" }
