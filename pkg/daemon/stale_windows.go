//go:build windows

package daemon

import (
	"errors"

	"golang.org/x/sys/windows"
)

// isStale reports whether a dial error means that nobody listens on the
// socket any more.
func isStale(err error) bool {
	return errors.Is(err, windows.WSAECONNREFUSED)
}
