package esapi

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
)

func ptr[T any](v T) *T { return &v }

func TestRoutes(t *testing.T) {
	tests := []struct {
		name       string
		req        req
		wantMethod string
		wantArg    any
		wantStatus int
		wantBody   string
	}{
		{
			name:       "create with PUT",
			req:        req{method: "PUT", target: "/_security/api_key?refresh=wait_for", body: `{"name":"k","expiration":"1d"}`},
			wantMethod: "CreateAPIKey",
			wantArg:    &api.CreateAPIKeyRequest{Name: ptr("k"), Expiration: ptr("1d"), Refresh: "wait_for"},
			wantStatus: 200,
			wantBody:   `{"id":"id1","name":"k","api_key":"secret","encoded":"ZW5j"}`,
		},
		{
			name:       "create with POST",
			req:        req{method: "POST", target: "/_security/api_key", body: `{"name":"k"}`},
			wantMethod: "CreateAPIKey",
			wantArg:    &api.CreateAPIKeyRequest{Name: ptr("k")},
			wantStatus: 200,
		},
		{
			name:       "get API keys with every parameter",
			req:        req{method: "GET", target: "/_security/api_key?name=app-*&username=bob&realm_name=native&owner=false&active_only&with_limited_by=true&with_profile_uid=false"},
			wantMethod: "GetAPIKeys",
			wantArg:    &api.GetAPIKeysRequest{Name: "app-*", Username: "bob", RealmName: "native", ActiveOnly: true, WithLimitedBy: true},
			wantStatus: 200,
			wantBody:   `{"api_keys":[]}`,
		},
		{
			name:       "get API keys by id",
			req:        req{method: "GET", target: "/_security/api_key?id=abc&owner=true"},
			wantMethod: "GetAPIKeys",
			wantArg:    &api.GetAPIKeysRequest{ID: "abc", Owner: true},
			wantStatus: 404,
			wantBody:   `{"api_keys":[]}`,
		},
		{
			name:       "invalidate",
			req:        req{method: "DELETE", target: "/_security/api_key", body: `{"ids":["a","b"]}`},
			wantMethod: "InvalidateAPIKeys",
			wantArg:    &api.InvalidateAPIKeysRequest{IDs: []string{"a", "b"}},
			wantStatus: 200,
			wantBody:   `{"invalidated_api_keys":["a","b"],"previously_invalidated_api_keys":[],"error_count":0}`,
		},
		{
			name:       "authenticate",
			req:        req{method: "GET", target: "/_security/_authenticate"},
			wantMethod: "Authenticate",
			wantStatus: 200,
		},
		{
			name:       "put user",
			req:        req{method: "PUT", target: "/_security/user/bob?refresh=true", body: `{"password":"secret123","roles":["admin"]}`},
			wantMethod: "PutUser",
			wantArg:    &api.PutUserRequest{Username: "bob", Password: ptr("secret123"), Roles: []string{"admin"}},
			wantStatus: 200,
			wantBody:   `{"created":true}`,
		},
		{
			name:       "put user with POST and an encoded name",
			req:        req{method: "POST", target: "/_security/user/b%40b", body: `{"password":"secret123","roles":[]}`},
			wantMethod: "PutUser",
			wantArg:    &api.PutUserRequest{Username: "b@b", Password: ptr("secret123"), Roles: []string{}},
			wantStatus: 200,
		},
		{
			name:       "get all users",
			req:        req{method: "GET", target: "/_security/user"},
			wantMethod: "GetUsers",
			wantArg:    []string(nil),
			wantStatus: 200,
			wantBody:   `{}`,
		},
		{
			name:       "get named users decodes the comma",
			req:        req{method: "GET", target: "/_security/user/a%2Cb,%20c?with_profile_uid=true"},
			wantMethod: "GetUsers",
			wantArg:    []string{"a", "b", "c"},
			wantStatus: 404,
			wantBody:   `{}`,
		},
		{
			name:       "get user named _password",
			req:        req{method: "GET", target: "/_security/user/_password"},
			wantMethod: "GetUsers",
			wantArg:    []string{"_password"},
			wantStatus: 404,
		},
		{
			name:       "delete user",
			req:        req{method: "DELETE", target: "/_security/user/bob"},
			wantMethod: "DeleteUser",
			wantArg:    "bob",
			wantStatus: 200,
			wantBody:   `{"found":true}`,
		},
		{
			name:       "change a named user's password",
			req:        req{method: "POST", target: "/_security/user/bob/_password", body: `{"password":"newpass1"}`},
			wantMethod: "ChangePassword",
			wantArg:    &api.ChangePasswordRequest{Username: "bob", Password: ptr("newpass1")},
			wantStatus: 200,
			wantBody:   `{}`,
		},
		{
			name:       "change the caller's own password",
			req:        req{method: "PUT", target: "/_security/user/_password", body: `{"password":"newpass1"}`},
			wantMethod: "ChangePassword",
			wantArg:    &api.ChangePasswordRequest{Username: "elastic", Password: ptr("newpass1")},
			wantStatus: 200,
		},
		{
			name:       "put role",
			req:        req{method: "PUT", target: "/_security/role/my%20role", body: `{"cluster":["manage_own_api_key"]}`},
			wantMethod: "PutRole",
			wantArg:    &api.PutRoleRequest{Name: "my role", Descriptor: api.RoleDescriptor{Cluster: []string{"manage_own_api_key"}}},
			wantStatus: 200,
			wantBody:   `{"role":{"created":true}}`,
		},
		{
			name:       "put role with POST",
			req:        req{method: "POST", target: "/_security/role/r1", body: `{"cluster":[]}`},
			wantMethod: "PutRole",
			wantArg:    &api.PutRoleRequest{Name: "r1", Descriptor: api.RoleDescriptor{Cluster: []string{}}},
			wantStatus: 200,
		},
		{
			name:       "get all roles",
			req:        req{method: "GET", target: "/_security/role"},
			wantMethod: "GetRoles",
			wantArg:    []string(nil),
			wantStatus: 200,
			wantBody:   `{}`,
		},
		{
			name:       "get named roles",
			req:        req{method: "GET", target: "/_security/role/r1,r2"},
			wantMethod: "GetRoles",
			wantArg:    []string{"r1", "r2"},
			wantStatus: 404,
			wantBody:   `{}`,
		},
		{
			name:       "delete role",
			req:        req{method: "DELETE", target: "/_security/role/r1"},
			wantMethod: "DeleteRole",
			wantArg:    "r1",
			wantStatus: 200,
			wantBody:   `{"found":true}`,
		},
		{
			name:       "trailing slash",
			req:        req{method: "GET", target: "/_security/role/"},
			wantMethod: "GetRoles",
			wantArg:    []string(nil),
			wantStatus: 200,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			w := h.do(t, tt.req)
			if w.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tt.wantStatus, w.Body)
			}
			if h.svc.method != tt.wantMethod {
				t.Fatalf("called %q, want %q", h.svc.method, tt.wantMethod)
			}
			if tt.wantArg != nil && !reflect.DeepEqual(h.svc.arg, tt.wantArg) {
				t.Errorf("argument = %#v, want %#v", h.svc.arg, tt.wantArg)
			}
			if h.svc.sub == nil || h.svc.sub.Username != "elastic" {
				t.Errorf("subject in context = %+v, want elastic", h.svc.sub)
			}
			if tt.wantBody != "" && w.Body.String() != tt.wantBody {
				t.Errorf("body = %s, want %s", w.Body, tt.wantBody)
			}
		})
	}
}

