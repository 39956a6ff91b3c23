package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// RotateAPIKey sends POST /_apikeyd/api_key/{id}/_rotate.
func (c *Client) RotateAPIKey(ctx context.Context, req *api.RotateAPIKeyRequest) (*api.RotateAPIKeyResponse, error) {
	cl := c.adminCall(http.MethodPost, "/_apikeyd/api_key/"+url.PathEscape(req.ID)+"/_rotate", req, "rotation",
		"create the successor with apikeyctl clone or create, then set the old key's expiration with apikeyctl update --expiration")
	return send[api.RotateAPIKeyResponse](ctx, c, cl)
}

// GetAPIKeyLineage sends GET /_apikeyd/api_key/{id}/_lineage.
func (c *Client) GetAPIKeyLineage(ctx context.Context, id string) (*api.APIKeyLineage, error) {
	cl := c.adminCall(http.MethodGet, "/_apikeyd/api_key/"+url.PathEscape(id)+"/_lineage", nil, "key lineage",
		"Elasticsearch does not record where a key came from")
	return send[api.APIKeyLineage](ctx, c, cl)
}

// InvalidateAPIKeysCascade sends POST /_apikeyd/api_key/_invalidate.
func (c *Client) InvalidateAPIKeysCascade(ctx context.Context, req *api.CascadeInvalidateRequest) (*api.InvalidateAPIKeysResponse, error) {
	cl := c.adminCall(http.MethodPost, "/_apikeyd/api_key/_invalidate", req, "invalidation with descendants (--cascade)",
		"Elasticsearch does not record where a key came from; invalidate the keys by id without --cascade")
	return send[api.InvalidateAPIKeysResponse](ctx, c, cl)
}
