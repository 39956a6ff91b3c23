package client

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// This file holds one method per endpoint, on Elasticsearch's routes, and
// the helpers they share.

// send makes the call and decodes the answer into a new T.
func send[T any](ctx context.Context, c *Client, cl call) (*T, error) {
	var out T
	if err := c.do(ctx, cl, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// refreshQuery carries the refresh parameter when it is set.
func refreshQuery(refresh string) url.Values {
	q := url.Values{}
	if refresh != "" {
		q.Set("refresh", refresh)
	}
	return q
}

// setTrue sets each named flag that is on to true in q.
func setTrue(q url.Values, flags map[string]bool) {
	for k, on := range flags {
		if on {
			q.Set(k, "true")
		}
	}
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

// listPath is prefix alone without names, else namePath's.
func listPath(prefix, kind string, names []string) (string, error) {
	if len(names) == 0 {
		return strings.TrimSuffix(prefix, "/"), nil
	}
	return namePath(prefix, kind, names)
}

// CreateAPIKey sends POST /_security/api_key.
func (c *Client) CreateAPIKey(ctx context.Context, req *api.CreateAPIKeyRequest) (*api.CreateAPIKeyResponse, error) {
	if req == nil {
		return nil, errNilRequest
	}
	return send[api.CreateAPIKeyResponse](ctx, c, call{method: http.MethodPost, path: "/_security/api_key", query: refreshQuery(req.Refresh), body: req})
}

// GetAPIKeys sends GET /_security/api_key with the filters set in req. An
// id that matched nothing is an empty answer, not an error.
func (c *Client) GetAPIKeys(ctx context.Context, req *api.GetAPIKeysRequest) (*api.GetAPIKeysResponse, error) {
	if req == nil {
		req = &api.GetAPIKeysRequest{}
	}
	q := url.Values{}
	for k, v := range map[string]string{"id": req.ID, "name": req.Name, "username": req.Username, "realm_name": req.RealmName} {
		if v != "" {
			q.Set(k, v)
		}
	}
	setTrue(q, map[string]bool{
		"owner": req.Owner, "active_only": req.ActiveOnly,
		"with_limited_by": req.WithLimitedBy, "with_profile_uid": req.WithProfileUID, "with_last_used": req.WithLastUsed, "with_restrictions": req.WithRestrictions,
	})
	out, err := send[api.GetAPIKeysResponse](ctx, c, call{method: http.MethodGet, path: "/_security/api_key", query: q, normal404: true})
	if err != nil {
		return nil, err
	}
	if out.APIKeys == nil {
		out.APIKeys = []api.APIKey{}
	}
	return out, nil
}

// InvalidateAPIKeys sends DELETE /_security/api_key with req as its body.
func (c *Client) InvalidateAPIKeys(ctx context.Context, req *api.InvalidateAPIKeysRequest) (*api.InvalidateAPIKeysResponse, error) {
	if req == nil {
		return nil, errNilRequest
	}
	return send[api.InvalidateAPIKeysResponse](ctx, c, call{method: http.MethodDelete, path: "/_security/api_key", body: req})
}

// Authenticate sends GET /_security/_authenticate.
func (c *Client) Authenticate(ctx context.Context) (*api.AuthenticateResponse, error) {
	return send[api.AuthenticateResponse](ctx, c, call{method: http.MethodGet, path: "/_security/_authenticate"})
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
	return send[api.PutUserResponse](ctx, c, call{method: http.MethodPut, path: path, body: req})
}

// GetUsers sends GET /_security/user[/{names}]. Names that match nothing
// give an empty answer, not an error.
func (c *Client) GetUsers(ctx context.Context, names []string) (api.GetUsersResponse, error) {
	return getNamed[api.GetUsersResponse](ctx, c, "/_security/user/", "user", names)
}

// DeleteUser sends DELETE /_security/user/{username}. A user that does not
// exist is Found false, not an error.
func (c *Client) DeleteUser(ctx context.Context, username string) (*api.DeleteResponse, error) {
	path, err := namePath("/_security/user/", "user", []string{username})
	if err != nil {
		return nil, err
	}
	return send[api.DeleteResponse](ctx, c, call{method: http.MethodDelete, path: path, normal404: true})
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

// SetUserEnabled sends PUT /_security/user/{username}/_enable, or
// _disable when enabled is false.
func (c *Client) SetUserEnabled(ctx context.Context, username string, enabled bool) error {
	path, err := namePath("/_security/user/", "user", []string{username})
	if err != nil {
		return err
	}
	op := "/_disable"
	if enabled {
		op = "/_enable"
	}
	return c.do(ctx, call{method: http.MethodPut, path: path + op}, nil)
}

// GetUserPrivileges sends GET /_security/user/_privileges.
func (c *Client) GetUserPrivileges(ctx context.Context) (*api.GetUserPrivilegesResponse, error) {
	return send[api.GetUserPrivilegesResponse](ctx, c, call{method: http.MethodGet, path: "/_security/user/_privileges"})
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
	return send[api.PutRoleResponse](ctx, c, call{method: http.MethodPut, path: path, body: req.Descriptor})
}

// GetRoles sends GET /_security/role[/{names}]. Names that match nothing
// give an empty answer, not an error.
func (c *Client) GetRoles(ctx context.Context, names []string) (api.GetRolesResponse, error) {
	return getNamed[api.GetRolesResponse](ctx, c, "/_security/role/", "role", names)
}

// DeleteRole sends DELETE /_security/role/{name}. A role that does not
// exist is Found false, not an error.
func (c *Client) DeleteRole(ctx context.Context, name string) (*api.DeleteResponse, error) {
	path, err := namePath("/_security/role/", "role", []string{name})
	if err != nil {
		return nil, err
	}
	return send[api.DeleteResponse](ctx, c, call{method: http.MethodDelete, path: path, normal404: true})
}

// getNamed sends GET prefix[{names}] for a map of records by name (users
// or roles, what names them in errors); no match is an empty map, never
// nil.
func getNamed[M ~map[string]V, V any](ctx context.Context, c *Client, prefix, what string, names []string) (M, error) {
	path, err := listPath(prefix, what, names)
	if err != nil {
		return nil, err
	}
	out, err := send[M](ctx, c, call{method: http.MethodGet, path: path, normal404: true})
	if err != nil {
		return nil, err
	}
	if *out == nil {
		return M{}, nil
	}
	return *out, nil
}

// ClusterHealth sends GET /_cluster/health (or /_cluster/health/{index}).
// A wait that timed out is a normal answer (HTTP 408, timed_out true).
func (c *Client) ClusterHealth(ctx context.Context, req *api.ClusterHealthRequest) (*api.ClusterHealthResponse, error) {
	if req == nil {
		req = &api.ClusterHealthRequest{}
	}
	q := url.Values{}
	for k, v := range map[string]string{
		"level": req.Level, "master_timeout": req.MasterTimeout, "timeout": req.Timeout,
		"wait_for_active_shards": req.WaitForActiveShards, "wait_for_nodes": req.WaitForNodes,
		"wait_for_events": req.WaitForEvents, "wait_for_status": req.WaitForStatus, "expand_wildcards": req.ExpandWildcards,
	} {
		if v != "" {
			q.Set(k, v)
		}
	}
	setTrue(q, map[string]bool{
		"local": req.Local, "wait_for_no_initializing_shards": req.WaitForNoInitializingShards,
		"wait_for_no_relocating_shards": req.WaitForNoRelocatingShards, "human": req.Human,
	})
	path := "/_cluster/health"
	if len(req.Indices) > 0 {
		path += "/" + url.PathEscape(strings.Join(req.Indices, ","))
	}
	return send[api.ClusterHealthResponse](ctx, c, call{method: http.MethodGet, path: path, query: q, normalStatus: http.StatusRequestTimeout})
}

// XPackUsage sends GET /_xpack/usage. Against Elasticsearch the answer
// has a section per feature: the security section is decoded, the others
// are left out.
func (c *Client) XPackUsage(ctx context.Context, req *api.XPackUsageRequest) (*api.XPackUsageResponse, error) {
	if req == nil {
		req = &api.XPackUsageRequest{}
	}
	q := url.Values{}
	if req.MasterTimeout != "" {
		q.Set("master_timeout", req.MasterTimeout)
	}
	return send[api.XPackUsageResponse](ctx, c, call{method: http.MethodGet, path: "/_xpack/usage", query: q})
}

// BulkPutRoles sends POST /_security/role with the roles as its body.
func (c *Client) BulkPutRoles(ctx context.Context, req *api.BulkPutRolesRequest) (*api.BulkRolesResponse, error) {
	if req == nil {
		return nil, errNilRequest
	}
	return send[api.BulkRolesResponse](ctx, c, call{method: http.MethodPost, path: "/_security/role", body: req})
}

// BulkDeleteRoles sends DELETE /_security/role with the names as its body.
func (c *Client) BulkDeleteRoles(ctx context.Context, req *api.BulkDeleteRolesRequest) (*api.BulkRolesResponse, error) {
	if req == nil {
		return nil, errNilRequest
	}
	return send[api.BulkRolesResponse](ctx, c, call{method: http.MethodDelete, path: "/_security/role", body: req})
}

// ClearRealmCache sends POST /_security/realm/{realms}/_clear_cache, with
// the usernames as a parameter when given; no realm means every realm.
func (c *Client) ClearRealmCache(ctx context.Context, req *api.ClearRealmCacheRequest) (*api.ClearCacheResponse, error) {
	if req == nil {
		return nil, errNilRequest
	}
	realms := req.Realms
	if len(realms) == 0 {
		realms = []string{"_all"}
	}
	path, err := namePath("/_security/realm/", "realm", realms)
	if err != nil {
		return nil, err
	}
	cl := call{method: http.MethodPost, path: path + "/_clear_cache"}
	if len(req.Usernames) > 0 {
		cl.query = url.Values{"usernames": {strings.Join(req.Usernames, ",")}}
	}
	return send[api.ClearCacheResponse](ctx, c, cl)
}

// ClearRolesCache sends POST /_security/role/{names}/_clear_cache; no name
// means every role.
func (c *Client) ClearRolesCache(ctx context.Context, names []string) (*api.ClearCacheResponse, error) {
	if len(names) == 0 {
		names = []string{"*"}
	}
	path, err := namePath("/_security/role/", "role", names)
	if err != nil {
		return nil, err
	}
	return send[api.ClearCacheResponse](ctx, c, call{method: http.MethodPost, path: path + "/_clear_cache"})
}