func TestSpecialStatuses(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(*fakeService)
		req        req
		wantStatus int
		wantBody   string
	}{
		{
			name:       "get API keys by id finds one",
			setup:      func(f *fakeService) { f.apiKeys = []api.APIKey{{ID: "abc", Name: "n", Type: "rest"}} },
			req:        req{method: "GET", target: "/_security/api_key?id=abc"},
			wantStatus: 200,
		},
		{
			name:       "get API keys by name finds none",
			req:        req{method: "GET", target: "/_security/api_key?name=nothing"},
			wantStatus: 200,
			wantBody:   `{"api_keys":[]}`,
		},
		{
			name:       "delete missing user",
			setup:      func(f *fakeService) { f.notFound = true },
			req:        req{method: "DELETE", target: "/_security/user/ghost"},
			wantStatus: 404,
			wantBody:   `{"found":false}`,
		},
		{
			name:       "delete missing role",
			setup:      func(f *fakeService) { f.notFound = true },
			req:        req{method: "DELETE", target: "/_security/role/ghost"},
			wantStatus: 404,
			wantBody:   `{"found":false}`,
		},
		{
			name: "get named users finds some",
			setup: func(f *fakeService) {
				f.users = api.GetUsersResponse{"a": {Username: "a", Roles: []string{}, Metadata: map[string]any{}, Enabled: true}}
			},
			req:        req{method: "GET", target: "/_security/user/a,b"},
			wantStatus: 200,
			wantBody:   `{"a":{"username":"a","roles":[],"full_name":null,"email":null,"metadata":{},"enabled":true}}`,
		},
		{
			name:       "get named roles finds some",
			setup:      func(f *fakeService) { f.roles = api.GetRolesResponse{"r": {}} },
			req:        req{method: "GET", target: "/_security/role/r,x"},
			wantStatus: 200,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			if tt.setup != nil {
				tt.setup(h.svc)
			}
			w := h.do(t, tt.req)
			if w.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tt.wantStatus, w.Body)
			}
			if tt.wantBody != "" && w.Body.String() != tt.wantBody {
				t.Errorf("body = %s, want %s", w.Body, tt.wantBody)
			}
		})
	}
}

