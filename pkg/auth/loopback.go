package auth

import (
	"net"
	"strings"
)

// Loopback reports whether a call came over HTTP from this machine alone:
// a peer of the Unix socket, or a TCP client at a loopback address. Behind
// a trusted proxy the client is the forwarded address (Client), so that a
// proxy on this machine does not make its remote clients local.
func (o Origin) Loopback() bool {
	if o.Type != OriginREST {
		return false
	}
	if strings.HasPrefix(o.Address, "unix:") {
		return true
	}
	if o.Client.IsValid() {
		return o.Client.IsLoopback()
	}
	host, _, err := net.SplitHostPort(o.Address)
	if err != nil {
		host = o.Address
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
