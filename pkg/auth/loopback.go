package auth

import (
	"net"
	"strings"
)

// Loopback reports whether a call came over HTTP from this machine alone:
// a peer of the Unix socket, or a TCP client at a loopback address.
func (o Origin) Loopback() bool {
	if o.Type != OriginREST {
		return false
	}
	if strings.HasPrefix(o.Address, "unix:") {
		return true
	}
	host, _, err := net.SplitHostPort(o.Address)
	if err != nil {
		host = o.Address
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