// envelope is the decoded error envelope.
type envelope struct {
	Error struct {
		RootCause []map[string]any `json:"root_cause"`
		Type      string           `json:"type"`
		Reason    string           `json:"reason"`
		CausedBy  map[string]any   `json:"caused_by"`
		Header    map[string][]string
	} `json:"error"`
	Status int `json:"status"`
}

func decodeEnvelope(t *testing.T, w *httptest.ResponseRecorder) envelope {
	t.Helper()
	var env envelope
	if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil {
		t.Fatalf("body is not an error envelope: %v: %s", err, w.Body)
	}
	if env.Status != w.Code {
		t.Errorf("envelope status %d, HTTP status %d", env.Status, w.Code)
	}
	if len(env.Error.RootCause) == 0 {
		t.Errorf("envelope without root_cause: %s", w.Body)
	}
	return env
}

func TestRequestErrors(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(*fakeService)
		req        req
		wantStatus int
		wantType   string
		wantReason string
		// wantBody, when set, is the exact body (for the simple error bodies).
		wantBody   string
		wantHeader map[string]string
		wantNoCall bool
	}{
		{
			name:       "unknown parameter",
			req:        req{method: "GET", target: "/_security/api_key?foo=bar"},
			wantStatus: 400, wantType: "illegal_argument_exception",
			wantReason: "request [/_security/api_key] contains unrecognized parameter: [foo]",
			wantNoCall: true,
		},
		{
			name:       "unknown parameters with suggestions",
			req:        req{method: "GET", target: "/_security/api_key?usernam=x&zzz=1&ownr=true"},
			wantStatus: 400, wantType: "illegal_argument_exception",
			wantReason: "request [/_security/api_key] contains unrecognized parameters: [ownr] -> did you mean [owner]?, [usernam] -> did you mean [username]?, [zzz]",
			wantNoCall: true,
		},
		{
			name:       "refresh is unknown on invalidate",
			req:        req{method: "DELETE", target: "/_security/api_key?refresh=true", body: `{"ids":["a"]}`},
			wantStatus: 400, wantType: "illegal_argument_exception",
			wantReason: "request [/_security/api_key] contains unrecognized parameter: [refresh]",
			wantNoCall: true,
		},
		{
			name:       "bad boolean",
			req:        req{method: "GET", target: "/_security/api_key?owner=yes"},
			wantStatus: 400, wantType: "illegal_argument_exception",
			wantReason: "Failed to parse value [yes] as only [true] or [false] are allowed.",
			wantNoCall: true,
		},
		{
			name:       "bad human",
			req:        req{method: "GET", target: "/_security/_authenticate?human=1"},
			wantStatus: 400, wantType: "illegal_argument_exception",
			wantReason: "Failed to parse value [1] as only [true] or [false] are allowed.",
		},
		{
			name:       "bad refresh",
			req:        req{method: "POST", target: "/_security/api_key?refresh=now", body: `{"name":"k"}`},
			wantStatus: 400, wantType: "illegal_argument_exception",
			wantReason: "Unknown value for refresh: [now].",
			wantNoCall: true,
		},
		{
			name:       "bad error_trace",
			req:        req{method: "GET", target: "/_security/_authenticate?error_trace=maybe"},
			wantStatus: 400,
			wantBody:   `{"error":"Failed to parse value [maybe] as only [true] or [false] are allowed.","status":400}`,
			wantNoCall: true,
		},
		{
			name:       "unknown path",
			req:        req{method: "GET", target: "/_security/nothing?x=1"},
			wantStatus: 400,
			wantBody:   `{"error":"no handler found for uri [/_security/nothing?x=1] and method [GET]"}`,
			wantNoCall: true,
		},
		{
			name:       "unknown path is answered before authentication",
			req:        req{method: "POST", target: "/_cat/indices", noAuth: true},
			wantStatus: 400,
			wantBody:   `{"error":"no handler found for uri [/_cat/indices] and method [POST]"}`,
		},
		{
			name:       "wrong method",
			req:        req{method: "PATCH", target: "/_security/api_key"},
			wantStatus: 405,
			wantBody:   `{"error":"Incorrect HTTP method for uri [/_security/api_key] and method [PATCH], allowed: [GET, POST, PUT, DELETE]","status":405}`,
			wantHeader: map[string]string{"Allow": "GET,POST,PUT,DELETE"},
			wantNoCall: true,
		},
		{
			name:       "wrong method on a user",
			req:        req{method: "HEAD", target: "/_security/user/bob"},
			wantStatus: 405,
			wantHeader: map[string]string{"Allow": "GET,POST,PUT,DELETE"},
		},
		{
			name:       "OPTIONS lists the methods",
			req:        req{method: "OPTIONS", target: "/_security/role/r1"},
			wantStatus: 200,
			wantHeader: map[string]string{"Allow": "GET,POST,PUT,DELETE"},
			wantNoCall: true,
		},
		{
			name:       "missing credentials",
			req:        req{method: "GET", target: "/_security/_authenticate?pretty=false", noAuth: true},
			wantStatus: 401, wantType: "security_exception",
			wantReason: "missing authentication credentials for REST request [/_security/_authenticate?pretty=false]",
			wantHeader: map[string]string{"WWW-Authenticate": `Basic realm="security", charset="UTF-8"`},
			wantNoCall: true,
		},
		{
			name:       "wrong password",
			req:        req{method: "GET", target: "/_security/_authenticate", headers: map[string]string{"Authorization": "basic Ym9iOm5vcGU="}},
			wantStatus: 401, wantType: "security_exception",
			wantReason: "unable to authenticate user [bob] for REST request",
			wantHeader: map[string]string{"WWW-Authenticate": `Basic realm="security", charset="UTF-8"`},
			wantNoCall: true,
		},
		{
			name:       "malformed API key",
			req:        req{method: "GET", target: "/_security/_authenticate", headers: map[string]string{"Authorization": "ApiKey !!!"}},
			wantStatus: 401, wantType: "security_exception",
			wantNoCall: true,
		},
		{
			name: "service error",
			setup: func(f *fakeService) {
				f.err = api.Errorf(api.Forbidden, "action [x] is unauthorized for user [elastic]")
			},
			req:        req{method: "GET", target: "/_security/api_key"},
			wantStatus: 403, wantType: "security_exception",
			wantReason: "action [x] is unauthorized for user [elastic]",
		},
		{
			name:       "decode error",
			req:        req{method: "POST", target: "/_security/api_key", body: `{"name":"k","nope":1}`},
			wantStatus: 400, wantType: "x_content_parse_exception",
			wantReason: "[1:13] [api_key_request] unknown field [nope]",
			wantNoCall: true,
		},
		{
			name:       "missing body",
			req:        req{method: "DELETE", target: "/_security/api_key"},
			wantStatus: 400, wantType: "parse_exception",
			wantReason: "request body is required",
			wantNoCall: true,
		},
		{
			name:       "body where none is read",
			req:        req{method: "GET", target: "/_security/api_key", body: `{"id":"x"}`},
			wantStatus: 400, wantType: "illegal_argument_exception",
			wantReason: "request [GET /_security/api_key] does not support having a body",
			wantNoCall: true,
		},
		{
			name:       "unsupported content type",
			req:        req{method: "POST", target: "/_security/api_key", body: `{"name":"k"}`, headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}},
			wantStatus: 406,
			wantBody:   `{"error":"Content-Type header [application/x-www-form-urlencoded] is not supported","status":406}`,
			wantNoCall: true,
		},
		{
			name:       "missing content type",
			req:        req{method: "POST", target: "/_security/api_key", body: `{"name":"k"}`, headers: map[string]string{"Content-Type": ""}},
			wantStatus: 406,
			wantBody:   `{"error":"Content-Type header is missing","status":406}`,
			wantNoCall: true,
		},
		{
			name:       "unsupported compatible-with",
			req:        req{method: "GET", target: "/_security/_authenticate", headers: map[string]string{"Accept": "application/vnd.elasticsearch+json; compatible-with=6"}},
			wantStatus: 400, wantType: "status_exception",
			wantNoCall: true,
		},
		{
			name:       "browser Origin",
			req:        req{method: "GET", target: "/_security/api_key", headers: map[string]string{"Origin": "https://evil.example"}},
			wantStatus: 403, wantType: "security_exception",
			wantReason: "requests from a web browser are not allowed: the request carries the Origin header [https://evil.example]",
			wantNoCall: true,
		},
		{
			name:       "browser cross-site fetch",
			req:        req{method: "POST", target: "/_security/api_key", body: `{"name":"k"}`, headers: map[string]string{"Sec-Fetch-Site": "cross-site"}},
			wantStatus: 403, wantType: "security_exception",
			wantNoCall: true,
		},
		{
			name:       "internal error is not echoed",
			setup:      func(f *fakeService) { f.err = errBoom },
			req:        req{method: "GET", target: "/_security/api_key"},
			wantStatus: 500,
			wantBody:   `{"error":{"root_cause":[{"type":"exception","reason":"internal error"}],"type":"exception","reason":"internal error"},"status":500}`,
		},
		{
			name:       "panic is an internal error",
			setup:      func(f *fakeService) { f.panicWith = "kaboom" },
			req:        req{method: "GET", target: "/_security/api_key"},
			wantStatus: 500, wantType: "exception", wantReason: "internal error",
		},
		{
			name:       "filter_path does not apply to errors",
			req:        req{method: "GET", target: "/_security/api_key?owner=x&filter_path=status"},
			wantStatus: 400, wantType: "illegal_argument_exception",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			if tt.setup != nil {
				tt.setup(h.svc)
			}
			w := h.do(t, tt.req)
			if w.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tt.wantStatus, w.Body)
			}
			if tt.wantBody != "" && w.Body.String() != tt.wantBody {
				t.Errorf("body =\n%s\nwant\n%s", w.Body, tt.wantBody)
			}
			if tt.wantType != "" {
				env := decodeEnvelope(t, w)
				if env.Error.Type != tt.wantType {
					t.Errorf("type = %q, want %q", env.Error.Type, tt.wantType)
				}
				if tt.wantReason != "" && env.Error.Reason != tt.wantReason {
					t.Errorf("reason =\n%q\nwant\n%q", env.Error.Reason, tt.wantReason)
				}
			}
			for k, v := range tt.wantHeader {
				if got := w.Header().Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			if tt.wantNoCall && h.svc.method != "" {
				t.Errorf("service called (%s), want no call", h.svc.method)
			}
			if strings.Contains(w.Body.String(), "disk I/O") {
				t.Errorf("internal error echoed: %s", w.Body)
			}
		})
	}
}

