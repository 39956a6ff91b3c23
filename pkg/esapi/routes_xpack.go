package esapi

import (
	"context"
	"net/http"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// xpackRoutes are Elasticsearch's xpack usage, with the query parameter
// of its REST spec (xpack.usage).
func xpackRoutes() []*route {
	return []*route{
		{method: http.MethodGet, pattern: "/_xpack/usage", params: []param{{"master_timeout", stringParam}}, serve: serveXPackUsage},
	}
}

// serveXPackUsage answers the security feature's usage; whether HTTP is
// over TLS is the connection's to say.
func serveXPackUsage(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	resp, err := h.svc.XPackUsage(ctx, &api.XPackUsageRequest{MasterTimeout: x.q["master_timeout"]})
	if err != nil {
		return 0, nil, err
	}
	resp.Security.SSL.HTTP.Enabled = x.r.TLS != nil
	return http.StatusOK, resp, nil
}
