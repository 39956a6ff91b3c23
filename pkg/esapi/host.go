package esapi

import (
	"net"
	"net/http"
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// hostCheck guards loopback connections against DNS rebinding: a web page
// whose name an attacker points at 127.0.0.1 reaches a loopback listener
// with its own name in the Host header. On a connection to a loopback
// address only loopback names and addresses, and the names configured,
// are served.
type hostCheck struct {
	any      bool
	names    map[string]bool
	suffixes []string // of the names allowed as "*.example.com": ".example.com"
}

func newHostCheck(allowed []string) hostCheck {
	hc := hostCheck{names: map[string]bool{}}
	for _, h := range allowed {
		h = strings.ToLower(strings.TrimSpace(h))
		switch {
		case h == "*":
			hc.any = true
		case strings.HasPrefix(h, "*."):
			hc.suffixes = append(hc.suffixes, h[1:])
		default:
			hc.names[h] = true
		}
	}
	return hc
}

// check refuses a request that came to a loopback address for a host name
// that is neither loopback nor allowed.
func (hc hostCheck) check(r *http.Request) error {
	if hc.any || !loopbackConn(r) {
		return nil
	}
	host := strings.ToLower(r.Host)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if host == "" || host == "localhost" || strings.HasSuffix(host, ".localhost") || hc.names[host] {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	for _, suffix := range hc.suffixes {
		if strings.HasSuffix(host, suffix) {
			return nil
		}
	}
	return api.Errorf(api.Forbidden, "requests for host [%s] are not served on a loopback address (a DNS rebinding guard); allow the name with apikeyd --allowed-hosts", r.Host)
}

// loopbackConn reports whether the request came over TCP to a loopback
// address (not over the Unix socket, not to a network address).
func loopbackConn(r *http.Request) bool {
	addr, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return false
	}
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}