func TestUnauthorizedCarriesAllChallenges(t *testing.T) {
	h := newHarness(t, nil)
	w := h.do(t, req{method: "GET", target: "/", noAuth: true})
	if w.Code != 401 {
		t.Fatalf("status = %d, want 401", w.Code)
	}
	if got := w.Header().Values("WWW-Authenticate"); !reflect.DeepEqual(got, auth.Challenges) {
		t.Errorf("WWW-Authenticate = %q, want %q", got, auth.Challenges)
	}
	env := decodeEnvelope(t, w)
	if env.Error.Header == nil && !strings.Contains(w.Body.String(), `"header":{"WWW-Authenticate"`) {
		t.Errorf("envelope lacks the header field: %s", w.Body)
	}
}

func TestInternalErrorIsLogged(t *testing.T) {
	h := newHarness(t, nil)
	h.svc.err = errBoom
	h.do(t, req{method: "GET", target: "/_security/api_key?name=topsecret"})
	log := h.log.String()
	if !strings.Contains(log, "disk I/O error") {
		t.Errorf("log lacks the internal error:\n%s", log)
	}
	if !strings.Contains(log, "status=500") {
		t.Errorf("log lacks the request line:\n%s", log)
	}
}

func TestRequestLog(t *testing.T) {
	h := newHarness(t, nil)
	h.do(t, req{method: "GET", target: "/_security/api_key?name=topsecret", headers: map[string]string{"Authorization": apiKeyK1}})
	log := h.log.String()
	for _, want := range []string{"msg=request", "method=GET", "path=/_security/api_key", "status=200", "user=elastic", "api_key_id=k1", "duration="} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	for _, leak := range []string{"topsecret", "azE6czE", "ApiKey"} {
		if strings.Contains(log, leak) {
			t.Errorf("log leaks %q:\n%s", leak, log)
		}
	}
}

