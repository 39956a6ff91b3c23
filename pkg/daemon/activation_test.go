//go:build unix

package daemon

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/apikeyctl/apikeyctl/pkg/paths"
)

// passFDs duplicates the descriptors of files to consecutive descriptor
// numbers, as systemd lays them out from 3, and returns the first. The
// descriptors are the receiver's to close: activationListeners closes
// those it takes, closeFDs the others.
func passFDs(t *testing.T, files ...*os.File) int {
	t.Helper()
	first := -1
	for i, f := range files {
		want := 200
		if first >= 0 {
			want = first + i
		}
		fd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD, want)
		if err != nil {
			t.Fatal(err)
		}
		if first >= 0 && fd != first+i {
			closeFDs(first, i)
			unix.Close(fd)
			t.Skipf("descriptor %d is taken; cannot lay out consecutive descriptors", first+i)
		}
		if first < 0 {
			first = fd
		}
	}
	return first
}

// closeFDs closes n descriptors from first.
func closeFDs(first, n int) {
	for fd := first; fd < first+n; fd++ {
		unix.Close(fd)
	}
}

func listenerFile(t *testing.T, l net.Listener) *os.File {
	t.Helper()
	var (
		f   *os.File
		err error
	)
	switch l := l.(type) {
	case *net.UnixListener:
		f, err = l.File()
	case *net.TCPListener:
		f, err = l.File()
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestActivationListeners(t *testing.T) {
	dir, err := os.MkdirTemp("", "act")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "a.sock")
	ul, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ul.Close()
	tl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tl.Close()
	regular, err := os.Create(filepath.Join(dir, "file"))
	if err != nil {
		t.Fatal(err)
	}
	defer regular.Close()

	files := []*os.File{listenerFile(t, ul), listenerFile(t, tl), regular}
	pid := os.Getpid()
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}

	t.Run("unix and tcp, named", func(t *testing.T) {
		first := passFDs(t, files...)
		defer closeFDs(first+2, 1)
		got, err := activationListeners(env("LISTEN_PID", strconv.Itoa(pid), "LISTEN_FDS", "2", "LISTEN_FDNAMES", "apikeyd.socket:tcp"), pid, first)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || !got[0].unix() || got[1].unix() || got[0].name != "apikeyd.socket" || got[1].name != "tcp" {
			t.Fatalf("got %+v", got)
		}
		if got[0].listener.Addr().String() != sock || got[1].listener.Addr().String() != tl.Addr().String() {
			t.Fatalf("addresses %s, %s", got[0].listener.Addr(), got[1].listener.Addr())
		}
		// The inherited listeners accept connections made to the originals.
		for i, addr := range []struct{ network, addr string }{{"unix", sock}, {"tcp", tl.Addr().String()}} {
			done := make(chan error, 1)
			go func() {
				c, err := got[i].listener.Accept()
				if err == nil {
					c.Close()
				}
				done <- err
			}()
			c, err := net.Dial(addr.network, addr.addr)
			if err != nil {
				t.Fatal(err)
			}
			c.Close()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			got[i].listener.Close()
		}
		// Closing an inherited Unix listener leaves the socket file to
		// its owner, the service manager.
		if _, err := os.Stat(sock); err != nil {
			t.Fatalf("the socket file was removed: %v", err)
		}
	})
	t.Run("names that do not match the count", func(t *testing.T) {
		first := passFDs(t, files[0])
		got, err := activationListeners(env("LISTEN_PID", strconv.Itoa(pid), "LISTEN_FDS", "1", "LISTEN_FDNAMES", "a:b"), pid, first)
		if err != nil || len(got) != 1 || got[0].name != "unknown" {
			t.Fatalf("got %+v, %v", got, err)
		}
		got[0].listener.Close()
	})
	t.Run("not activated", func(t *testing.T) {
		first := passFDs(t, files...)
		defer closeFDs(first, 3)
		got, err := activationListeners(env(), pid, first)
		if err != nil || got != nil {
			t.Fatalf("got %+v, %v", got, err)
		}
	})
	t.Run("meant for another process", func(t *testing.T) {
		first := passFDs(t, files...)
		defer closeFDs(first, 3)
		got, err := activationListeners(env("LISTEN_PID", strconv.Itoa(pid+1), "LISTEN_FDS", "2"), pid, first)
		if err != nil || got != nil {
			t.Fatalf("got %+v, %v", got, err)
		}
	})
	t.Run("bad count", func(t *testing.T) {
		first := passFDs(t, files...)
		defer closeFDs(first, 3)
		if _, err := activationListeners(env("LISTEN_PID", strconv.Itoa(pid), "LISTEN_FDS", "two"), pid, first); err == nil {
			t.Fatal("want an error")
		}
	})
	t.Run("not a socket", func(t *testing.T) {
		first := passFDs(t, files...)
		_, err := activationListeners(env("LISTEN_PID", strconv.Itoa(pid), "LISTEN_FDS", "3"), pid, first)
		if err == nil || !strings.Contains(err.Error(), "descriptor "+strconv.Itoa(first+2)) {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestSystemdUnits keeps the packaged units in step with the daemon: the
// socket unit listens where apikeyd and apikeyctl look for the system
// socket, and the service runs apikeyd on the packaged data directory.
func TestSystemdUnits(t *testing.T) {
	keys := func(path string) map[string][]string {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		m := map[string][]string{}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
				m[k] = append(m[k], v)
			}
		}
		return m
	}
	sock := keys(filepath.Join("systemd", "apikeyd.socket"))
	if got, want := sock["ListenStream"], paths.SystemSocket; len(got) != 1 || got[0] != want {
		t.Errorf("apikeyd.socket ListenStream = %v, want [%s]", got, want)
	}
	svc := keys(filepath.Join("systemd", "apikeyd.service"))
	if got := svc["ExecStart"]; len(got) != 1 || !regexp.MustCompile(`^/usr/bin/apikeyd --data-dir `+paths.SystemDataDir+`\b`).MatchString(got[0]) {
		t.Errorf("apikeyd.service ExecStart = %v", got)
	}
	if got := svc["Requires"]; len(got) != 1 || got[0] != "apikeyd.socket" {
		t.Errorf("apikeyd.service Requires = %v", got)
	}
}
