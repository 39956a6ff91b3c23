// Package filecheck looks at the files apikeyd keeps secrets in and next
// to — the database and its log, the audit log, the directories holding
// them, the Unix socket — and says in plain words, as api.Checks for
// doctor, whether their modes let other users read, replace or connect to
// them. Both the daemon (its own view) and apikeyctl (with --db, and the
// socket it dials) use it, so the two judge a file alike.
package filecheck

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// Presence says whether a file must exist.
type Presence int

const (
	// Required files fail the check when missing.
	Required Presence = iota
	// Optional files are fine when missing (SQLite's -wal and -shm exist
	// only while the database is open; an audit log not yet written).
	Optional
)

// Private checks a file that holds secrets or their hashes: only its
// owner may read it. Readable by every user fails, readable by the group
// warns.
func Private(name, path string, presence Presence) api.Check {
	fi, check, found := stat(name, path, presence)
	if !found {
		return check
	}
	if !fi.Mode().IsRegular() {
		return fail(name, "%s is not a regular file", path)
	}
	perm := fi.Mode().Perm()
	switch {
	case !permissions:
		return ok(name, "%s exists (its access list is not checked on this system)", path)
	case perm&0o006 != 0:
		return fail(name, "%s is mode %04o%s: every user on this machine can read or change it; run chmod 600 %s", path, perm, owner(fi), path)
	case perm&0o060 != 0:
		return warn(name, "%s is mode %04o%s: its group can read it; run chmod 600 %s unless the group is meant to", path, perm, owner(fi), path)
	}
	return ok(name, "%s is mode %04o%s: only its owner can read it", path, perm, owner(fi))
}

// Directory checks a directory that holds private files: others must not
// be able to add, remove or rename files in it.
func Directory(name, path string) api.Check {
	fi, check, found := stat(name, path, Required)
	if !found {
		return check
	}
	if !fi.IsDir() {
		return fail(name, "%s is not a directory", path)
	}
	perm := fi.Mode().Perm()
	switch {
	case !permissions:
		return ok(name, "%s exists (its access list is not checked on this system)", path)
	case perm&0o002 != 0:
		return fail(name, "%s is mode %04o%s: every user can add, remove or rename files in it; run chmod o-w %s", path, perm, owner(fi), path)
	case perm&0o020 != 0:
		return warn(name, "%s is mode %04o%s: its group can add, remove or rename files in it; run chmod g-w %s unless the group is meant to", path, perm, owner(fi), path)
	}
	return ok(name, "%s is mode %04o%s", path, perm, owner(fi))
}

// Socket checks apikeyd's Unix socket: that it is there and is a socket,
// and who may connect. Every user being able to connect warns: over the
// socket only the daemon's own user and root are known without a
// password, but anyone can try passwords.
func Socket(name, path string) api.Check {
	fi, check, found := stat(name, path, Required)
	if !found {
		check.Message += ": is apikeyd running, and with this --socket?"
		return check
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fail(name, "%s is not a socket", path)
	}
	perm := fi.Mode().Perm()
	if permissions && perm&0o002 != 0 {
		return warn(name, "%s is mode %04o%s: every local user can connect (and must authenticate); run chmod o-w %s to keep them out", path, perm, owner(fi), path)
	}
	return ok(name, "%s is mode %04o%s", path, perm, owner(fi))
}

// stat returns the file's info, or the check that reports why there is
// none (ok for a missing optional file).
func stat(name, path string, presence Presence) (fs.FileInfo, api.Check, bool) {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && presence == Optional:
		return nil, ok(name, "%s does not exist", path), false
	case errors.Is(err, fs.ErrNotExist):
		return nil, fail(name, "%s does not exist", path), false
	case err != nil:
		return nil, fail(name, "cannot inspect %s: %v", path, unwrapPath(err)), false
	}
	return fi, api.Check{}, true
}

// unwrapPath drops the path a *fs.PathError repeats.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func ok(name, format string, args ...any) api.Check {
	return api.Check{Name: name, Status: api.CheckOK, Message: fmt.Sprintf(format, args...)}
}

func warn(name, format string, args ...any) api.Check {
	return api.Check{Name: name, Status: api.CheckWarn, Message: fmt.Sprintf(format, args...)}
}

func fail(name, format string, args ...any) api.Check {
	return api.Check{Name: name, Status: api.CheckFail, Message: fmt.Sprintf(format, args...)}
}
