package esapi

import (
	"net/netip"
	"testing"
)

// TestClientAddress: X-Forwarded-For is walked from the right only while
// the hop at hand is a trusted proxy; the client is the first address that
// is not one.
func TestClientAddress(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	for _, c := range []struct {
		name      string
		peer      string
		forwarded []string
		want      string
	}{
		{name: "no proxy, header ignored", peer: "192.0.2.1", forwarded: []string{"198.51.100.7"}, want: "192.0.2.1"},
		{name: "trusted proxy", peer: "10.0.0.1", forwarded: []string{"198.51.100.7"}, want: "198.51.100.7"},
		{name: "trusted proxy, no header", peer: "10.0.0.1", want: "10.0.0.1"},
		{name: "chain of trusted proxies", peer: "10.0.0.1", forwarded: []string{"198.51.100.7, 10.0.0.2", "10.0.0.3"}, want: "198.51.100.7"},
		{name: "untrusted hop stops the walk", peer: "10.0.0.1", forwarded: []string{"10.9.9.9, 203.0.113.5, 10.0.0.2"}, want: "203.0.113.5"},
		{name: "every hop trusted", peer: "10.0.0.1", forwarded: []string{"10.0.0.7,10.0.0.8"}, want: "10.0.0.7"},
		{name: "IPv6 proxy and client", peer: "fd00::1", forwarded: []string{"2001:db8::5"}, want: "2001:db8::5"},
		{name: "hop with a port", peer: "10.0.0.1", forwarded: []string{"198.51.100.7:4711"}, want: "198.51.100.7"},
		{name: "bracketed IPv6 hop with a port", peer: "10.0.0.1", forwarded: []string{"[2001:db8::5]:4711"}, want: "2001:db8::5"},
		{name: "IPv4-mapped hop", peer: "10.0.0.1", forwarded: []string{"::ffff:198.51.100.7"}, want: "198.51.100.7"},
		{name: "garbage hop", peer: "10.0.0.1", forwarded: []string{"198.51.100.7, unknown"}, want: "10.0.0.1"},
		{name: "empty hop", peer: "10.0.0.1", forwarded: []string{""}, want: "10.0.0.1"},
		{name: "zone", peer: "10.0.0.1", forwarded: []string{"fe80::1%eth0"}, want: "10.0.0.1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := clientAddress(netip.MustParseAddr(c.peer), c.forwarded, proxies)
			if got != netip.MustParseAddr(c.want) {
				t.Fatalf("client %s, want %s", got, c.want)
			}
		})
	}
}
