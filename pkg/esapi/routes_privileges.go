package esapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// privilegeRoutes are the application privilege endpoints and the list
// of built-in privileges.
func privilegeRoutes() []*route {
	return []*route{
		{method: http.MethodPut, pattern: "/_security/privilege", params: []param{refresh}, body: true, serve: servePutPrivileges},
		{method: http.MethodPost, pattern: "/_security/privilege", params: []param{refresh}, body: true, serve: servePutPrivileges},
		{method: http.MethodGet, pattern: "/_security/privilege", serve: serveGetPrivileges},
		{method: http.MethodGet, pattern: "/_security/privilege/_builtin", serve: serveGetBuiltinPrivileges},
		{method: http.MethodGet, pattern: "/_security/privilege/{application}", serve: serveGetPrivileges},
		{method: http.MethodGet, pattern: "/_security/privilege/{application}/{name}", serve: serveGetPrivileges},
		{method: http.MethodDelete, pattern: "/_security/privilege/{application}/{name}", params: []param{refresh}, serve: serveDeletePrivileges},
		{method: http.MethodPost, pattern: "/_security/privilege/{application}/_clear_cache", serve: serveClearPrivilegesCache},
	}
}

func servePutPrivileges(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	req, err := api.DecodePutPrivilegesRequest(x.body)
	if err != nil {
		return 0, nil, err
	}
	return ok(h.svc.PutPrivileges(ctx, req))
}

// serveGetPrivileges answers 404 with an empty object when the request
// names privileges and none is found, as Elasticsearch does.
func serveGetPrivileges(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	ns := names(x.path["name"])
	resp, err := h.svc.GetPrivileges(ctx, x.path["application"], ns)
	if err != nil {
		return 0, nil, err
	}
	if resp == nil {
		resp = api.GetPrivilegesResponse{}
	}
	if len(ns) > 0 && len(resp) == 0 {
		return http.StatusNotFound, resp, nil
	}
	return http.StatusOK, resp, nil
}

// serveDeletePrivileges answers 404 when none of the named privileges
// was found, as Elasticsearch does.
func serveDeletePrivileges(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	resp, err := h.svc.DeletePrivileges(ctx, x.path["application"], names(x.path["name"]))
	if err != nil {
		return 0, nil, err
	}
	status := http.StatusNotFound
	for _, byName := range resp {
		for _, r := range byName {
			if r.Found {
				status = http.StatusOK
			}
		}
	}
	return status, resp, nil
}

func serveClearPrivilegesCache(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	return ok(h.svc.ClearPrivilegesCache(ctx, strings.Split(x.path["application"], ",")))
}

func serveGetBuiltinPrivileges(ctx context.Context, h *handler, _ *exchange) (int, any, error) {
	return ok(h.svc.GetBuiltinPrivileges(ctx))
}
