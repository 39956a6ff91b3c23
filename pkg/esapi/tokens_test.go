package esapi

import (
	"context"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
)

func TestTokenRoutes(t *testing.T) {
	const issued = `{"access_token":"access","type":"Bearer","expires_in":1200,"refresh_token":"refresh",` +
		`"authentication":{"username":"bob","roles":[],"full_name":null,"email":null,"metadata":{},"enabled":true,` +
		`"authentication_realm":{"name":"default_native","type":"native"},"lookup_realm":{"name":"default_native","type":"native"},` +
		`"authentication_type":"realm"}}`
	tests := []struct {
		name       string
		setup      func(*fakeService)
		req        req
		wantMethod string
		wantArg    any
		wantStatus int
		wantBody   string
	}{
		{
			name:       "get token",
			req:        req{method: "POST", target: "/_security/oauth2/token", body: `{"grant_type":"password","username":"bob","password":"pw","scope":"full"}`},
			wantMethod: "GetToken",
			wantArg:    &api.GetTokenRequest{GrantType: ptr("password"), Username: ptr("bob"), Password: ptr("pw"), Scope: ptr("full")},
			wantStatus: 200,
			wantBody:   issued,
		},
		{
			name:       "get token: an empty field is present",
			req:        req{method: "POST", target: "/_security/oauth2/token", body: `{"grant_type":"refresh_token","refresh_token":"r","password":""}`},
			wantMethod: "GetToken",
			wantArg:    &api.GetTokenRequest{GrantType: ptr("refresh_token"), RefreshToken: ptr("r"), Password: ptr("")},
			wantStatus: 200,
		},
		{
			name: "OAuth2 error",
			setup: func(f *fakeService) {
				f.err = &api.TokenError{Code: "invalid_grant", Description: "token has been invalidated"}
			},
			req:        req{method: "POST", target: "/_security/oauth2/token", body: `{"grant_type":"refresh_token","refresh_token":"r"}`},
			wantMethod: "GetToken",
			wantStatus: 400,
			wantBody:   `{"error":"invalid_grant","error_description":"token has been invalidated"}`,
		},
		{
			name: "OAuth2 validation error",
			setup: func(f *fakeService) {
				f.err = &api.TokenError{Code: "unsupported_grant_type", Description: "Validation Failed: 1: grant_type only supports the values: [password, _kerberos, refresh_token, client_credentials];"}
			},
			req:        req{method: "POST", target: "/_security/oauth2/token", body: `{"grant_type":"x"}`},
			wantMethod: "GetToken",
			wantStatus: 400,
			wantBody:   `{"error":"unsupported_grant_type","error_description":"Validation Failed: 1: grant_type only supports the values: [password, _kerberos, refresh_token, client_credentials];"}`,
		},
		{
			name:       "invalidate an access token",
			req:        req{method: "DELETE", target: "/_security/oauth2/token", body: `{"token":"t"}`},
			wantMethod: "InvalidateToken",
			wantArg:    &api.InvalidateTokenRequest{Token: "t"},
			wantStatus: 200,
			wantBody:   `{"invalidated_tokens":1,"previously_invalidated_tokens":0,"error_count":0}`,
		},
		{
			name:       "invalidate an unknown refresh token",
			setup:      func(f *fakeService) { f.notFound = true },
			req:        req{method: "DELETE", target: "/_security/oauth2/token", body: `{"refresh_token":"r"}`},
			wantMethod: "InvalidateToken",
			wantArg:    &api.InvalidateTokenRequest{RefreshToken: "r"},
			wantStatus: 404,
			wantBody:   `{"invalidated_tokens":0,"previously_invalidated_tokens":0,"error_count":0}`,
		},
		{
			name:       "invalidate by owner, nothing found",
			setup:      func(f *fakeService) { f.notFound = true },
			req:        req{method: "DELETE", target: "/_security/oauth2/token", body: `{"realm_name":"r","username":"u"}`},
			wantMethod: "InvalidateToken",
			wantArg:    &api.InvalidateTokenRequest{RealmName: "r", Username: "u"},
			wantStatus: 200,
			wantBody:   `{"invalidated_tokens":0,"previously_invalidated_tokens":0,"error_count":0}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, w := serve(t, tt.setup, tt.req, tt.wantStatus)
			h.checkCall(t, tt.wantMethod, tt.wantArg)
			if tt.wantBody != "" && w.Body.String() != tt.wantBody {
				t.Errorf("body = %s\nwant %s", w.Body, tt.wantBody)
			}
		})
	}
}

func TestTokenRequestErrors(t *testing.T) {
	tests := []struct {
		name   string
		req    req
		status int
		typ    string
		reason string
		cause  string
	}{
		{"no body", req{method: "POST", target: "/_security/oauth2/token"}, 400, "parse_exception", "request body is required", ""},
		{"unknown field", req{method: "POST", target: "/_security/oauth2/token", body: `{"grant_type":"password","client_id":"x"}`},
			400, "x_content_parse_exception", "[1:26] [token_request] unknown field [client_id]", ""},
		{"null grant type", req{method: "POST", target: "/_security/oauth2/token", body: `{"grant_type":null}`},
			400, "x_content_parse_exception", "[token_request] grant_type doesn't support values of type: VALUE_NULL", ""},
		{"refresh token of the wrong type", req{method: "POST", target: "/_security/oauth2/token", body: `{"refresh_token":1}`},
			400, "x_content_parse_exception", "refresh_token doesn't support values of type: VALUE_NUMBER", ""},
		{"invalidate without body", req{method: "DELETE", target: "/_security/oauth2/token"}, 400, "parse_exception", "request body is required", ""},
		{"invalidate with both tokens", req{method: "DELETE", target: "/_security/oauth2/token", body: `{"token":"a","refresh_token":"b"}`},
			400, "x_content_parse_exception", "Failed to build [invalidate_token] after last required field arrived",
			"only one of [token, refresh_token] may be sent per request"},
		{"invalidate unknown field", req{method: "DELETE", target: "/_security/oauth2/token", body: `{"tokens":["a"]}`},
			400, "x_content_parse_exception", "[invalidate_token] unknown field [tokens]", ""},
		{"query parameter", req{method: "POST", target: "/_security/oauth2/token?refresh=true", body: `{"grant_type":"client_credentials"}`},
			400, "illegal_argument_exception", "contains unrecognized parameter: [refresh]", ""},
		{"no credentials", req{method: "POST", target: "/_security/oauth2/token", body: `{"grant_type":"client_credentials"}`, noAuth: true},
			401, "security_exception", "missing authentication credentials for REST request [/_security/oauth2/token]", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, w := serve(t, nil, tt.req, tt.status)
			env := decodeEnvelope(t, w)
			if env.Error.Type != tt.typ || !strings.Contains(env.Error.Reason, tt.reason) {
				t.Fatalf("got %s %q, want %s %q", env.Error.Type, env.Error.Reason, tt.typ, tt.reason)
			}
			if tt.cause != "" && !strings.Contains(w.Body.String(), `"caused_by":{"type":"illegal_argument_exception","reason":"`+tt.cause) {
				t.Errorf("no caused_by %q in %s", tt.cause, w.Body)
			}
			if h.svc.method != "" {
				t.Errorf("the service was called (%s) for a request that should not reach it", h.svc.method)
			}
		})
	}

	// Only POST and DELETE are routed.
	w := newHarness(t, nil).do(t, req{method: "GET", target: "/_security/oauth2/token"})
	if w.Code != 405 || w.Header().Get("Allow") != "POST,DELETE" {
		t.Errorf("GET = %d Allow %q", w.Code, w.Header().Get("Allow"))
	}
}

