package client

import (
	"context"
	"io"
	"net/http"
	"sync"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

var _ api.Dialect = (*Client)(nil)

// dialectCache remembers whether the server is apikeyd once asked.
type dialectCache struct {
	mu      sync.Mutex
	known   bool
	apikeyd bool
}

// IsApikeyd reports whether the server is apikeyd, which takes apikeyd's
// extensions (with_last_used) that Elasticsearch refuses. A socket is
// always apikeyd; a URL is asked once, with HEAD /, whose answer carries
// api.ApikeydHeader when it comes from apikeyd, whatever its status (the
// caller need not be allowed to read the root).
func (c *Client) IsApikeyd(ctx context.Context) (bool, error) {
	if c.socket {
		return true, nil
	}
	c.dialect.mu.Lock()
	defer c.dialect.mu.Unlock()
	if c.dialect.known {
		return c.dialect.apikeyd, nil
	}
	resp, err := c.send(ctx, call{method: http.MethodHead, path: "/"})
	if err != nil {
		return false, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	c.dialect.known, c.dialect.apikeyd = true, resp.Header.Get(api.ApikeydHeader) != ""
	return c.dialect.apikeyd, nil
}
