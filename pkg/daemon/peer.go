package daemon

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os/user"
	"strconv"
	"sync"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
)

// peerKey is the context key of the peer credentials of a connection.
type peerKey struct{}

// peerCred is what a connection says about the process at its other end.
type peerCred struct {
	uid int
}

// connContext stashes the peer credentials of Unix socket connections in
// the connection's context (http.Server.ConnContext). TCP connections get
// nothing.
func connContext(ctx context.Context, c net.Conn) context.Context {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return ctx
	}
	uid, err := peerUID(uc)
	if err != nil {
		return ctx
	}
	ctx = auth.WithOrigin(ctx, auth.UnixPeerOrigin(uid))
	return context.WithValue(ctx, peerKey{}, peerCred{uid: uid})
}

// peerAuth identifies socket callers that send no Authorization header:
// root and the daemon's own user are superusers named after their OS user.
type peerAuth struct {
	self  int
	mu    sync.Mutex
	names map[int]string
}

func newPeerAuth(self int) *peerAuth {
	return &peerAuth{self: self, names: map[int]string{}}
}

// subject implements esapi.Config.Peer.
func (p *peerAuth) subject(r *http.Request) (*auth.Subject, *api.Error) {
	pc, ok := r.Context().Value(peerKey{}).(peerCred)
	if !ok {
		return nil, nil
	}
	if pc.uid != 0 && pc.uid != p.self {
		return nil, auth.Unauthenticated(fmt.Sprintf("unix socket peer uid %d is not allowed; authenticate with a user or an API key", pc.uid))
	}
	return auth.OSSubject(p.username(pc.uid)), nil
}

// username is the OS user name of uid, or the number when it has none.
func (p *peerAuth) username(uid int) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n, ok := p.names[uid]; ok {
		return n
	}
	name := strconv.Itoa(uid)
	if u, err := user.LookupId(name); err == nil && u.Username != "" {
		name = u.Username
	}
	p.names[uid] = name
	return name
}
