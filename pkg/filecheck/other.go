//go:build !unix

package filecheck

import "io/fs"

// permissions is false where a file's mode bits do not say who may read
// it (Windows has access control lists instead): only presence is checked.
const permissions = false

// owner is empty where files have no Unix owner.
func owner(fs.FileInfo) string { return "" }