// originAuthn records the origin of the credential checks it gets.
type originAuthn struct {
	fakeAuthn
	origins *[]auth.Origin
}

func (a originAuthn) AuthenticateCredential(ctx context.Context, cred auth.Credential) (*auth.Subject, error) {
	o, _ := auth.OriginFrom(ctx)
	*a.origins = append(*a.origins, o)
	return a.fakeAuthn.AuthenticateCredential(ctx, cred)
}

// originService records the origin of the calls it gets.
type originService struct {
	*fakeService
	origin *auth.Origin
}

func (s originService) Authenticate(ctx context.Context) (*api.AuthenticateResponse, error) {
	*s.origin, _ = auth.OriginFrom(ctx)
	return s.fakeService.Authenticate(ctx)
}

func TestOriginInTheContext(t *testing.T) {
	var origins []auth.Origin
	var seen auth.Origin
	h := newHarness(t, func(c *Config) {
		c.Authenticator = originAuthn{origins: &origins}
		c.Service = originService{fakeService: &fakeService{}, origin: &seen}
	})

	// TCP: the client's address and its IP, for authentication and the
	// call alike.
	r := httptest.NewRequest("GET", "/_security/_authenticate", nil)
	r.RemoteAddr = "192.0.2.1:4321"
	r.Header.Set("Authorization", basicElastic)
	w := httptest.NewRecorder()
	h.h.ServeHTTP(w, r)
	want := auth.Origin{Type: auth.OriginREST, Address: "192.0.2.1:4321", Client: netip.MustParseAddr("192.0.2.1")}
	if w.Code != 200 || len(origins) != 1 || origins[0] != want || seen != want {
		t.Fatalf("status %d, authentication origin %v, call origin %v; want %v", w.Code, origins, seen, want)
	}

	// The connection may say more (the Unix socket peer's uid).
	peer := auth.UnixPeerOrigin(1000)
	r = httptest.NewRequest("GET", "/_security/_authenticate", nil).WithContext(auth.WithOrigin(context.Background(), peer))
	r.Header.Set("Authorization", basicElastic)
	h.h.ServeHTTP(httptest.NewRecorder(), r)
	if origins[1] != peer || seen != peer {
		t.Fatalf("origins %v and %v, want %v", origins[1], seen, peer)
	}
}
