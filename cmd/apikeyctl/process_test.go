//go:build unix

package main

import (
	"bytes"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestInterruptExits130: Ctrl-C (SIGINT) or SIGTERM while apikeyctl
// waits (here, for an answer from a server that never gives one) ends it
// with exit code 130 and one line on stderr. The signal is sent once the
// server has the request in hand: apikeyctl is then certainly past its
// start-up and waiting.
func TestInterruptExits130(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			arrived := make(chan struct{}, 1)
			release := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				arrived <- struct{}{}
				select {
				case <-release:
				case <-r.Context().Done():
				}
			}))
			defer srv.Close()
			defer close(release)

			cmd := exec.Command("apikeyctl", "--url", srv.URL, "--username", "u", "--password-stdin", "whoami")
			cmd.Env = testEnviron("XDG_CONFIG_HOME=" + t.TempDir())
			cmd.Stdin = strings.NewReader("secret-password\n")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-arrived:
			case err := <-done:
				t.Fatalf("apikeyctl ended before its request arrived: %v; stderr: %s", err, stderr.String())
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			var err error
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				_ = cmd.Process.Kill()
				t.Fatal("apikeyctl did not stop after the signal")
			}
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 130 {
				t.Fatalf("exit: %v, want code 130; stderr: %s", err, stderr.String())
			}
			if got := strings.TrimSpace(stderr.String()); got != "error: interrupted" {
				t.Fatalf("stderr = %q", got)
			}
		})
	}
}

// TestSocketActivation starts apikeyd as systemd would for a socket unit
// with a Unix and a TCP socket: the listening sockets as descriptors 3
// and 4, LISTEN_FDS, LISTEN_FDNAMES and LISTEN_PID set to apikeyd's own
// pid. apikeyd serves on them instead of creating its own, and leaves the
// socket file, which belongs to systemd, in place when it stops.
func TestSocketActivation(t *testing.T) {
	dir := shortTempDir(t)
	sock := filepath.Join(dir, "activated.sock")
	ul, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ul.Close()
	ul.(*net.UnixListener).SetUnlinkOnClose(false)
	tl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tl.Close()
	uf, err := ul.(*net.UnixListener).File()
	if err != nil {
		t.Fatal(err)
	}
	defer uf.Close()
	tf, err := tl.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	defer tf.Close()

	ready := filepath.Join(dir, "ready.json")
	// The shell's exec keeps its pid, so $$ is apikeyd's pid, as systemd
	// sets LISTEN_PID after forking.
	cmd := exec.Command("sh", "-c", `LISTEN_PID=$$ exec apikeyd "$@"`, "sh",
		"--data-dir", filepath.Join(dir, "data"), "--socket", filepath.Join(dir, "unused.sock"), "--ready-file", ready)
	cmd.Env = testEnviron("LISTEN_FDS=2", "LISTEN_FDNAMES=apikeyd.socket:apikeyd-tcp", "APIKEYD_BOOTSTRAP_PASSWORD=activated-pw")
	cmd.ExtraFiles = []*os.File{uf, tf}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()
	addr := waitReadyFile(t, ready, &stderr)
	if addr != tl.Addr().String() {
		t.Errorf("apikeyd serves TCP on %s, want the passed socket %s", addr, tl.Addr())
	}
	// The parent's copies are no longer needed: only apikeyd accepts.
	uf.Close()
	tf.Close()
	ul.Close()
	tl.Close()

	env := []string{"XDG_CONFIG_HOME=" + t.TempDir()}
	if got := apikeyctl(t, env, "", "--socket", sock, "whoami", "--field", "authentication_realm.name"); got != "os" {
		t.Errorf("whoami over the passed Unix socket: %q", got)
	}
	if got := apikeyctl(t, append(env, "APIKEYCTL_PASSWORD=activated-pw"), "", "--url", "http://"+addr, "--username", "elastic", "whoami", "--field", "username"); got != "elastic" {
		t.Errorf("whoami over the passed TCP socket: %q", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "unused.sock")); !os.IsNotExist(err) {
		t.Errorf("apikeyd created its own socket although activated: %v", err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("apikeyd: %v\n%s", err, stderr.String())
	}
	stopped = true
	if !strings.Contains(stderr.String(), "apikeyd.socket") {
		t.Errorf("the log does not name the passed socket:\n%s", stderr.String())
	}
	if _, err := os.Stat(sock); err != nil {
		t.Errorf("apikeyd removed the socket file that systemd owns: %v", err)
	}
}
