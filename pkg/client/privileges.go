package client

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// PutPrivileges sends PUT /_security/privilege.
func (c *Client) PutPrivileges(ctx context.Context, req *api.PutPrivilegesRequest) (api.PutPrivilegesResponse, error) {
	if req == nil {
		return nil, errNilRequest
	}
	out, err := send[api.PutPrivilegesResponse](ctx, c, call{method: http.MethodPut, path: "/_security/privilege", body: req})
	if err != nil {
		return nil, err
	}
	return *out, nil
}

// GetPrivileges sends GET /_security/privilege[/{application}[/{names}]].
// Names that match nothing give an empty answer, not an error.
func (c *Client) GetPrivileges(ctx context.Context, application string, names []string) (api.GetPrivilegesResponse, error) {
	path := "/_security/privilege"
	switch {
	case application == "" && len(names) > 0:
		return nil, api.Errorf(api.Invalid, "an application name is required to get privileges by name")
	case application != "":
		path += "/" + url.PathEscape(application)
		if len(names) > 0 {
			p, err := namePath(path+"/", "privilege", names)
			if err != nil {
				return nil, err
			}
			path = p
		}
	}
	out, err := send[api.GetPrivilegesResponse](ctx, c, call{method: http.MethodGet, path: path, normal404: true})
	if err != nil {
		return nil, err
	}
	if *out == nil {
		return api.GetPrivilegesResponse{}, nil
	}
	return *out, nil
}

// DeletePrivileges sends DELETE /_security/privilege/{application}/{names}.
// Privileges that do not exist are found false, not an error.
func (c *Client) DeletePrivileges(ctx context.Context, application string, names []string) (api.DeletePrivilegesResponse, error) {
	if application == "" {
		return nil, api.Errorf(api.Invalid, "an application name is required")
	}
	if len(names) == 0 {
		return nil, api.Errorf(api.Invalid, "a privilege name is required")
	}
	path, err := namePath("/_security/privilege/"+url.PathEscape(application)+"/", "privilege", names)
	if err != nil {
		return nil, err
	}
	out, err := send[api.DeletePrivilegesResponse](ctx, c, call{method: http.MethodDelete, path: path, normal404: true})
	if err != nil {
		return nil, err
	}
	return *out, nil
}

// ClearPrivilegesCache sends
// POST /_security/privilege/{applications}/_clear_cache ("*" when none).
func (c *Client) ClearPrivilegesCache(ctx context.Context, applications []string) (*api.ClearCacheResponse, error) {
	if len(applications) == 0 {
		applications = []string{"*"}
	}
	escaped := make([]string, len(applications))
	for i, a := range applications {
		escaped[i] = url.PathEscape(a)
	}
	return send[api.ClearCacheResponse](ctx, c, call{method: http.MethodPost, path: "/_security/privilege/" + strings.Join(escaped, ",") + "/_clear_cache"})
}

// GetBuiltinPrivileges sends GET /_security/privilege/_builtin.
func (c *Client) GetBuiltinPrivileges(ctx context.Context) (*api.BuiltinPrivilegesResponse, error) {
	return send[api.BuiltinPrivilegesResponse](ctx, c, call{method: http.MethodGet, path: "/_security/privilege/_builtin"})
}
