package client

import (
	"bytes"
	"context"
	"net/http"
	"net/url"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// QueryAPIKeys sends POST /_security/_query/api_key with req.Body as it is
// (no body when empty), so that the server judges it, and the query
// parameters set in req.
func (c *Client) QueryAPIKeys(ctx context.Context, req *api.QueryAPIKeysRequest) (*api.QueryAPIKeysResponse, error) {
	if req == nil {
		req = &api.QueryAPIKeysRequest{}
	}
	q := url.Values{}
	setTrue(q, map[string]bool{"with_limited_by": req.WithLimitedBy, "with_profile_uid": req.WithProfileUID, "typed_keys": req.TypedKeys, "with_last_used": req.WithLastUsed, "with_restrictions": req.WithRestrictions})
	cl := call{method: http.MethodPost, path: "/_security/_query/api_key", query: q}
	if len(bytes.TrimSpace(req.Body)) > 0 {
		cl.raw = req.Body
	}
	out, err := send[api.QueryAPIKeysResponse](ctx, c, cl)
	if err != nil {
		return nil, err
	}
	if out.APIKeys == nil {
		out.APIKeys = []api.APIKey{}
	}
	return out, nil
}

// QueryUsers sends POST /_security/_query/user with req.Body as it is (no
// body when empty) and with_profile_uid when set.
func (c *Client) QueryUsers(ctx context.Context, req *api.QueryUsersRequest) (*api.QueryUsersResponse, error) {
	if req == nil {
		req = &api.QueryUsersRequest{}
	}
	q := url.Values{}
	setTrue(q, map[string]bool{"with_profile_uid": req.WithProfileUID})
	cl := call{method: http.MethodPost, path: "/_security/_query/user", query: q}
	if len(bytes.TrimSpace(req.Body)) > 0 {
		cl.raw = req.Body
	}
	out, err := send[api.QueryUsersResponse](ctx, c, cl)
	if err != nil {
		return nil, err
	}
	if out.Users == nil {
		out.Users = []api.QueriedUser{}
	}
	return out, nil
}

// QueryRoles sends POST /_security/_query/role with req.Body as it is (no
// body when empty).
func (c *Client) QueryRoles(ctx context.Context, req *api.QueryRolesRequest) (*api.QueryRolesResponse, error) {
	if req == nil {
		req = &api.QueryRolesRequest{}
	}
	cl := call{method: http.MethodPost, path: "/_security/_query/role"}
	if len(bytes.TrimSpace(req.Body)) > 0 {
		cl.raw = req.Body
	}
	out, err := send[api.QueryRolesResponse](ctx, c, cl)
	if err != nil {
		return nil, err
	}
	if out.Roles == nil {
		out.Roles = []api.QueriedRole{}
	}
	return out, nil
}
