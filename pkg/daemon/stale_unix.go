//go:build !windows

package daemon

import (
	"errors"
	"syscall"
)

// isStale reports whether a dial error means that nobody listens on the
// socket any more.
func isStale(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED)
}
