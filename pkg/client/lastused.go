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
// always apikeyd; a URL is asked once, with HEAD /_apikeyd: apikeyd has
// that route, and answers it 200 (or 401 or 403 when it does not know or
// allow the caller), where Elasticsearch has no handler for it (400). An
// answer of neither kind (a proxy's 404 or 502) is not apikeyd.
func (c *Client) IsApikeyd(ctx context.Context) (bool, error) {
	if c.socket {
		return true, nil
	}
	c.dialect.mu.Lock()
	defer c.dialect.mu.Unlock()
	if c.dialect.known {
		return c.dialect.apikeyd, nil
	}
	resp, err := c.send(ctx, call{method: http.MethodHead, path: "/_apikeyd"})
	if err != nil {
		return false, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	c.dialect.known, c.dialect.apikeyd = true, apikeydStatus(resp.StatusCode)
	return c.dialect.apikeyd, nil
}

// apikeydStatus reports whether status is apikeyd's answer to HEAD /_apikeyd.
func apikeydStatus(status int) bool {
	switch status {
	case http.StatusOK, http.StatusUnauthorized, http.StatusForbidden:
		return true
	}
	return false
}
