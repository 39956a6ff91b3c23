package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// Events sends GET /_apikeyd/events.
func (c *Client) Events(ctx context.Context, req *api.EventsRequest) (*api.EventsResponse, error) {
	q := url.Values{}
	for name, v := range map[string]string{"key": req.APIKeyID, "user": req.User, "outcome": req.Outcome,
		"since": req.Since, "until": req.Until, "after": req.After} {
		if v != "" {
			q.Set(name, v)
		}
	}
	if len(req.Actions) > 0 {
		q.Set("action", strings.Join(req.Actions, ","))
	}
	if req.Size != 0 {
		q.Set("size", strconv.Itoa(req.Size))
	}
	if req.Wait > 0 {
		q.Set("wait_for_events", strconv.FormatInt(req.Wait.Milliseconds(), 10)+"ms")
	}
	cl := c.adminCall(http.MethodGet, "/_apikeyd/events", nil, "the event log",
		"read Elasticsearch's audit log files (xpack.security.audit.logfile) on its nodes")
	cl.query = q
	return send[api.EventsResponse](ctx, c, cl)
}
