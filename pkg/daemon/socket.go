package daemon

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"time"
)

// SocketInUseError says that a live apikeyd already serves on the socket.
type SocketInUseError struct{ Path string }

func (e *SocketInUseError) Error() string {
	return fmt.Sprintf("another apikeyd is already serving on %s: stop it first, or choose another --socket", e.Path)
}

// socketMode is the permission of the socket file: the daemon's user and
// group may connect.
const socketMode = 0o660

// listenUnix listens on the Unix socket at path with the usual hygiene:
// the directory is created private, a stale socket left by a dead daemon
// is removed, a live one or a file that is not a socket is never touched,
// and the socket file is removed when the listener closes.
func listenUnix(ctx context.Context, path string) (*net.UnixListener, error) {
	dir := filepath.Dir(path)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		mode := fs.FileMode(0o700)
		if os.Geteuid() == 0 {
			mode = 0o750
		}
		if err := os.MkdirAll(dir, mode); err != nil {
			return nil, fmt.Errorf("create the socket directory: %w", err)
		}
		// MkdirAll honours the umask; the directory must be exactly mode.
		if err := os.Chmod(dir, mode); err != nil {
			return nil, fmt.Errorf("create the socket directory: %w", err)
		}
	}
	if err := clearStaleSocket(ctx, path); err != nil {
		return nil, err
	}
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "unix", path)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	ul := l.(*net.UnixListener)
	ul.SetUnlinkOnClose(true)
	if err := os.Chmod(path, socketMode); err != nil {
		ul.Close()
		return nil, fmt.Errorf("set the mode of %s: %w", path, err)
	}
	return ul, nil
}

// clearStaleSocket makes path free for a new socket: nothing there is
// fine; a socket nobody listens on is removed; anything else is an error.
func clearStaleSocket(ctx context.Context, path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("inspect %s: %w", path, err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("refusing to replace %s: it exists and is not a socket", path)
	}
	d := net.Dialer{Timeout: time.Second}
	conn, err := d.DialContext(ctx, "unix", path)
	if err == nil {
		conn.Close()
		return &SocketInUseError{Path: path}
	}
	if !isStale(err) {
		return fmt.Errorf("refusing to replace the socket %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove the stale socket %s: %w", path, err)
	}
	return nil
}
