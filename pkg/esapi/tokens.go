package esapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// tokenRoutes are the endpoints of the token service.
func tokenRoutes() []*route {
	return []*route{
		{method: http.MethodPost, pattern: "/_security/oauth2/token", body: true, serve: serveGetToken},
		{method: http.MethodDelete, pattern: "/_security/oauth2/token", body: true, serve: serveInvalidateToken},
	}
}

// serveGetToken answers the get token API. Like Elasticsearch's
// RestGetTokenAction, it answers validation failures and refused refresh
// tokens in OAuth2's shape — HTTP 400 {"error","error_description"} — and
// every other failure with the usual envelope.
func serveGetToken(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	req, err := api.DecodeGetTokenRequest(x.body)
	if err != nil {
		return 0, nil, err
	}
	resp, err := h.svc.GetToken(ctx, req)
	var te *api.TokenError
	if errors.As(err, &te) {
		return http.StatusBadRequest, te, nil
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, resp, nil
}

// serveInvalidateToken answers the invalidate token API: HTTP 404, with
// the usual body, when the access or refresh token named matched nothing.
func serveInvalidateToken(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	req, err := api.DecodeInvalidateTokenRequest(x.body)
	if err != nil {
		return 0, nil, err
	}
	resp, err := h.svc.InvalidateToken(ctx, req)
	if err != nil {
		return 0, nil, err
	}
	if (req.Token != "" || req.RefreshToken != "") && !resp.Found() {
		return http.StatusNotFound, resp, nil
	}
	return http.StatusOK, resp, nil
}
