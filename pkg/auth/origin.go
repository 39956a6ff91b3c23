package auth

import (
	"context"
	"net/netip"
	"strconv"
)

// Origin types, as the audit log's origin.type reports them.
const (
	// OriginREST is a call that came over HTTP (the daemon's socket or
	// TCP listener).
	OriginREST = "rest"
	// OriginLocal is a call made in process: apikeyctl --db, or one of the
	// daemon's own background jobs.
	OriginLocal = "local"
)

// Origin is where a call came from. The HTTP layer puts it in the request's
// context; the audit log records it.
type Origin struct {
	// Type is OriginREST or OriginLocal.
	Type string
	// Address is the client's IP address and port for TCP, "unix:uid=N"
	// for a peer of the Unix socket, and "uid=N" for a local call.
	Address string
	// Client is the client's IP address, against which a key bound to
	// networks is checked: the TCP peer's, or, behind a trusted proxy,
	// the forwarded one. It is the zero Addr for a caller with no network
	// address (a Unix socket peer, a local call).
	Client netip.Addr
}

// UnixPeerOrigin is the origin of a request from the Unix socket peer
// running as uid.
func UnixPeerOrigin(uid int) Origin {
	return Origin{Type: OriginREST, Address: "unix:uid=" + strconv.Itoa(uid)}
}

// LocalOrigin is the origin of an in-process call made by the OS user uid.
func LocalOrigin(uid int) Origin {
	return Origin{Type: OriginLocal, Address: "uid=" + strconv.Itoa(uid)}
}

type originKey struct{}

// WithOrigin returns a context that carries the origin of the call.
func WithOrigin(ctx context.Context, o Origin) context.Context {
	return context.WithValue(ctx, originKey{}, o)
}

// OriginFrom returns the origin a context carries.
func OriginFrom(ctx context.Context) (Origin, bool) {
	o, ok := ctx.Value(originKey{}).(Origin)
	return o, ok
}
