package client

import (
	"context"
	"net/http"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// GetToken sends POST /_security/oauth2/token. An OAuth2 error answer
// (invalid_grant, invalid_request, unsupported_grant_type) comes back as
// *api.TokenError, which unwraps to a 400 *api.Error.
func (c *Client) GetToken(ctx context.Context, req *api.GetTokenRequest) (*api.GetTokenResponse, error) {
	if req == nil {
		return nil, errNilRequest
	}
	return send[api.GetTokenResponse](ctx, c, call{method: http.MethodPost, path: "/_security/oauth2/token", body: req, errorBody: tokenError})
}

// tokenError reads the get token API's OAuth2 error body.
func tokenError(status int, body []byte) error {
	if status != http.StatusBadRequest {
		return nil
	}
	if te, ok := api.DecodeTokenError(body); ok {
		return te
	}
	return nil
}

// InvalidateToken sends DELETE /_security/oauth2/token with req as its
// body. A token that matched nothing (HTTP 404) is an answer with all
// counts zero, not an error.
func (c *Client) InvalidateToken(ctx context.Context, req *api.InvalidateTokenRequest) (*api.InvalidateTokenResponse, error) {
	if req == nil {
		return nil, errNilRequest
	}
	return send[api.InvalidateTokenResponse](ctx, c, call{method: http.MethodDelete, path: "/_security/oauth2/token", body: req, normal404: true})
}
