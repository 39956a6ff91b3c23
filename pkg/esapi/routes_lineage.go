package esapi

import (
	"context"
	"net/http"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// lineageRoutes are apikeyd's rotation and key-family endpoints (api.Lineage).
// Rotation and invalidation write, so they are POST; a rotate body is
// optional (the default grace applies).
func lineageRoutes() []*route {
	return []*route{
		{method: http.MethodPost, pattern: "/_apikeyd/api_key/{id}/_rotate", body: true, serve: serveRotateAPIKey},
		{method: http.MethodGet, pattern: "/_apikeyd/api_key/{id}/_lineage", serve: serveAPIKeyLineage},
		{method: http.MethodPost, pattern: "/_apikeyd/api_key/_invalidate", body: true, serve: serveInvalidateCascade},
	}
}

func serveRotateAPIKey(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	req, err := api.DecodeRotateAPIKeyRequest(x.path["id"], x.body)
	if err != nil {
		return 0, nil, err
	}
	return ok(h.admin.RotateAPIKey(ctx, req))
}

func serveAPIKeyLineage(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	return ok(h.admin.GetAPIKeyLineage(ctx, x.path["id"]))
}

// serveInvalidateCascade answers as Elasticsearch's invalidate does, with
// its empty lists present.
func serveInvalidateCascade(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	req, err := api.DecodeCascadeInvalidateRequest(x.body)
	if err != nil {
		return 0, nil, err
	}
	return invalidated(h.admin.InvalidateAPIKeysCascade(ctx, req))
}
