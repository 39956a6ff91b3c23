package daemon

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// shortDir is a temporary directory with a path short enough for a Unix
// socket (t.TempDir() paths can pass the 104-byte limit).
func shortDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "akd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// staleSocket leaves a socket file that nobody listens on.
func staleSocket(t *testing.T, path string) {
	t.Helper()
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
}

func TestListenUnix(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix socket file modes are a Unix matter")
	}
	tests := []struct {
		name    string
		setup   func(t *testing.T, path string) (cleanup func())
		wantErr string
		inUse   bool
	}{
		{
			name:  "fresh path in a new directory",
			setup: func(*testing.T, string) func() { return nil },
		},
		{
			name: "stale socket is replaced",
			setup: func(t *testing.T, path string) func() {
				os.MkdirAll(filepath.Dir(path), 0o700)
				staleSocket(t, path)
				return nil
			},
		},
		{
			name: "live socket is refused",
			setup: func(t *testing.T, path string) func() {
				os.MkdirAll(filepath.Dir(path), 0o700)
				l, err := net.Listen("unix", path)
				if err != nil {
					t.Fatal(err)
				}
				return func() { l.Close() }
			},
			wantErr: "another apikeyd is already serving on",
			inUse:   true,
		},
		{
			name: "regular file is refused",
			setup: func(t *testing.T, path string) func() {
				os.MkdirAll(filepath.Dir(path), 0o700)
				if err := os.WriteFile(path, []byte("precious"), 0o600); err != nil {
					t.Fatal(err)
				}
				return nil
			},
			wantErr: "exists and is not a socket",
		},
		{
			name: "directory is refused",
			setup: func(t *testing.T, path string) func() {
				if err := os.MkdirAll(path, 0o700); err != nil {
					t.Fatal(err)
				}
				return nil
			},
			wantErr: "exists and is not a socket",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(shortDir(t), "run", "apikeyd.sock")
			if cleanup := tt.setup(t, path); cleanup != nil {
				defer cleanup()
			}
			before, _ := os.Lstat(path)
			l, err := listenUnix(context.Background(), path)
			if tt.wantErr != "" {
				if err == nil {
					l.Close()
					t.Fatalf("want an error containing %q", tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %q does not contain %q", err, tt.wantErr)
				}
				var inUse *SocketInUseError
				if errors.As(err, &inUse) != tt.inUse {
					t.Errorf("SocketInUseError = %v, want %v", !tt.inUse, tt.inUse)
				}
				after, aerr := os.Lstat(path)
				if aerr != nil || !os.SameFile(before, after) {
					t.Errorf("the existing file was touched")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			fi, err := os.Lstat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Type() != fs.ModeSocket || fi.Mode().Perm() != 0o660 {
				t.Errorf("socket mode = %v, want socket 0660", fi.Mode())
			}
			di, err := os.Stat(filepath.Dir(path))
			if err != nil {
				t.Fatal(err)
			}
			if perm := di.Mode().Perm(); perm != 0o700 && perm != 0o750 {
				t.Errorf("directory mode = %v, want 0700 or 0750", perm)
			}
			conn, err := net.Dial("unix", path)
			if err != nil {
				t.Fatalf("dial the new socket: %v", err)
			}
			conn.Close()
			l.Close()
			if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("socket file left after close: %v", err)
			}
		})
	}
}
