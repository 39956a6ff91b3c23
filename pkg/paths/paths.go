// Package paths holds the default locations of apikeyd's files: its data
// directory, database and socket, and the socket of the packaged,
// system-wide daemon. apikeyd and apikeyctl both import it, so apikeyctl
// finds the daemon where the daemon listens without linking the daemon.
//
// Every function takes the environment as a getenv function and the
// effective user id where it matters, so callers (and tests) decide where
// both come from.
package paths

import (
	"os"
	"path/filepath"
	"slices"
)

// The environment variables that move apikeyd's files.
const (
	// DataDirEnv names the data directory (apikeyd's --data-dir).
	DataDirEnv = "APIKEYD_DATA_DIR"
	// SocketEnv names the socket (apikeyd's --socket).
	SocketEnv = "APIKEYD_SOCKET"
)

// The fixed names and locations.
const (
	// DatabaseName is the database file's name in the data directory.
	DatabaseName = "apikeys.db"
	// SocketName is the socket's name in its directory.
	SocketName = "apikeyd.sock"
	// SystemDataDir is root's data directory, the packaged daemon's.
	SystemDataDir = "/var/lib/apikeyd"
	// SystemSocket is root's socket, where the packaged, socket-activated
	// daemon serves.
	SystemSocket = "/run/apikeyd/" + SocketName
)

// DataDir is the data directory of a daemon run by euid without a
// configured one: SystemDataDir for root, else $XDG_DATA_HOME/apikeyd,
// else ~/.local/share/apikeyd.
func DataDir(getenv func(string) string, euid int) string {
	if euid == 0 {
		return SystemDataDir
	}
	if x := getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "apikeyd")
	}
	home := getenv("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	return filepath.Join(home, ".local", "share", "apikeyd")
}

// Socket is the socket of a daemon run by euid over dataDir without a
// configured one: SystemSocket for root, else
// $XDG_RUNTIME_DIR/apikeyd/apikeyd.sock, else dataDir/apikeyd.sock.
func Socket(getenv func(string) string, euid int, dataDir string) string {
	if euid == 0 {
		return SystemSocket
	}
	if x := getenv("XDG_RUNTIME_DIR"); x != "" {
		return filepath.Join(x, "apikeyd", SocketName)
	}
	return filepath.Join(dataDir, SocketName)
}

// DefaultSockets are the sockets the calling user's apikeyd (euid) may
// listen on when started without flags, in the order the daemon's rules
// choose among them: $APIKEYD_SOCKET alone when set; else Socket over
// $APIKEYD_DATA_DIR or DataDir with this environment, then without
// XDG_RUNTIME_DIR (a daemon started by su, or from cron, has none and
// listens in its data directory), then SystemSocket, the packaged
// daemon's. Duplicates are left out.
func DefaultSockets(getenv func(string) string, euid int) []string {
	if s := getenv(SocketEnv); s != "" {
		return []string{s}
	}
	dataDir := getenv(DataDirEnv)
	if dataDir == "" {
		dataDir = DataDir(getenv, euid)
	}
	noRuntimeDir := func(k string) string {
		if k == "XDG_RUNTIME_DIR" {
			return ""
		}
		return getenv(k)
	}
	var socks []string
	for _, s := range []string{Socket(getenv, euid, dataDir), Socket(noRuntimeDir, euid, dataDir), SystemSocket} {
		if !slices.Contains(socks, s) {
			socks = append(socks, s)
		}
	}
	return socks
}