func TestClusterInfo(t *testing.T) {
	h := newHarness(t, nil)
	w := h.do(t, req{method: "GET", target: "/"})
	if w.Code != 200 {
		t.Fatalf("status = %d; body %s", w.Code, w.Body)
	}
	want := `{"name":"node-1","cluster_name":"apikeyd","cluster_uuid":"uuid-1","version":{"number":"` + ESVersion +
		`","build_flavor":"default","build_type":"tar","build_hash":"unknown","build_date":"1970-01-01T00:00:00.000Z",` +
		`"build_snapshot":false,"lucene_version":"` + LuceneVersion + `","minimum_wire_compatibility_version":"8.19.0",` +
		`"minimum_index_compatibility_version":"8.0.0"},"tagline":"You Know, for Search"}`
	if w.Body.String() != want {
		t.Errorf("body =\n%s\nwant\n%s", w.Body, want)
	}

	head := h.do(t, req{method: "HEAD", target: "/"})
	if head.Code != 200 {
		t.Errorf("HEAD status = %d", head.Code)
	}
}

func TestPeer(t *testing.T) {
	peerSub := auth.OSSubject("alice")
	tests := []struct {
		name       string
		peer       func(*http.Request) (*auth.Subject, *api.Error)
		header     string
		wantStatus int
		wantUser   string
	}{
		{
			name:       "peer subject without Authorization",
			peer:       func(*http.Request) (*auth.Subject, *api.Error) { return peerSub, nil },
			wantStatus: 200, wantUser: "alice",
		},
		{
			name:       "Authorization wins over the peer",
			peer:       func(*http.Request) (*auth.Subject, *api.Error) { return peerSub, nil },
			header:     basicElastic,
			wantStatus: 200, wantUser: "elastic",
		},
		{
			name: "peer refused",
			peer: func(*http.Request) (*auth.Subject, *api.Error) {
				return nil, auth.Unauthenticated("unix socket peer uid 1234 is not allowed; authenticate with a user or an API key")
			},
			wantStatus: 401,
		},
		{
			name:       "connection without peer credentials",
			peer:       func(*http.Request) (*auth.Subject, *api.Error) { return nil, nil },
			wantStatus: 401,
		},
		{
			name:       "no peer configured",
			wantStatus: 401,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, func(c *Config) { c.Peer = tt.peer })
			w := h.do(t, req{method: "GET", target: "/_security/_authenticate", noAuth: tt.header == "", headers: map[string]string{"Authorization": tt.header}})
			if w.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tt.wantStatus, w.Body)
			}
			if tt.wantStatus == 401 {
				decodeEnvelope(t, w)
				if w.Header().Get("WWW-Authenticate") == "" {
					t.Errorf("401 without WWW-Authenticate")
				}
				return
			}
			if h.svc.sub == nil || h.svc.sub.Username != tt.wantUser {
				t.Errorf("subject = %+v, want %s", h.svc.sub, tt.wantUser)
			}
		})
	}
}

