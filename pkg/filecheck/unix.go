//go:build unix

package filecheck

import (
	"io/fs"
	"os/user"
	"strconv"
	"syscall"
)

// permissions is true where a file's mode bits say who may read it.
const permissions = true

// owner names the file's owner and group for a message: ", owner
// alice:apikeyd".
func owner(fi fs.FileInfo) string {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	uid, gid := strconv.FormatUint(uint64(st.Uid), 10), strconv.FormatUint(uint64(st.Gid), 10)
	if u, err := user.LookupId(uid); err == nil {
		uid = u.Username
	}
	if g, err := user.LookupGroupId(gid); err == nil {
		gid = g.Name
	}
	return ", owner " + uid + ":" + gid
}
