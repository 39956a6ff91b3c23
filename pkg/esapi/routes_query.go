package esapi

import (
	"context"
	"net/http"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// queryRoutes are the routes of the query API keys API.
func queryRoutes() []*route {
	params := []param{{"with_limited_by", boolParam}, {"with_profile_uid", boolParam}, {"typed_keys", boolParam}, {"with_last_used", boolParam}, {"with_restrictions", boolParam}}
	return []*route{
		{method: http.MethodGet, pattern: "/_security/_query/api_key", params: params, body: true, serve: serveQueryAPIKeys},
		{method: http.MethodPost, pattern: "/_security/_query/api_key", params: params, body: true, serve: serveQueryAPIKeys},
	}
}

func serveQueryAPIKeys(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	req := &api.QueryAPIKeysRequest{
		Body:             x.body,
		WithLimitedBy:    x.q.flag("with_limited_by"),
		WithProfileUID:   x.q.flag("with_profile_uid"),
		TypedKeys:        x.q.flag("typed_keys"),
		WithLastUsed:     x.q.flag("with_last_used"),
		WithRestrictions: x.q.flag("with_restrictions"),
	}
	resp, err := h.svc.QueryAPIKeys(ctx, req)
	if err != nil {
		return 0, nil, err
	}
	if resp.APIKeys == nil {
		resp.APIKeys = []api.APIKey{}
	}
	return http.StatusOK, resp, nil
}