func TestMediaTypes(t *testing.T) {
	tests := []struct {
		name    string
		headers map[string]string
		method  string
		target  string
		body    string
	}{
		{name: "compatible-with 8 with space", method: "POST", target: "/_security/api_key", body: `{"name":"k"}`,
			headers: map[string]string{"Content-Type": "application/vnd.elasticsearch+json; compatible-with=8", "Accept": "application/vnd.elasticsearch+json; compatible-with=8"}},
		{name: "compatible-with 9 without space", method: "POST", target: "/_security/api_key", body: `{"name":"k"}`,
			headers: map[string]string{"Content-Type": "application/vnd.elasticsearch+json;compatible-with=9", "Accept": "application/vnd.elasticsearch+json;compatible-with=9"}},
		{name: "compatible-with 7", method: "POST", target: "/_security/api_key", body: `{"name":"k"}`,
			headers: map[string]string{"Content-Type": "application/vnd.elasticsearch+json;compatible-with=7"}},
		{name: "json with charset", method: "POST", target: "/_security/api_key", body: `{"name":"k"}`,
			headers: map[string]string{"Content-Type": "application/json; charset=UTF-8"}},
		{name: "Accept list", method: "GET", target: "/_security/_authenticate",
			headers: map[string]string{"Accept": "application/vnd.elasticsearch+json;compatible-with=9,text/plain"}},
		{name: "Content-Type on a bodyless GET", method: "GET", target: "/_security/api_key",
			headers: map[string]string{"Content-Type": "application/vnd.elasticsearch+json;compatible-with=9"}},
		{name: "text/plain Content-Type on a bodyless GET", method: "GET", target: "/_security/api_key",
			headers: map[string]string{"Content-Type": "text/plain"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			w := h.do(t, req{method: tt.method, target: tt.target, body: tt.body, headers: tt.headers})
			if w.Code != 200 {
				t.Fatalf("status = %d; body %s", w.Code, w.Body)
			}
		})
	}
}

