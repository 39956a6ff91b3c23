package client

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// GrantAPIKey sends POST /_security/api_key/grant.
func (c *Client) GrantAPIKey(ctx context.Context, req *api.GrantAPIKeyRequest) (*api.CreateAPIKeyResponse, error) {
	if req == nil {
		return nil, errNilRequest
	}
	return send[api.CreateAPIKeyResponse](ctx, c, call{method: http.MethodPost, path: "/_security/api_key/grant", query: refreshQuery(req.Refresh), body: req})
}

// BulkGrantAPIKeys sends POST /_security/api_key/_bulk_grant.
func (c *Client) BulkGrantAPIKeys(ctx context.Context, req *api.BulkGrantAPIKeysRequest) (*api.BulkGrantAPIKeysResponse, error) {
	if req == nil {
		return nil, errNilRequest
	}
	return send[api.BulkGrantAPIKeysResponse](ctx, c, call{method: http.MethodPost, path: "/_security/api_key/_bulk_grant", query: refreshQuery(req.Refresh), body: req})
}

// CloneAPIKey sends POST /_security/api_key/clone.
func (c *Client) CloneAPIKey(ctx context.Context, req *api.CloneAPIKeyRequest) (*api.CreateAPIKeyResponse, error) {
	if req == nil {
		return nil, errNilRequest
	}
	return send[api.CreateAPIKeyResponse](ctx, c, call{method: http.MethodPost, path: "/_security/api_key/clone", query: refreshQuery(req.Refresh), body: req})
}

// UpdateAPIKey sends PUT /_security/api_key/{id}.
func (c *Client) UpdateAPIKey(ctx context.Context, req *api.UpdateAPIKeyRequest) (*api.UpdateAPIKeyResponse, error) {
	if req == nil || req.ID == "" {
		return nil, api.Errorf(api.Invalid, "an API key id is required")
	}
	return send[api.UpdateAPIKeyResponse](ctx, c, call{method: http.MethodPut, path: "/_security/api_key/" + url.PathEscape(req.ID), body: req})
}

// BulkUpdateAPIKeys sends POST /_security/api_key/_bulk_update.
func (c *Client) BulkUpdateAPIKeys(ctx context.Context, req *api.BulkUpdateAPIKeysRequest) (*api.BulkUpdateAPIKeysResponse, error) {
	if req == nil {
		return nil, errNilRequest
	}
	return send[api.BulkUpdateAPIKeysResponse](ctx, c, call{method: http.MethodPost, path: "/_security/api_key/_bulk_update", body: req})
}

// CreateCrossClusterAPIKey sends POST /_security/cross_cluster/api_key.
func (c *Client) CreateCrossClusterAPIKey(ctx context.Context, req *api.CreateCrossClusterAPIKeyRequest) (*api.CreateAPIKeyResponse, error) {
	if req == nil {
		return nil, errNilRequest
	}
	return send[api.CreateAPIKeyResponse](ctx, c, call{method: http.MethodPost, path: "/_security/cross_cluster/api_key", body: req})
}

// UpdateCrossClusterAPIKey sends PUT /_security/cross_cluster/api_key/{id}.
func (c *Client) UpdateCrossClusterAPIKey(ctx context.Context, req *api.UpdateCrossClusterAPIKeyRequest) (*api.UpdateAPIKeyResponse, error) {
	if req == nil || req.ID == "" {
		return nil, api.Errorf(api.Invalid, "an API key id is required")
	}
	return send[api.UpdateAPIKeyResponse](ctx, c, call{method: http.MethodPut, path: "/_security/cross_cluster/api_key/" + url.PathEscape(req.ID), body: req})
}

// ClearAPIKeyCache sends POST /_security/api_key/{ids}/_clear_cache.
func (c *Client) ClearAPIKeyCache(ctx context.Context, ids []string) (*api.ClearCacheResponse, error) {
	if len(ids) == 0 {
		ids = []string{"*"}
	}
	escaped := make([]string, len(ids))
	for i, id := range ids {
		escaped[i] = url.PathEscape(id)
	}
	return send[api.ClearCacheResponse](ctx, c, call{method: http.MethodPost, path: "/_security/api_key/" + strings.Join(escaped, ",") + "/_clear_cache"})
}

// HasPrivileges sends POST /_security/user/_has_privileges, or
// /_security/user/{user}/_has_privileges when the request names the user.
func (c *Client) HasPrivileges(ctx context.Context, req *api.HasPrivilegesRequest) (*api.HasPrivilegesResponse, error) {
	if req == nil {
		return nil, errNilRequest
	}
	path := "/_security/user/_has_privileges"
	if req.Username != "" {
		path = "/_security/user/" + url.PathEscape(req.Username) + "/_has_privileges"
	}
	return send[api.HasPrivilegesResponse](ctx, c, call{method: http.MethodPost, path: path, body: req})
}
