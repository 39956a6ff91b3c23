package pgserver

import (
	"os"
	"os/user"
	"strconv"
	"syscall"
)

// credentials are the user the server runs as, when not this process's own.
type credentials struct{ uid, gid int }

// credential returns the user nobody when this process runs as root, whom
// PostgreSQL refuses to run as; nil otherwise.
func credential() (*credentials, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		return nil, err
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return nil, err
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return nil, err
	}
	return &credentials{uid, gid}, nil
}

// sysProcAttr runs a process as cred, and has the server die with this
// process should it exit without stopping it.
func sysProcAttr(cred *credentials) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if cred != nil {
		a.Credential = &syscall.Credential{Uid: uint32(cred.uid), Gid: uint32(cred.gid), NoSetGroups: true}
	}
	return a
}
