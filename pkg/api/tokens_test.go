package api

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestDecodeGetTokenRequest(t *testing.T) {
	s := func(v string) *string { return &v }
	tests := []struct {
		name   string
		body   string
		want   *GetTokenRequest
		typ    string
		reason string
	}{
		{"every field", `{"grant_type":"password","username":"u","password":"p","kerberos_ticket":"k","scope":"s","refresh_token":"r"}`,
			&GetTokenRequest{GrantType: s("password"), Username: s("u"), Password: s("p"), KerberosTicket: s("k"), Scope: s("s"), RefreshToken: s("r")}, "", ""},
		{"empty values are present", `{"password":""}`, &GetTokenRequest{Password: s("")}, "", ""},
		{"empty object", `{}`, &GetTokenRequest{}, "", ""},
		{"no body", ``, nil, "parse_exception", "request body is required"},
		{"unknown field", `{"grant_type":"password","service_account_token":"x"}`, nil, "x_content_parse_exception", "[1:26] [token_request] unknown field [service_account_token]"},
		{"null", `{"username":null}`, nil, "x_content_parse_exception", "[token_request] username doesn't support values of type: VALUE_NULL"},
		{"number", `{"grant_type":1}`, nil, "x_content_parse_exception", "grant_type doesn't support values of type: VALUE_NUMBER"},
		{"array", `[]`, nil, "x_content_parse_exception", "[token_request] Expected START_OBJECT but was START_ARRAY"},
		{"bad JSON", `{"grant_type":`, nil, "x_content_parse_exception", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeGetTokenRequest([]byte(tt.body))
			if tt.typ == "" {
				if err != nil || !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
				}
				return
			}
			e, ok := AsError(err)
			if !ok || e.ErrType() != tt.typ || !strings.Contains(e.Reason, tt.reason) || e.Code.Status() != 400 {
				t.Fatalf("got %v, want %s %q", err, tt.typ, tt.reason)
			}
		})
	}
}

func TestDecodeInvalidateTokenRequest(t *testing.T) {
	got, err := DecodeInvalidateTokenRequest([]byte(`{"token":"t","refresh_token":"","realm_name":"r","username":"u"}`))
	if err != nil || *got != (InvalidateTokenRequest{Token: "t", RealmName: "r", Username: "u"}) {
		t.Fatalf("got %+v, %v", got, err)
	}
	for _, tt := range []struct{ body, typ, reason, cause string }{
		{`{"token":"a","refresh_token":"b"}`, "x_content_parse_exception", "Failed to build [invalidate_token] after last required field arrived",
			"only one of [token, refresh_token] may be sent per request"},
		{`{"token":null}`, "x_content_parse_exception", "[invalidate_token] token doesn't support values of type: VALUE_NULL", ""},
		{`{"ids":["x"]}`, "x_content_parse_exception", "[invalidate_token] unknown field [ids]", ""},
		{` `, "parse_exception", "request body is required", ""},
	} {
		_, err := DecodeInvalidateTokenRequest([]byte(tt.body))
		e, ok := AsError(err)
		if !ok || e.ErrType() != tt.typ || !strings.Contains(e.Reason, tt.reason) {
			t.Errorf("%s: got %v, want %s %q", tt.body, err, tt.typ, tt.reason)
			continue
		}
		if tt.cause != "" && (e.Cause == nil || e.Cause.ErrType() != "illegal_argument_exception" || e.Cause.Reason != tt.cause) {
			t.Errorf("%s: cause %+v, want illegal_argument_exception %q", tt.body, e.Cause, tt.cause)
		}
	}
}

