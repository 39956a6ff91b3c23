//go:build unix

package sqlite

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// shmProbeEnv names the -shm file a child process of the test binary
// probes (see init).
const shmProbeEnv = "APIKEYD_TEST_SQLITE_SHM_PROBE"

// shmDMSByte is the byte of the -shm file every process using the
// database holds a read lock on (UNIX_SHM_DMS in SQLite's os_unix.c): a
// process that can write-lock it takes the file for unused and
// reinitialises it.
const shmDMSByte = 128

// init is the child process: it prints whether another process holds a
// lock on the DMS byte of the -shm file, and exits.
func init() {
	path := os.Getenv(shmProbeEnv)
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: 0, Start: shmDMSByte, Len: 1}
	if err := syscall.FcntlFlock(f.Fd(), syscall.F_GETLK, &lk); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if lk.Type == syscall.F_UNLCK {
		fmt.Print("unlocked")
	} else {
		fmt.Print("locked")
	}
	os.Exit(0)
}

// TestGenerationKeepsSHMLocks: mapping the WAL-index header for
// Generation leaves SQLite's locks on the -shm file in place, so that
// another process (apikeyctl --db beside apikeyd) does not take the file
// for unused and reinitialise it under this one's connections.
func TestGenerationKeepsSHMLocks(t *testing.T) {
	path := tempPath(t)
	db := mustOpen(t, path)
	probe := func() string {
		t.Helper()
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), shmProbeEnv+"="+path+"-shm")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("probe: %v", err)
		}
		return strings.TrimSpace(string(out))
	}
	if got := probe(); got != "locked" {
		t.Fatalf("with the database open, the DMS byte is %s", got)
	}
	if _, err := db.Generation(t.Context()); err != nil {
		t.Fatal(err)
	}
	if db.gen.header == nil {
		t.Skip("the WAL-index header cannot be mapped here")
	}
	if got := probe(); got != "locked" {
		t.Fatalf("after Generation mapped the WAL-index header, the DMS byte is %s: another process would reinitialise the -shm file", got)
	}
}
