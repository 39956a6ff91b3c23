//go:build !linux

package pgtest

import (
	"errors"
	"os"
	"syscall"
)

// credentials are the user the server runs as, when not the tests' own.
type credentials struct{ uid, gid int }

// credential refuses to start a server as root, whom PostgreSQL refuses
// to run as: only Linux tests switch to an unprivileged user.
func credential() (*credentials, error) {
	if os.Geteuid() == 0 {
		return nil, errors.New("the tests run as root, and PostgreSQL refuses to")
	}
	return nil, nil
}

// sysProcAttr runs a process as the tests' own user.
func sysProcAttr(*credentials) *syscall.SysProcAttr { return nil }
