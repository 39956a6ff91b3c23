package esapi

import (
	"context"
	"net/http"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// networkRoutes are apikeyd's create and clone, which take the networks a
// key may be used from (api.Restrictions) beside Elasticsearch's fields,
// at Elasticsearch's paths under /_apikeyd/ and with its methods and
// refresh parameter. Elasticsearch's own create and clone refuse
// allowed_networks as an unknown field, as Elasticsearch does.
func networkRoutes() []*route {
	return []*route{
		{method: http.MethodPut, pattern: "/_apikeyd/api_key", params: []param{refresh}, body: true, serve: serveCreateAPIKeyExtended},
		{method: http.MethodPost, pattern: "/_apikeyd/api_key", params: []param{refresh}, body: true, serve: serveCreateAPIKeyExtended},
		{method: http.MethodPost, pattern: "/_apikeyd/api_key/clone", params: []param{refresh}, body: true, serve: serveCloneAPIKeyExtended},
		{method: http.MethodPut, pattern: "/_apikeyd/api_key/clone", params: []param{refresh}, body: true, serve: serveCloneAPIKeyExtended},
	}
}

func serveCreateAPIKeyExtended(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	req, err := api.DecodeExtendedCreateAPIKeyRequest(x.body)
	if err != nil {
		return 0, nil, err
	}
	req.Refresh = x.q["refresh"]
	return ok(h.admin.CreateAPIKeyExtended(ctx, req))
}

func serveCloneAPIKeyExtended(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	req, err := api.DecodeExtendedCloneAPIKeyRequest(x.body)
	if err != nil {
		return 0, nil, err
	}
	req.Refresh = x.q["refresh"]
	return ok(h.admin.CloneAPIKeyExtended(ctx, req))
}
