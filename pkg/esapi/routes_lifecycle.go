package esapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// lifecycleRoutes are the endpoints that grant, clone and change keys,
// clear the key cache and check privileges.
func lifecycleRoutes() []*route {
	return []*route{
		{method: http.MethodPost, pattern: "/_security/api_key/grant", params: []param{refresh}, body: true, serve: serveGrantAPIKey},
		{method: http.MethodPut, pattern: "/_security/api_key/grant", params: []param{refresh}, body: true, serve: serveGrantAPIKey},
		{method: http.MethodPost, pattern: "/_security/api_key/_bulk_grant", params: []param{refresh}, body: true, serve: serveBulkGrantAPIKeys},
		{method: http.MethodPost, pattern: "/_security/api_key/clone", params: []param{refresh}, body: true, serve: serveCloneAPIKey},
		{method: http.MethodPut, pattern: "/_security/api_key/clone", params: []param{refresh}, body: true, serve: serveCloneAPIKey},
		{method: http.MethodPut, pattern: "/_security/api_key/{ids}", body: true, serve: serveUpdateAPIKey},
		{method: http.MethodPost, pattern: "/_security/api_key/_bulk_update", body: true, serve: serveBulkUpdateAPIKeys},
		{method: http.MethodPost, pattern: "/_security/cross_cluster/api_key", body: true, serve: serveCreateCrossClusterAPIKey},
		{method: http.MethodPut, pattern: "/_security/cross_cluster/api_key/{id}", body: true, serve: serveUpdateCrossClusterAPIKey},
		{method: http.MethodPost, pattern: "/_security/api_key/{ids}/_clear_cache", serve: serveClearAPIKeyCache},
		{method: http.MethodGet, pattern: "/_security/user/_has_privileges", body: true, serve: serveHasPrivileges},
		{method: http.MethodPost, pattern: "/_security/user/_has_privileges", body: true, serve: serveHasPrivileges},
		{method: http.MethodGet, pattern: "/_security/user/{user}/_has_privileges", body: true, serve: serveHasPrivileges},
		{method: http.MethodPost, pattern: "/_security/user/{user}/_has_privileges", body: true, serve: serveHasPrivileges},
	}
}

// ok answers 200 with resp, or the error.
func ok[T any](resp T, err error) (int, any, error) {
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, resp, nil
}

func serveGrantAPIKey(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	req, err := api.DecodeGrantAPIKeyRequest(x.body)
	if err != nil {
		return 0, nil, err
	}
	req.Refresh = x.q["refresh"]
	return ok(h.svc.GrantAPIKey(ctx, req))
}

func serveBulkGrantAPIKeys(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	req, err := api.DecodeBulkGrantAPIKeysRequest(x.body)
	if err != nil {
		return 0, nil, err
	}
	req.Refresh = x.q["refresh"]
	return ok(h.svc.BulkGrantAPIKeys(ctx, req))
}

func serveCloneAPIKey(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	req, err := api.DecodeCloneAPIKeyRequest(x.body)
	if err != nil {
		return 0, nil, err
	}
	req.Refresh = x.q["refresh"]
	return ok(h.svc.CloneAPIKey(ctx, req))
}

func serveUpdateAPIKey(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	req, err := api.DecodeUpdateAPIKeyRequest(x.path["ids"], x.body)
	if err != nil {
		return 0, nil, err
	}
	return ok(h.svc.UpdateAPIKey(ctx, req))
}

func serveBulkUpdateAPIKeys(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	req, err := api.DecodeBulkUpdateAPIKeysRequest(x.body)
	if err != nil {
		return 0, nil, err
	}
	return ok(h.svc.BulkUpdateAPIKeys(ctx, req))
}

func serveCreateCrossClusterAPIKey(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	req, err := api.DecodeCreateCrossClusterAPIKeyRequest(x.body)
	if err != nil {
		return 0, nil, err
	}
	return ok(h.svc.CreateCrossClusterAPIKey(ctx, req))
}

func serveUpdateCrossClusterAPIKey(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	req, err := api.DecodeUpdateCrossClusterAPIKeyRequest(x.path["id"], x.body)
	if err != nil {
		return 0, nil, err
	}
	return ok(h.svc.UpdateCrossClusterAPIKey(ctx, req))
}

func serveClearAPIKeyCache(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	return ok(h.svc.ClearAPIKeyCache(ctx, strings.Split(x.path["ids"], ",")))
}

func serveHasPrivileges(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	req, err := api.DecodeHasPrivilegesRequest(x.body)
	if err != nil {
		return 0, nil, err
	}
	req.Username = x.path["user"]
	return ok(h.svc.HasPrivileges(ctx, req))
}
