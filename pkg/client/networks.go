package client

import (
	"context"
	"net/http"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// restrictionInstead is what to do against Elasticsearch, which cannot
// bind a key to networks.
const restrictionInstead = "Elasticsearch cannot bind an API key to client networks: leave out --allow-from and --clear-allow-from"

// CreateAPIKeyExtended sends POST /_apikeyd/api_key.
func (c *Client) CreateAPIKeyExtended(ctx context.Context, req *api.ExtendedCreateAPIKeyRequest) (*api.CreateAPIKeyResponse, error) {
	if req == nil {
		return nil, errNilRequest
	}
	cl := c.adminCall(http.MethodPost, "/_apikeyd/api_key", req, "binding a key to networks", restrictionInstead)
	cl.query = refreshQuery(req.Refresh)
	return send[api.CreateAPIKeyResponse](ctx, c, cl)
}

// CloneAPIKeyExtended sends POST /_apikeyd/api_key/clone.
func (c *Client) CloneAPIKeyExtended(ctx context.Context, req *api.ExtendedCloneAPIKeyRequest) (*api.CreateAPIKeyResponse, error) {
	if req == nil {
		return nil, errNilRequest
	}
	cl := c.adminCall(http.MethodPost, "/_apikeyd/api_key/clone", req, "binding a key to networks", restrictionInstead)
	cl.query = refreshQuery(req.Refresh)
	return send[api.CreateAPIKeyResponse](ctx, c, cl)
}