func gzipped(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestBodies(t *testing.T) {
	tests := []struct {
		name       string
		body       []byte
		encoding   string
		maxBody    int64
		wantStatus int
		wantType   string
	}{
		{name: "gzip", body: gzipped(t, `{"name":"zipped"}`), encoding: "gzip", wantStatus: 200},
		{name: "corrupt gzip", body: []byte("not gzip at all"), encoding: "gzip", wantStatus: 400, wantType: "illegal_argument_exception"},
		{name: "too large", body: []byte(`{"name":"` + strings.Repeat("x", 100) + `"}`), maxBody: 64, wantStatus: 413, wantType: "content_too_long_exception"},
		{name: "too large once unzipped", body: gzipped(t, `{"name":"`+strings.Repeat("x", 1000)+`"}`), encoding: "gzip", maxBody: 512, wantStatus: 413, wantType: "content_too_long_exception"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, func(c *Config) { c.MaxBodySize = tt.maxBody })
			r := httptest.NewRequest("POST", "/_security/api_key", bytes.NewReader(tt.body))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Authorization", basicElastic)
			if tt.encoding != "" {
				r.Header.Set("Content-Encoding", tt.encoding)
			}
			w := httptest.NewRecorder()
			h.h.ServeHTTP(w, r)
			checkCommonHeaders(t, w)
			if w.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tt.wantStatus, w.Body)
			}
			if tt.wantType != "" {
				if env := decodeEnvelope(t, w); env.Error.Type != tt.wantType {
					t.Errorf("type = %q, want %q", env.Error.Type, tt.wantType)
				}
			}
			if tt.wantStatus == 200 {
				if got := *h.svc.arg.(*api.CreateAPIKeyRequest).Name; got != "zipped" {
					t.Errorf("name = %q", got)
				}
			}
		})
	}
}

