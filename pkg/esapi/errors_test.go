package esapi

import (
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
)

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
			h, w := serve(t, tt.setup, tt.req, tt.wantStatus)
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
