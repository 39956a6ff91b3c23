package api

import (
	"encoding/json"
)

// Grant types of the get token API.
const (
	GrantTypePassword          = "password"
	GrantTypeClientCredentials = "client_credentials"
	GrantTypeRefreshToken      = "refresh_token"
	GrantTypeKerberos          = "_kerberos"
)

// TokenType is the type every access token has.
const TokenType = "Bearer"

// GetTokenRequest is the body of POST /_security/oauth2/token. A nil field
// was absent: Elasticsearch tells an absent field from an empty one (an
// empty password is "missing", any password with the refresh_token grant
// is "not supported").
type GetTokenRequest struct {
	GrantType      *string `json:"grant_type,omitempty"`
	Username       *string `json:"username,omitempty"`
	Password       *string `json:"password,omitempty"`
	KerberosTicket *string `json:"kerberos_ticket,omitempty"`
	Scope          *string `json:"scope,omitempty"`
	RefreshToken   *string `json:"refresh_token,omitempty"`
}

// GetTokenResponse is the answer of the get token API, with
// Elasticsearch's field order. RefreshToken is empty for the
// client_credentials grant; Scope is "full" when the request named one.
type GetTokenResponse struct {
	AccessToken  string `json:"access_token"`
	Type         string `json:"type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
	// KerberosAuthenticationResponseToken is never set: apikeyd has no
	// Kerberos realm.
	KerberosAuthenticationResponseToken string `json:"kerberos_authentication_response_token,omitempty"`
	// Authentication is whom the token stands for, as the authenticate
	// API shows it.
	Authentication AuthenticateResponse `json:"authentication"`
}

// InvalidateTokenRequest is the body of DELETE /_security/oauth2/token:
// one access token, one refresh token, or every token of a realm and/or a
// user. Empty strings count as absent, as in Elasticsearch.
type InvalidateTokenRequest struct {
	Token        string `json:"token,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	RealmName    string `json:"realm_name,omitempty"`
	Username     string `json:"username,omitempty"`
}

// InvalidateTokenResponse is the answer of the invalidate token API. An
// access or refresh token that matched nothing is answered with HTTP 404
// and this body, all counts zero.
type InvalidateTokenResponse struct {
	InvalidatedTokens           int      `json:"invalidated_tokens"`
	PreviouslyInvalidatedTokens int      `json:"previously_invalidated_tokens"`
	ErrorCount                  int      `json:"error_count"`
	ErrorDetails                []*Error `json:"error_details,omitempty"`
}

// Found reports whether the invalidation touched any token, already
// invalidated ones included.
func (r *InvalidateTokenResponse) Found() bool {
	return r.InvalidatedTokens+r.PreviouslyInvalidatedTokens+r.ErrorCount > 0
}

// OAuth2 error codes (RFC 6749 §5.2) the get token API answers with.
const (
	TokenErrInvalidRequest       = "invalid_request"
	TokenErrInvalidGrant         = "invalid_grant"
	TokenErrUnsupportedGrantType = "unsupported_grant_type"
)

// TokenError is a failure of the get token API that Elasticsearch answers
// in OAuth2's shape rather than with its exception envelope: HTTP 400 and
// {"error": Code, "error_description": Description}. Validation failures
// and refused refresh tokens are TokenErrors.
type TokenError struct {
	// Code is one of the TokenErr constants.
	Code string `json:"error"`
	// Description says what was wrong.
	Description string `json:"error_description"`
}

func (e *TokenError) Error() string { return e.Code + ": " + e.Description }

// Unwrap is the same failure in the Error vocabulary, so that callers that
// map *Error (such as exit codes) treat it as the 400 it is.
func (e *TokenError) Unwrap() error {
	return &Error{Code: Invalid, Type: e.Code, Reason: e.Description}
}

// DecodeTokenError reads an OAuth2 error body; ok is false when body is
// not one.
func DecodeTokenError(body []byte) (*TokenError, bool) {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return nil, false
	}
	var e TokenError
	if json.Unmarshal(m["error"], &e.Code) != nil || json.Unmarshal(m["error_description"], &e.Description) != nil {
		return nil, false
	}
	return &e, e.Code != ""
}

// DecodeGetTokenRequest decodes the body of a get token request with
// Elasticsearch's strict token_request parser.
func DecodeGetTokenRequest(body []byte) (*GetTokenRequest, error) {
	req := &GetTokenRequest{}
	return decodeRequest(body, "token_request", req, map[string]fieldFunc{
		"grant_type":      stringField(&req.GrantType),
		"username":        stringField(&req.Username),
		"password":        stringField(&req.Password),
		"kerberos_ticket": stringField(&req.KerberosTicket),
		"scope":           stringField(&req.Scope),
		"refresh_token":   stringField(&req.RefreshToken),
	}, nil)
}

// DecodeInvalidateTokenRequest decodes the body of an invalidate token
// request with Elasticsearch's strict invalidate_token parser, which
// refuses an access token and a refresh token together.
func DecodeInvalidateTokenRequest(body []byte) (*InvalidateTokenRequest, error) {
	req := &InvalidateTokenRequest{}
	return decodeRequest(body, "invalidate_token", req, map[string]fieldFunc{
		"token":         plainString(&req.Token),
		"refresh_token": plainString(&req.RefreshToken),
		"realm_name":    plainString(&req.RealmName),
		"username":      plainString(&req.Username),
	}, req.Check)
}
