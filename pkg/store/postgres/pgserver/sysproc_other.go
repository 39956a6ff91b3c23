//go:build !linux

package pgserver

import (
	"errors"
	"os"
	"syscall"
)

// credentials are the user the server runs as, when not this process's own.
type credentials struct{ uid, gid int }

// credential refuses to start a server as root, whom PostgreSQL refuses
// to run as: only on Linux does the server switch to an unprivileged user.
func credential() (*credentials, error) {
	if os.Geteuid() == 0 {
		return nil, errors.New("running as root, which PostgreSQL refuses to run as")
	}
	return nil, nil
}

// sysProcAttr runs a process as this process's own user.
func sysProcAttr(*credentials) *syscall.SysProcAttr { return nil }
