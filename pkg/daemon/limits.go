package daemon

import (
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
)

// The defaults of the HTTP limits. Request bodies here are small — the
// largest is a bulk update or a role with many descriptors — so the body
// limit is a tenth of Elasticsearch's http.max_content_length (100mb).
const (
	defaultMaxContentLength        = "10mb"
	defaultReadTimeout             = "30s"
	defaultRequestTimeout          = "60s"
	defaultIdleTimeout             = "2m"
	defaultMaxConnectionsPerClient = 256
	defaultFailedAuthLimit         = 100
	defaultFailedAuthWindow        = "1m"
)

// HTTPLimits bound what one client can make the daemon hold.
type HTTPLimits struct {
	// MaxContentLength is the largest request body, before and after
	// decompression; larger ones are answered 413 unread.
	MaxContentLength int64
	// ReadTimeout bounds the reading of one request, headers and body:
	// a client that sends its body too slowly is cut off.
	ReadTimeout time.Duration
	// IdleTimeout closes a keep-alive connection that sends no request.
	IdleTimeout time.Duration
	// RequestTimeout bounds the work of one request, so that none holds
	// the database's writer longer.
	RequestTimeout time.Duration
	// MaxConnectionsPerClient bounds the open TCP connections from one
	// client address; 0 leaves them unbounded.
	MaxConnectionsPerClient int
}

// parseLimits parses the HTTP limit settings into c.HTTP.
func (c *Config) parseLimits() error {
	n, err := api.ParseByteSize(c.MaxContentLength, "max-content-length")
	if err != nil {
		return configErrorf("--max-content-length %q: %v", c.MaxContentLength, err)
	}
	if n <= 0 {
		return configErrorf("--max-content-length %q: must be positive", c.MaxContentLength)
	}
	c.HTTP.MaxContentLength = n
	for _, s := range []struct {
		flag, value string
		dst         *time.Duration
	}{
		{"read-timeout", c.ReadTimeout, &c.HTTP.ReadTimeout},
		{"idle-timeout", c.IdleTimeout, &c.HTTP.IdleTimeout},
		{"request-timeout", c.RequestTimeout, &c.HTTP.RequestTimeout},
	} {
		d, err := api.ParseTimeValue(s.value, s.flag)
		if err != nil {
			return configErrorf("--%s %q: %v", s.flag, s.value, err)
		}
		if d <= 0 {
			return configErrorf("--%s %q: must be positive", s.flag, s.value)
		}
		*s.dst = d
	}
	if c.MaxConnectionsPerClient < 0 {
		return configErrorf("--max-connections-per-client %d: must be 0 (no bound) or more", c.MaxConnectionsPerClient)
	}
	c.HTTP.MaxConnectionsPerClient = c.MaxConnectionsPerClient
	if c.FailedAuthLimit < 0 {
		return configErrorf("--failed-auth-limit %d: must be 0 (no limit) or more", c.FailedAuthLimit)
	}
	window, err := api.ParseTimeValue(c.FailedAuthWindow, "failed-auth-window")
	if err != nil {
		return configErrorf("--failed-auth-window %q: %v", c.FailedAuthWindow, err)
	}
	if window <= 0 {
		return configErrorf("--failed-auth-window %q: must be positive", c.FailedAuthWindow)
	}
	c.FailureLimit = keyservice.FailureLimit{Limit: c.FailedAuthLimit, Window: window}
	return nil
}

// perClientListener closes, as soon as they are accepted, the connections
// of a client address that already holds max open connections.
type perClientListener struct {
	net.Listener
	max int
	log *slog.Logger

	mu   sync.Mutex
	open map[string]int
}

func limitPerClient(l net.Listener, max int, log *slog.Logger) net.Listener {
	if max <= 0 {
		return l
	}
	return &perClientListener{Listener: l, max: max, log: log, open: map[string]int{}}
}

// Accept returns the next connection of a client under its bound.
func (l *perClientListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		client := clientAddress(c.RemoteAddr())
		l.mu.Lock()
		over := l.open[client] >= l.max
		if !over {
			l.open[client]++
		}
		l.mu.Unlock()
		if over {
			l.log.Warn("connection refused: the client holds too many", "client", client, "max_connections_per_client", l.max)
			c.Close()
			continue
		}
		return &countedConn{Conn: c, release: func() { l.release(client) }}, nil
	}
}

func (l *perClientListener) release(client string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[client]--; l.open[client] <= 0 {
		delete(l.open, client)
	}
}

// clientAddress is the host part of a connection's remote address.
func clientAddress(a net.Addr) string {
	if tcp, ok := a.(*net.TCPAddr); ok {
		return tcp.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// countedConn gives its client's place back when closed, once.
type countedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
