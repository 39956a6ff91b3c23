package client

import (
	"context"
	"errors"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

func TestGetToken(t *testing.T) {
	f, srv := newFake(t, reply{body: `{"access_token":"a","type":"Bearer","expires_in":1200,"refresh_token":"r",` +
		`"authentication":{"username":"bob","roles":[],"full_name":null,"email":null,"metadata":{},"enabled":true,` +
		`"authentication_realm":{"name":"default_native","type":"native"},"lookup_realm":{"name":"default_native","type":"native"},"authentication_type":"realm"}}`})
	c := mustNew(t, Config{URL: srv.URL})
	resp, err := c.GetToken(context.Background(), &api.GetTokenRequest{GrantType: ptr("password"), Username: ptr("bob"), Password: ptr("")})
	if err != nil {
		t.Fatal(err)
	}
	if resp.AccessToken != "a" || resp.RefreshToken != "r" || resp.ExpiresIn != 1200 || resp.Authentication.Username != "bob" {
		t.Fatalf("response: %+v", resp)
	}
	r := f.last(t)
	// An empty password is sent: Elasticsearch tells it from an absent one.
	if r.Method != "POST" || r.Path != "/_security/oauth2/token" || !sameJSON(t, r.Body, `{"grant_type":"password","username":"bob","password":""}`) {
		t.Fatalf("request: %+v", r)
	}
}

func TestGetTokenErrors(t *testing.T) {
	tests := []struct {
		name  string
		rep   reply
		check func(t *testing.T, err error)
	}{
		{"OAuth2 error", reply{status: 400, body: `{"error":"invalid_grant","error_description":"token has been invalidated"}`},
			func(t *testing.T, err error) {
				var te *api.TokenError
				if !errors.As(err, &te) || te.Code != "invalid_grant" || te.Description != "token has been invalidated" {
					t.Fatalf("got %v (%T), want the TokenError", err, err)
				}
				// It maps like any 400.
				if e, ok := api.AsError(err); !ok || e.Code != api.Invalid || e.ErrType() != "invalid_grant" {
					t.Fatalf("as an api.Error: %+v", e)
				}
			}},
		{"envelope", reply{status: 401, body: `{"error":{"root_cause":[],"type":"security_exception","reason":"token expired"},"status":401}`},
			func(t *testing.T, err error) {
				e, ok := api.AsError(err)
				var te *api.TokenError
				if !ok || e.Code != api.Unauthenticated || e.Reason != "token expired" || errors.As(err, &te) {
					t.Fatalf("got %v", err)
				}
			}},
		{"400 envelope", reply{status: 400, body: `{"error":{"root_cause":[],"type":"parse_exception","reason":"request body is required"},"status":400}`},
			func(t *testing.T, err error) {
				var te *api.TokenError
				if e, ok := api.AsError(err); !ok || e.ErrType() != "parse_exception" || errors.As(err, &te) {
					t.Fatalf("got %v", err)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, srv := newFake(t, tt.rep)
			_, err := mustNew(t, Config{URL: srv.URL}).GetToken(context.Background(), &api.GetTokenRequest{GrantType: ptr("refresh_token"), RefreshToken: ptr("x")})
			tt.check(t, err)
		})
	}
}

func TestInvalidateToken(t *testing.T) {
	f, srv := newFake(t, reply{status: 404, body: `{"invalidated_tokens":0,"previously_invalidated_tokens":0,"error_count":0}`})
	c := mustNew(t, Config{URL: srv.URL})
	resp, err := c.InvalidateToken(context.Background(), &api.InvalidateTokenRequest{RefreshToken: "r"})
	if err != nil || resp.Found() {
		t.Fatalf("a 404 answer: %+v %v, want an empty answer", resp, err)
	}
	if r := f.last(t); r.Method != "DELETE" || r.Path != "/_security/oauth2/token" || !sameJSON(t, r.Body, `{"refresh_token":"r"}`) {
		t.Fatalf("request: %+v", r)
	}
	f.reply = reply{body: `{"invalidated_tokens":2,"previously_invalidated_tokens":1,"error_count":1,"error_details":[{"type":"exception","reason":"Error invalidating access_token: "}]}`}
	resp, err = c.InvalidateToken(context.Background(), &api.InvalidateTokenRequest{Username: "bob"})
	if err != nil || resp.InvalidatedTokens != 2 || resp.PreviouslyInvalidatedTokens != 1 || resp.ErrorCount != 1 || len(resp.ErrorDetails) != 1 ||
		resp.ErrorDetails[0].Reason != "Error invalidating access_token: " {
		t.Fatalf("answer: %+v %v", resp, err)
	}
	if _, err := c.InvalidateToken(context.Background(), nil); err == nil {
		t.Fatal("nil request accepted")
	}
	if _, err := c.GetToken(context.Background(), nil); err == nil {
		t.Fatal("nil request accepted")
	}
}
