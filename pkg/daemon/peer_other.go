//go:build !linux && !darwin

package daemon

import (
	"errors"
	"net"
)

// peerUID is not available on this platform: every request on the socket
// must carry credentials.
func peerUID(*net.UnixConn) (int, error) {
	return 0, errors.New("peer credentials are not supported on this platform")
}