func TestPrettyAndFilterPath(t *testing.T) {
	keys := []api.APIKey{
		{ID: "a", Name: "one", Type: "rest", Creation: 1, Username: "u", Realm: "r", Metadata: map[string]any{"env": "prod"}},
		{ID: "b", Name: "two", Type: "rest", Creation: 2, Username: "u", Realm: "r", Metadata: map[string]any{}},
	}
	tests := []struct {
		name       string
		target     string
		keys       []api.APIKey
		wantStatus int
		want       string
	}{
		{
			name:   "pretty",
			target: "/_security/api_key?pretty&filter_path=api_keys.id,api_keys.metadata",
			keys:   keys,
			want:   "{\n  \"api_keys\" : [\n    {\n      \"id\" : \"a\",\n      \"metadata\" : {\n        \"env\" : \"prod\"\n      }\n    },\n    {\n      \"id\" : \"b\",\n      \"metadata\" : { }\n    }\n  ]\n}\n",
		},
		{
			name:   "pretty=false",
			target: "/_security/api_key?pretty=false&filter_path=api_keys.id",
			keys:   keys,
			want:   `{"api_keys":[{"id":"a"},{"id":"b"}]}`,
		},
		{
			name:   "wildcard segment",
			target: "/_security/api_key?filter_path=api_keys.n*e,api_keys.*ated",
			keys:   keys,
			want:   `{"api_keys":[{"name":"one","invalidated":false},{"name":"two","invalidated":false}]}`,
		},
		{
			name:   "double wildcard",
			target: "/_security/api_key?filter_path=**.env",
			keys:   keys,
			want:   `{"api_keys":[{"metadata":{"env":"prod"}}]}`,
		},
		{
			name:   "exclusion",
			target: "/_security/api_key?filter_path=-api_keys.metadata,-api_keys.creation,-api_keys.role_descriptors,-api_keys.realm,-api_keys.username,-api_keys.invalidated",
			keys:   keys[:1],
			want:   `{"api_keys":[{"id":"a","name":"one","type":"rest"}]}`,
		},
		{
			name:   "nothing matches",
			target: "/_security/api_key?filter_path=nope",
			keys:   keys,
			want:   `{}`,
		},
		{
			name:       "404 body is filtered too",
			target:     "/_security/api_key?id=zz&filter_path=-api_keys",
			wantStatus: 404,
			want:       `{}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			h.svc.apiKeys = tt.keys
			w := h.do(t, req{method: "GET", target: tt.target})
			want := tt.wantStatus
			if want == 0 {
				want = 200
			}
			if w.Code != want {
				t.Fatalf("status = %d, want %d; body %s", w.Code, want, w.Body)
			}
			if w.Body.String() != tt.want {
				t.Errorf("body =\n%s\nwant\n%s", w.Body, tt.want)
			}
		})
	}
}

func TestPrettyError(t *testing.T) {
	h := newHarness(t, nil)
	w := h.do(t, req{method: "GET", target: "/_security/nothing?pretty"})
	want := "{\n  \"error\" : \"no handler found for uri [/_security/nothing?pretty] and method [GET]\"\n}\n"
	if w.Body.String() != want {
		t.Errorf("body =\n%q\nwant\n%q", w.Body, want)
	}
}
