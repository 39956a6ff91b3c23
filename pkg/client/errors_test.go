package client

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

func TestErrorResponses(t *testing.T) {
	ctx := context.Background()
	createKey := func(c *Client) error {
		_, err := c.CreateAPIKey(ctx, &api.CreateAPIKeyRequest{Name: ptr("k")})
		return err
	}
	tests := []struct {
		name       string
		call       func(c *Client) error
		rep        reply
		code       api.Code
		errType    string
		reason     string // a prefix of the reason
		cause      string // the caused_by reason, if any
		causeType  string
		wwwAuth    []string
		wantFields map[string]any
	}{
		{
			name: "401 with WWW-Authenticate in the body",
			call: func(c *Client) error { _, err := c.Authenticate(ctx); return err },
			rep:  reply{status: 401, body: challenge401, header: map[string]string{"WWW-Authenticate": "ApiKey"}},
			code: api.Unauthenticated, errType: "security_exception",
			reason:  "unable to authenticate user [bob] for REST request [/_security/_authenticate]",
			wwwAuth: []string{`Basic realm="security", charset="UTF-8"`, `Bearer realm="security"`, "ApiKey"},
		},
		{
			name: "400 parse error with a cause",
			call: createKey,
			rep:  reply{status: 400, body: parse400},
			code: api.ParseFailed, errType: "x_content_parse_exception",
			reason:    "[1:30] [api_key_request] failed to parse field [expiration]",
			cause:     "failed to parse setting [expiration] with value [1x] as a time value: unit is missing or unrecognized",
			causeType: "illegal_argument_exception",
		},
		{
			name: "403 forbidden",
			call: createKey,
			rep:  reply{status: 403, body: forbidden403},
			code: api.Forbidden, errType: "security_exception",
			reason: "action [cluster:admin/xpack/security/api_key/create] is unauthorized for user [bob]",
		},
		{
			name: "our own envelope round-trips, extra fields included",
			call: createKey,
			rep: reply{status: 400, body: string(api.Envelope(&api.Error{Code: api.Invalid, Type: "feature_not_enabled_exception",
				Reason: "api keys are not enabled", Fields: map[string]any{"disabled.feature": "api_keys"}}))},
			code: api.Invalid, errType: "feature_not_enabled_exception", reason: "api keys are not enabled",
			wantFields: map[string]any{"disabled.feature": "api_keys"},
		},
		{
			name: "validation failure",
			call: func(c *Client) error {
				_, err := c.InvalidateAPIKeys(ctx, &api.InvalidateAPIKeysRequest{})
				return err
			},
			rep: reply{status: 400, body: string(api.Envelope(&api.Error{Code: api.ValidationFailed,
				Reason: "Validation Failed: 1: One of [api key id(s), api key name, username, realm name] must be specified if [owner] flag is false;"}))},
			code: api.ValidationFailed, errType: "action_request_validation_exception", reason: "Validation Failed: 1: One of",
		},
		{
			name: "404 envelope on a get is an error",
			call: func(c *Client) error { _, err := c.GetUsers(ctx, []string{"x"}); return err },
			rep:  reply{status: 404, body: string(api.Envelope(api.Errorf(api.NotFound, "no such thing")))},
			code: api.NotFound, errType: "resource_not_found_exception", reason: "no such thing",
		},
		{
			name: "404 without an envelope on authenticate is an error",
			call: func(c *Client) error { _, err := c.Authenticate(ctx); return err },
			rep:  reply{status: 404, body: `{}`},
			code: api.NotFound, errType: "resource_not_found_exception", reason: "HTTP 404 Not Found from",
		},
		{
			name: "409 conflict",
			call: createKey,
			rep:  reply{status: 409, body: string(api.Envelope(api.Errorf(api.Conflict, "version conflict")))},
			code: api.Conflict, errType: "version_conflict_engine_exception", reason: "version conflict",
		},
		{
			name: "500",
			call: createKey,
			rep:  reply{status: 500, body: `{"error":{"root_cause":[{"type":"exception","reason":"boom"}],"type":"exception","reason":"boom"},"status":500}`},
			code: api.Internal, errType: "exception", reason: "boom",
		},
		{
			name: "a proxy's HTML page is kept out of the reason",
			call: createKey,
			rep:  reply{status: 502, body: "<html><body><h1>502 Bad Gateway</h1>\n" + strings.Repeat("x", 500) + "</body></html>", noProduct: true},
			code: api.Internal, errType: "exception", reason: "HTTP 502 Bad Gateway from http://",
		},
		{
			name: "a failed secondary credential",
			call: func(c *Client) error { _, err := c.Authenticate(ctx); return err },
			rep: reply{status: 401, body: string(api.Envelope(&api.Error{Code: api.Unauthenticated, Reason: "Failed to authenticate secondary user",
				Cause: api.Errorf(api.Unauthenticated, "unable to authenticate user [alice] for REST request")}))},
			code: api.Unauthenticated, errType: "security_exception", reason: "Failed to authenticate secondary user",
			cause: "unable to authenticate user [alice] for REST request", causeType: "security_exception",
		},
		{
			name: "a throttled secondary credential",
			call: func(c *Client) error { _, err := c.Authenticate(ctx); return err },
			rep: reply{status: 429, body: string(api.Envelope(&api.Error{Code: api.TooManyRequests, Type: "security_exception",
				Reason: "Failed to authenticate secondary user", Cause: api.Errorf(api.TooManyRequests, "too many failed authentication attempts; retry in [20s]")}))},
			code: api.TooManyRequests, errType: "security_exception", reason: "Failed to authenticate secondary user",
			cause: "too many failed authentication attempts; retry in [20s]", causeType: "too_many_requests",
		},
		{
			name: "a proxy's 401 keeps its WWW-Authenticate header",
			call: func(c *Client) error { _, err := c.Authenticate(ctx); return err },
			rep:  reply{status: 401, body: "Unauthorized", noProduct: true, header: map[string]string{"WWW-Authenticate": `Basic realm="proxy"`}},
			code: api.Unauthenticated, errType: "security_exception", reason: "HTTP 401 Unauthorized from http://",
			wwwAuth: []string{`Basic realm="proxy"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, srv := newFake(t, tt.rep)
			err := tt.call(mustNew(t, Config{URL: srv.URL}))
			var e *api.Error
			if !errors.As(err, &e) {
				t.Fatalf("error = %v (%T), want an *api.Error", err, err)
			}
			if e.Code != tt.code || e.Code != api.CodeFor(tt.rep.status, tt.errType) {
				t.Errorf("code = %v, want %v", e.Code, tt.code)
			}
			if e.ErrType() != tt.errType {
				t.Errorf("type = %q, want %q", e.ErrType(), tt.errType)
			}
			if !strings.HasPrefix(e.Reason, tt.reason) {
				t.Errorf("reason = %q, want it to start with %q", e.Reason, tt.reason)
			}
			if len(e.Reason) > 300 {
				t.Errorf("reason is %d bytes long", len(e.Reason))
			}
			switch {
			case tt.cause == "" && e.Cause != nil:
				t.Errorf("cause = %v, want none", e.Cause)
			case tt.cause != "" && (e.Cause == nil || e.Cause.Reason != tt.cause || e.Cause.ErrType() != tt.causeType):
				t.Errorf("cause = %+v, want %s %q", e.Cause, tt.causeType, tt.cause)
			}
			if got := e.Header["WWW-Authenticate"]; !reflect.DeepEqual(got, tt.wwwAuth) {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tt.wwwAuth)
			}
			if tt.wantFields != nil && !reflect.DeepEqual(e.Fields, tt.wantFields) {
				t.Errorf("fields = %v, want %v", e.Fields, tt.wantFields)
			}
		})
	}
}

func TestProductHeader(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		rep  reply
		call func(c *Client) error
		want string // "" means an *api.Error is expected instead
	}{
		{
			name: "200 without the header",
			rep:  reply{body: `{"username":"x"}`, noProduct: true},
			call: func(c *Client) error { _, err := c.Authenticate(ctx); return err },
			want: "is not Elasticsearch or apikeyd: missing X-Elastic-Product header",
		},
		{
			name: "200 with another product",
			rep:  reply{body: `{"username":"x"}`, noProduct: true, header: map[string]string{"X-Elastic-Product": "OpenSearch"}},
			call: func(c *Client) error { _, err := c.Authenticate(ctx); return err },
			want: `is not Elasticsearch or apikeyd: X-Elastic-Product header is "OpenSearch"`,
		},
		{
			name: "normal 404 without the header",
			rep:  reply{status: 404, body: `{"found":false}`, noProduct: true},
			call: func(c *Client) error { _, err := c.DeleteUser(ctx, "x"); return err },
			want: "missing X-Elastic-Product header",
		},
		{
			name: "an error response needs no header",
			rep:  reply{status: 401, body: challenge401, noProduct: true},
			call: func(c *Client) error { _, err := c.Authenticate(ctx); return err },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, srv := newFake(t, tt.rep)
			err := tt.call(mustNew(t, Config{URL: srv.URL}))
			if tt.want == "" {
				if _, ok := api.AsError(err); !ok {
					t.Fatalf("error = %v, want an *api.Error", err)
				}
				return
			}
			if !errors.Is(err, ErrNotElasticsearch) {
				t.Fatalf("error = %v, want ErrNotElasticsearch", err)
			}
			prefix := "the server at " + srv.URL + " "
			if !strings.HasPrefix(err.Error(), prefix) || !strings.HasSuffix(err.Error(), tt.want) {
				t.Errorf("error = %q, want %q...%q", err, prefix, tt.want)
			}
		})
	}
}

func TestRedirectIsNotFollowed(t *testing.T) {
	f, srv := newFake(t, reply{status: http.StatusMovedPermanently, header: map[string]string{"Location": "https://elsewhere:9200/_security/api_key"}})
	_, err := mustNew(t, Config{URL: srv.URL}).CreateAPIKey(context.Background(), &api.CreateAPIKeyRequest{Name: ptr("k")})
	if err == nil || !strings.Contains(err.Error(), "redirect") || !strings.Contains(err.Error(), "https://elsewhere:9200") {
		t.Fatalf("error = %v, want one about the redirect", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if n := len(f.reqs); n != 1 {
		t.Errorf("server saw %d requests, want 1", n)
	}
}

func TestPathPrefix(t *testing.T) {
	f, srv := newFake(t, reply{body: `{"api_keys":[]}`})
	c := mustNew(t, Config{URL: srv.URL + "/es/"})
	if _, err := c.GetAPIKeys(context.Background(), &api.GetAPIKeysRequest{Name: "a b"}); err != nil {
		t.Fatal(err)
	}
	if r := f.last(t); r.Path != "/es/_security/api_key" || r.RawQuery != "name=a+b" {
		t.Errorf("request = %s?%s, want /es/_security/api_key?name=a+b", r.Path, r.RawQuery)
	}
}

func TestEmptyNames(t *testing.T) {
	_, srv := newFake(t, reply{body: `{}`})
	c := mustNew(t, Config{URL: srv.URL})
	ctx := context.Background()
	calls := map[string]func() error{
		"put user":        func() error { _, err := c.PutUser(ctx, &api.PutUserRequest{}); return err },
		"get users":       func() error { _, err := c.GetUsers(ctx, []string{"a", ""}); return err },
		"delete user":     func() error { _, err := c.DeleteUser(ctx, ""); return err },
		"change password": func() error { return c.ChangePassword(ctx, &api.ChangePasswordRequest{}) },
		"put role":        func() error { _, err := c.PutRole(ctx, &api.PutRoleRequest{}); return err },
		"get roles":       func() error { _, err := c.GetRoles(ctx, []string{""}); return err },
		"delete role":     func() error { _, err := c.DeleteRole(ctx, ""); return err },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			if code := api.ErrorCode(call()); code != api.Invalid {
				t.Errorf("code = %v, want Invalid", code)
			}
		})
	}
}
