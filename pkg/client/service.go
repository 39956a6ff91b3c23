package client

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// This file holds one method per endpoint, on Elasticsearch's routes.

// CreateAPIKey sends POST /_security/api_key.
func (c *Client) CreateAPIKey(ctx context.Context, req *api.CreateAPIKeyRequest) (*api.CreateAPIKeyResponse, error) {
	if req == nil {
		return nil, errNilRequest
	}
	q := url.Values{}
	if req.Refresh != "" {
		q.Set("refresh", req.Refresh)
	}
	var out api.CreateAPIKeyResponse
	if err := c.do(ctx, call{method: http.MethodPost, path: "/_security/api_key", query: q, body: req}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetAPIKeys sends GET /_security/api_key with the filters set in req. An
// id that matched nothing is an empty answer, not an error.
func (c *Client) GetAPIKeys(ctx context.Context, req *api.GetAPIKeysRequest) (*api.GetAPIKeysResponse, error) {
	if req == nil {
		req = &api.GetAPIKeysRequest{}
	}
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	flag := func(k string, v bool) {
		if v {
			q.Set(k, "true")
		}
	}
	set("id", req.ID)
	set("name", req.Name)
	set("username", req.Username)
	set("realm_name", req.RealmName)
	flag("owner", req.Owner)
	flag("active_only", req.ActiveOnly)
	flag("with_limited_by", req.WithLimitedBy)
	flag("with_profile_uid", req.WithProfileUID)
	var out api.GetAPIKeysResponse
	if err := c.do(ctx, call{method: http.MethodGet, path: "/_security/api_key", query: q, normal404: true}, &out); err != nil {
		return nil, err
	}
	if out.APIKeys == nil {
		out.APIKeys = []api.APIKey{}
	}
	return &out, nil
}

// InvalidateAPIKeys sends DELETE /_security/api_key with req as its body.
func (c *Client) InvalidateAPIKeys(ctx context.Context, req *api.InvalidateAPIKeysRequest) (*api.InvalidateAPIKeysResponse, error) {
	if req == nil {
		return nil, errNilRequest
	}
	var out api.InvalidateAPIKeysResponse
	if err := c.do(ctx, call{method: http.MethodDelete, path: "/_security/api_key", body: req}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Authenticate sends GET /_security/_authenticate.
func (c *Client) Authenticate(ctx context.Context) (*api.AuthenticateResponse, error) {
	var out api.AuthenticateResponse
	if err := c.do(ctx, call{method: http.MethodGet, path: "/_security/_authenticate"}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// PutUser sends PUT /_security/user/{username}.
func (c *Client) PutUser(ctx context.Context, req *api.PutUserRequest) (*api.PutUserResponse, error) {
	if req == nil {
		return nil, errNilRequest
	}
	path, err := namePath("/_security/user/", "user", []string{req.Username})
	if err != nil {
		return nil, err
	}
	var out api.PutUserResponse
	if err := c.do(ctx, call{method: http.MethodPut, path: path, body: req}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetUsers sends GET /_security/user[/{names}]. Names that match nothing
// give an empty answer, not an error.
func (c *Client) GetUsers(ctx context.Context, names []string) (api.GetUsersResponse, error) {
	path := "/_security/user"
	if len(names) > 0 {
		p, err := namePath("/_security/user/", "user", names)
		if err != nil {
			return nil, err
		}
		path = p
	}
	out := api.GetUsersResponse{}
	if err := c.do(ctx, call{method: http.MethodGet, path: path, normal404: true}, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteUser sends DELETE /_security/user/{username}. A user that does not
// exist is Found false, not an error.
func (c *Client) DeleteUser(ctx context.Context, username string) (*api.DeleteResponse, error) {
	path, err := namePath("/_security/user/", "user", []string{username})
	if err != nil {
		return nil, err
	}
	var out api.DeleteResponse
	if err := c.do(ctx, call{method: http.MethodDelete, path: path, normal404: true}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ChangePassword sends POST /_security/user/{username}/_password.
func (c *Client) ChangePassword(ctx context.Context, req *api.ChangePasswordRequest) error {
	if req == nil {
		return errNilRequest
	}
	path, err := namePath("/_security/user/", "user", []string{req.Username})
	if err != nil {
		return err
	}
	return c.do(ctx, call{method: http.MethodPost, path: path + "/_password", body: req}, nil)
}

// PutRole sends PUT /_security/role/{name} with the descriptor as its body.
func (c *Client) PutRole(ctx context.Context, req *api.PutRoleRequest) (*api.PutRoleResponse, error) {
	if req == nil {
		return nil, errNilRequest
	}
	path, err := namePath("/_security/role/", "role", []string{req.Name})
	if err != nil {
		return nil, err
	}
	var out api.PutRoleResponse
	if err := c.do(ctx, call{method: http.MethodPut, path: path, body: req.Descriptor}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetRoles sends GET /_security/role[/{names}]. Names that match nothing
// give an empty answer, not an error.
func (c *Client) GetRoles(ctx context.Context, names []string) (api.GetRolesResponse, error) {
	path := "/_security/role"
	if len(names) > 0 {
		p, err := namePath("/_security/role/", "role", names)
		if err != nil {
			return nil, err
		}
		path = p
	}
	out := api.GetRolesResponse{}
	if err := c.do(ctx, call{method: http.MethodGet, path: path, normal404: true}, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteRole sends DELETE /_security/role/{name}. A role that does not
// exist is Found false, not an error.
func (c *Client) DeleteRole(ctx context.Context, name string) (*api.DeleteResponse, error) {
	path, err := namePath("/_security/role/", "role", []string{name})
	if err != nil {
		return nil, err
	}
	var out api.DeleteResponse
	if err := c.do(ctx, call{method: http.MethodDelete, path: path, normal404: true}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

var errNilRequest = errors.New("client: nil request")

// namePath appends the path-escaped names, joined by commas, to prefix. An
// empty name would change the route, so it is refused.
func namePath(prefix, kind string, names []string) (string, error) {
	escaped := make([]string, len(names))
	for i, n := range names {
		if n == "" {
			return "", api.Errorf(api.Invalid, "a %s name is required", kind)
		}
		escaped[i] = url.PathEscape(n)
	}
	return prefix + strings.Join(escaped, ","), nil
}