func TestTokenError(t *testing.T) {
	te := &TokenError{Code: TokenErrInvalidGrant, Description: "token document has expired"}
	var err error = te
	if e, ok := AsError(err); !ok || e.Code != Invalid || e.ErrType() != "invalid_grant" || e.Reason != "token document has expired" {
		t.Fatalf("as an Error: %+v", e)
	}
	if ErrorCode(err) != Invalid {
		t.Fatalf("ErrorCode = %v", ErrorCode(err))
	}
	got, ok := DecodeTokenError([]byte(`{"error":"invalid_grant","error_description":"token document has expired"}`))
	if !ok || *got != *te {
		t.Fatalf("decoded %+v %v", got, ok)
	}
	for _, body := range []string{
		`{"error":{"type":"x","reason":"y"},"status":400}`,
		`{"error":"invalid_grant"}`,
		`not json`,
		`{"error":"","error_description":"x"}`,
	} {
		if _, ok := DecodeTokenError([]byte(body)); ok {
			t.Errorf("%s decoded as a TokenError", body)
		}
	}
	if !errors.As(err, &te) {
		t.Fatal("errors.As lost the TokenError")
	}
}

func TestInvalidateTokenResponseFound(t *testing.T) {
	for _, tt := range []struct {
		r    InvalidateTokenResponse
		want bool
	}{
		{InvalidateTokenResponse{}, false},
		{InvalidateTokenResponse{InvalidatedTokens: 1}, true},
		{InvalidateTokenResponse{PreviouslyInvalidatedTokens: 1}, true},
		{InvalidateTokenResponse{ErrorCount: 1}, true},
	} {
		if got := tt.r.Found(); got != tt.want {
			t.Errorf("%+v Found = %v", tt.r, got)
		}
	}
}

func FuzzDecodeGetTokenRequest(f *testing.F) {
	addSeeds(f, `{"grant_type":"password","username":"test_admin","password":"x-pack-test-password"}`, `{"grant_type":"client_credentials"}`,
		`{"grant_type":"refresh_token","refresh_token":"vLBPvmAB6KvwvJZr27cS"}`, `{"scope":null}`, `[`)
	fuzzDecoder(f, DecodeGetTokenRequest, asJSON[GetTokenRequest], nil)
}

func FuzzDecodeInvalidateTokenRequest(f *testing.F) {
	addSeeds(f, `{"token":"dGhpcyBpcyBub3QgYSByZWFsIHRva2VuIGJ1dCBpdCBpcyBvbmx5IHRlc3QgZGF0YS4gZG8gbm90IHRyeSB0byByZWFkIHRva2VuIQ=="}`,
		`{"refresh_token":"vLBPvmAB6KvwvJZr27cS"}`, `{"realm_name":"saml1"}`, `{"username":"myuser","realm_name":"saml1"}`,
		`{"token":"a","refresh_token":"b"}`, `{"username":1}`, `}`)
	fuzzDecoder(f, DecodeInvalidateTokenRequest, asJSON[InvalidateTokenRequest], func(t *testing.T, req *InvalidateTokenRequest) {
		if err := req.Check(); err != nil {
			t.Fatalf("accepted %+v fails its own check: %v", req, err)
		}
	})
}

// FuzzDecodeTokenError feeds the client's reader of OAuth2 error bodies
// arbitrary bodies: what it reads has a code, and reads back the same from
// the body the daemon writes for it.
func FuzzDecodeTokenError(f *testing.F) {
	for _, s := range []string{`{"error":"invalid_grant","error_description":"token has already been refreshed"}`,
		`{"error":"invalid_request"}`, `{"error":"","error_description":"x"}`, `{"error":{"type":"x"},"status":400}`,
		`{"error":"a","error_description":null}`, `{"error":"a","error":"b","error_description":"c"}`, `[]`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		te, ok := DecodeTokenError(body)
		if !ok {
			return
		}
		if te.Code == "" {
			t.Fatalf("%q: a token error without a code", body)
		}
		written, err := json.Marshal(te)
		if err != nil {
			t.Fatal(err)
		}
		if again, ok := DecodeTokenError(written); !ok || *again != *te {
			t.Fatalf("%q: %+v written as %s reads back as %+v, %v", body, te, written, again, ok)
		}
	})
}
