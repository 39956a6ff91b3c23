//go:build linux || darwin || freebsd || netbsd || openbsd

package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
)

// TestStartupAsksTheTerminalNothing runs apikeyctl --db FILE get with its
// standard streams on a pseudo-terminal that never answers, as under
// docker run -t, expect or script. No command may query the terminal at
// start-up: bubbletea v1's init (linked in through the browser) asked for
// the background colour (OSC 11) and the cursor position (DSR 6n), then
// waited up to 5 s for replies that never came. So the program writes
// neither query and is done well within that wait.
func TestStartupAsksTheTerminalNothing(t *testing.T) {
	db := filepath.Join(t.TempDir(), "keys.db")
	// A fresh database: its creation is not what is timed.
	if out, err := exec.Command("apikeyctl", "--db", db, "get").CombinedOutput(); err != nil {
		t.Fatalf("create the database: %v: %s", err, out)
	}
	for name, args := range map[string][]string{"get": {"--db", db, "get"}, "version": {"version"}} {
		t.Run(name, func(t *testing.T) {
			ptmx, tty, err := pty.Open()
			if err != nil {
				t.Skipf("no pseudo-terminal: %v", err)
			}
			defer ptmx.Close()
			if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 24, Cols: 80}); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("apikeyctl", args...)
			// A terminal termenv would query (not dumb, not screen or
			// tmux), with colour: the case that waited.
			cmd.Env = testEnviron("XDG_CONFIG_HOME="+t.TempDir(), "TERM=xterm-256color", "COLORTERM=")
			cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
			// Its own session, with the terminal as the controlling one
			// and apikeyctl in the foreground, as a shell in the container
			// would run it: termenv asks only a terminal it controls.
			cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
			// The terminal's side reads everything written and answers
			// nothing.
			var (
				mu     sync.Mutex
				screen bytes.Buffer
			)
			drained := make(chan struct{})
			go func() {
				defer close(drained)
				buf := make([]byte, 4096)
				for {
					n, err := ptmx.Read(buf)
					mu.Lock()
					screen.Write(buf[:n])
					mu.Unlock()
					if err != nil {
						return
					}
				}
			}()
			begin := time.Now()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			tty.Close()
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			var waitErr error
			select {
			case waitErr = <-done:
			case <-time.After(20 * time.Second):
				_ = cmd.Process.Kill()
				<-done
				t.Fatalf("apikeyctl %s did not end within 20 s on a silent terminal", strings.Join(args, " "))
			}
			elapsed := time.Since(begin)
			// The output is in the terminal's buffer: read it until the
			// last writer is gone (EIO on Linux), or give up after a
			// while where the master sees no hang-up.
			select {
			case <-drained:
			case <-time.After(2 * time.Second):
			}
			mu.Lock()
			out := screen.String()
			mu.Unlock()
			if waitErr != nil {
				t.Errorf("apikeyctl %s: %v; terminal: %q", strings.Join(args, " "), waitErr, out)
			}
			for _, q := range []string{"\x1b]11;?", "\x1b[6n"} {
				if strings.Contains(out, q) {
					t.Errorf("apikeyctl %s queried the terminal (%q); it wrote %q", strings.Join(args, " "), q, out)
				}
			}
			// Without the 5 s wait a command takes a fraction of a
			// second; the bound leaves room for slow and -race runs.
			if limit := 2 * time.Second; elapsed > limit {
				t.Errorf("apikeyctl %s took %v on a silent terminal, want under %v", strings.Join(args, " "), elapsed, limit)
			}
			t.Logf("apikeyctl %s: %v; terminal got %q", strings.Join(args, " "), elapsed.Round(time.Millisecond), out)
		})
	}
}
