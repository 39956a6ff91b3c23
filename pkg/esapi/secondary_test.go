package esapi

import (
	"strings"
	"testing"
)

// TestSecondaryAuthorizationOrder: the es-secondary-authorization header
// is authenticated where Elasticsearch's security filter does it: on
// every routed request, after the caller and the body, before the
// route's parameters and the handler.
func TestSecondaryAuthorizationOrder(t *testing.T) {
	bad := map[string]string{SecondaryAuthHeader: "Basic " + "bm9ib2R5Om5vcGU="} // nobody:nope
	for _, c := range []struct {
		name       string
		req        req
		wantStatus int
		wantBody   string
		called     bool
		wantLog    string
	}{
		{name: "an unrouted path answers before it", req: req{method: "GET", target: "/_nowhere", headers: bad},
			wantStatus: 400, wantBody: "no handler found"},
		{name: "the caller's failure answers before it", req: req{method: "GET", target: "/_security/_authenticate",
			headers: map[string]string{"Authorization": "Basic ZWxhc3RpYzp3cm9uZw==", SecondaryAuthHeader: bad[SecondaryAuthHeader]}}, // elastic:wrong
			wantStatus: 401, wantBody: "unable to authenticate user [elastic]"},
		{name: "it answers before an unknown parameter", req: req{method: "GET", target: "/_security/api_key?bogus=1", headers: bad},
			wantStatus: 401, wantBody: "unable to authenticate user [nobody]"},
		{name: "it answers before the handler", req: req{method: "POST", target: "/_security/api_key", body: `{"name":"k"}`, headers: bad},
			wantStatus: 401, wantBody: "unable to authenticate user [nobody]"},
		{name: "a valid one is logged", req: req{method: "GET", target: "/_security/_authenticate",
			headers: map[string]string{SecondaryAuthHeader: apiKeyK1}},
			wantStatus: 200, called: true, wantLog: "secondary_user=elastic secondary_api_key_id=k1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h, w := serve(t, nil, c.req, c.wantStatus)
			if !strings.Contains(w.Body.String(), c.wantBody) {
				t.Errorf("body %s, want %q in it", w.Body, c.wantBody)
			}
			if called := h.svc.method != ""; called != c.called {
				t.Errorf("service called: %v (%q), want %v", called, h.svc.method, c.called)
			}
			if !strings.Contains(h.log.String(), c.wantLog) {
				t.Errorf("log %s, want %q in it", h.log, c.wantLog)
			}
		})
	}
}
