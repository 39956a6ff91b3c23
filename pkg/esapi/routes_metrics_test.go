package esapi

import (
	"context"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
)

// Metrics answers a fixed exposition, naming the caller (or "anonymous").
func (a *fakeAdmin) Metrics(ctx context.Context) (*api.Metrics, error) {
	who := "anonymous"
	if sub, ok := auth.SubjectFrom(ctx); ok {
		who = sub.Username
	}
	return &api.Metrics{ContentType: api.MetricsContentType, Text: []byte("# caller " + who + "\nup 1\n")}, nil
}

type observed struct {
	method, route string
	code          int
}

type fakeObserver struct{ seen []observed }

func (o *fakeObserver) ObserveRequest(method, route string, code int, _ time.Duration) {
	o.seen = append(o.seen, observed{method, route, code})
}

// TestMetricsRoute: the metrics are text, not JSON; a request without
// credentials gets through to the service only with MetricsLoopback and
// from a loopback address.
func TestMetricsRoute(t *testing.T) {
	for _, tt := range []struct {
		name     string
		loopback bool
		remote   string
		authz    string
		status   int
		body     string
	}{
		{"authenticated", false, "192.0.2.7:4000", basicElastic, 200, "# caller elastic\nup 1\n"},
		{"no credential", false, "127.0.0.1:4000", "", 401, ""},
		{"loopback scrape", true, "127.0.0.1:4000", "", 200, "# caller anonymous\nup 1\n"},
		{"loopback scrape over IPv6", true, "[::1]:4000", "", 200, "# caller anonymous\nup 1\n"},
		{"remote scrape", true, "192.0.2.7:4000", "", 401, ""},
		{"bad credential from loopback", true, "127.0.0.1:4000", "Basic " + "bm9ib2R5Ondyb25n", 401, ""},
		{"authenticated with the flag", true, "192.0.2.7:4000", basicElastic, 200, "# caller elastic\nup 1\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, func(c *Config) { c.Admin = &fakeAdmin{}; c.MetricsLoopback = tt.loopback })
			r := httptest.NewRequest("GET", "/_apikeyd/metrics", nil)
			r.RemoteAddr = tt.remote
			if tt.authz != "" {
				r.Header.Set("Authorization", tt.authz)
			}
			w := httptest.NewRecorder()
			h.h.ServeHTTP(w, r)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if tt.status != 200 {
				return
			}
			if ct := w.Header().Get("Content-Type"); ct != api.MetricsContentType {
				t.Errorf("Content-Type %q", ct)
			}
			if w.Body.String() != tt.body {
				t.Errorf("body %q, want %q", w.Body, tt.body)
			}
		})
	}
}

// TestRequestObserver: each request is observed by its route's pattern,
// never its path, and by a method from a fixed set.
func TestRequestObserver(t *testing.T) {
	obs := &fakeObserver{}
	h := newHarness(t, func(c *Config) { c.Admin = &fakeAdmin{}; c.Observer = obs })
	h.do(t, req{method: "GET", target: "/_apikeyd/doctor"})
	h.do(t, req{method: "GET", target: "/_apikeyd/policy/expiry/some-name"})
	h.do(t, req{method: "BREW", target: "/coffee"})
	h.do(t, req{method: "GET", target: "/_apikeyd/metrics", noAuth: true})
	want := []observed{
		{"GET", "/_apikeyd/doctor", 200},
		{"GET", "/_apikeyd/policy/expiry/{name}", 200},
		{"other", "unmatched", 400},
		{"GET", "/_apikeyd/metrics", 401},
	}
	if !slices.Equal(obs.seen, want) {
		t.Fatalf("observed %v,\nwant %v", obs.seen, want)
	}
}
