package esapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/esapi"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
	"github.com/apikeyctl/apikeyctl/pkg/metrics"
)

// newMetricsWireServer is newWireServer with the metrics wired as the
// daemon wires them, and MetricsLoopback as given.
func newMetricsWireServer(t *testing.T, loopback bool) string {
	t.Helper()
	reg := metrics.New(metrics.Options{})
	svc, err := keyservice.New(openTempDB(t), keyservice.Options{PasswordHashing: "bcrypt4", Recorder: reg, MetricsLoopback: loopback})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Bootstrap(context.Background(), "wire-password"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(esapi.NewHandler(esapi.Config{Service: svc, Admin: svc, Authenticator: svc, Observer: reg, MetricsLoopback: loopback}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// scrape gets the metrics with authz and parses them.
func scrape(t *testing.T, srv, authz string) map[string]*dto.MetricFamily {
	t.Helper()
	status, hdr, body := rawCall(t, srv, http.MethodGet, "/_apikeyd/metrics", authz, "")
	if status != 200 {
		t.Fatalf("scrape: %d %s", status, body)
	}
	if ct := hdr.Get("Content-Type"); ct != api.MetricsContentType {
		t.Fatalf("Content-Type %q", ct)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse the scrape: %v\n%s", err, body)
	}
	return families
}

// value is the value of the series of family name whose labels are
// labels (name, value pairs); -1 when there is none.
func value(families map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	f := families[name]
	if f == nil {
		return -1
	}
next:
	for _, m := range f.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if got[labels[i]] != labels[i+1] {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return -1
}

// TestWireMetrics scrapes the metrics after keys were created and
// credentials authenticated and refused: the counts are those of what
// happened.
func TestWireMetrics(t *testing.T) {
	srv := newMetricsWireServer(t, false)
	elastic := basicAuth("elastic", "wire-password")
	elasticCalls := 0
	call := func(method, path, authz, body string) (int, string) {
		t.Helper()
		if authz == elastic {
			elasticCalls++
		}
		status, _, data := rawCall(t, srv, method, path, authz, body)
		return status, data
	}
	create := func(body string) api.CreateAPIKeyResponse {
		t.Helper()
		status, data := call(http.MethodPost, "/_security/api_key", elastic, body)
		if status != 200 {
			t.Fatalf("create: %d %s", status, data)
		}
		var resp api.CreateAPIKeyResponse
		if err := json.Unmarshal([]byte(data), &resp); err != nil {
			t.Fatal(err)
		}
		return resp
	}
	used := create(`{"name":"used"}`)
	create(`{"name":"soon","expiration":"2d"}`)
	gone := create(`{"name":"gone"}`)
	if status, data := call(http.MethodDelete, "/_security/api_key", elastic, `{"ids":["`+gone.ID+`"]}`); status != 200 {
		t.Fatalf("invalidate: %d %s", status, data)
	}

	for _, tc := range []struct {
		name   string
		authz  string
		status int
	}{
		{"key", "ApiKey " + used.Encoded, 200},
		{"key again", "ApiKey " + used.Encoded, 200},
		{"wrong secret", "ApiKey " + encodeKey(used.ID, "not-the-secret-at-all1"), 401},
		{"unknown key", "ApiKey " + encodeKey("AAAAAAAAAAAAAAAAAAAA", "not-the-secret-at-all1"), 401},
		{"invalidated key", "ApiKey " + gone.Encoded, 401},
		{"wrong password", basicAuth("elastic", "not-the-password"), 401},
	} {
		if status, data := call(http.MethodGet, "/_security/_authenticate", tc.authz, ""); status != tc.status {
			t.Fatalf("%s: %d %s", tc.name, status, data)
		}
	}

	elasticCalls++ // the scrape itself authenticates first
	m := scrape(t, srv, elastic)
	for _, tc := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"apikeyd_authentications_total", []string{"scheme", "apikey", "outcome", "success"}, 2},
		{"apikeyd_authentications_total", []string{"scheme", "apikey", "outcome", "wrong_secret"}, 1},
		{"apikeyd_authentications_total", []string{"scheme", "apikey", "outcome", "unknown_key"}, 1},
		{"apikeyd_authentications_total", []string{"scheme", "apikey", "outcome", "invalidated"}, 1},
		{"apikeyd_authentications_total", []string{"scheme", "apikey", "outcome", "expired"}, 0},
		{"apikeyd_authentications_total", []string{"scheme", "basic", "outcome", "invalid_credentials"}, 1},
		{"apikeyd_authentications_total", []string{"scheme", "basic", "outcome", "success"}, float64(elasticCalls)},
		{"apikeyd_api_keys", []string{"type", "rest", "state", "active"}, 2},
		{"apikeyd_api_keys", []string{"type", "rest", "state", "expiring"}, 1},
		{"apikeyd_api_keys", []string{"type", "rest", "state", "expired"}, 0},
		{"apikeyd_api_keys", []string{"type", "rest", "state", "invalidated"}, 1},
		{"apikeyd_api_keys", []string{"type", "cross_cluster", "state", "active"}, 0},
		{"apikeyd_http_request_duration_seconds", []string{"method", "GET", "route", "/_security/_authenticate", "code", "200"}, 2},
		{"apikeyd_http_request_duration_seconds", []string{"method", "GET", "route", "/_security/_authenticate", "code", "401"}, 4},
		{"apikeyd_http_request_duration_seconds", []string{"method", "POST", "route", "/_security/api_key", "code", "200"}, 3},
		// The second use of the key and the wrong secret are answered
		// by the record cache.
		{"apikeyd_cache_hits_total", []string{"cache", "api_key"}, 2},
		{"apikeyd_cache_evictions_total", []string{"cache", "api_key"}, 0},
		{"apikeyd_auth_throttle_enabled", nil, 0},
		{"apikeyd_store_info", []string{"backend", "sqlite"}, 1},
		{"apikeyd_store_write_queue_depth", nil, 0},
	} {
		if got := value(m, tc.name, tc.labels...); got != tc.want {
			t.Errorf("%s%v = %v, want %v", tc.name, tc.labels, got, tc.want)
		}
	}
	commits := value(m, "apikeyd_store_commits_total")
	if commits < 4 || value(m, "apikeyd_store_commit_batch_size") != commits {
		t.Errorf("commits %v, batch size histogram of %v commits", commits, value(m, "apikeyd_store_commit_batch_size"))
	}
	if size := value(m, "apikeyd_store_size_bytes"); size <= 0 {
		t.Errorf("store size %v", size)
	}
}

// encodeKey is the ApiKey credential of id and secret.
func encodeKey(id, secret string) string {
	return base64.StdEncoding.EncodeToString([]byte(id + ":" + secret))
}

// TestWireMetricsAuthorization: monitor (or manage, or all) reads the
// metrics; a user without it gets Elasticsearch's 403 for a missing
// cluster privilege; with MetricsLoopback a request without credentials
// from a loopback address is served, one with a wrong credential is not.
func TestWireMetricsAuthorization(t *testing.T) {
	srv := newMetricsWireServer(t, false)
	elastic := basicAuth("elastic", "wire-password")
	for _, step := range []struct{ method, path, body string }{
		{http.MethodPut, "/_security/role/watcher", `{"cluster":["monitor"]}`},
		{http.MethodPut, "/_security/role/operator", `{"cluster":["manage"]}`},
		{http.MethodPut, "/_security/user/prom", `{"password":"prom-password","roles":["watcher"]}`},
		{http.MethodPut, "/_security/user/ops", `{"password":"ops-password","roles":["operator"]}`},
		{http.MethodPut, "/_security/user/plain", `{"password":"plain-password","roles":[]}`},
	} {
		if status, _, data := rawCall(t, srv, step.method, step.path, elastic, step.body); status != 200 {
			t.Fatalf("%s %s: %d %s", step.method, step.path, status, data)
		}
	}
	scrape(t, srv, basicAuth("prom", "prom-password"))
	scrape(t, srv, basicAuth("ops", "ops-password"))

	status, _, data := rawCall(t, srv, http.MethodGet, "/_apikeyd/metrics", basicAuth("plain", "plain-password"), "")
	want := `{"error":{"root_cause":[{"type":"security_exception","reason":"action [cluster:monitor/apikeyd/metrics] is unauthorized for user [plain] with effective roles [], this action is granted by the cluster privileges [monitor,manage,all]"}],"type":"security_exception","reason":"action [cluster:monitor/apikeyd/metrics] is unauthorized for user [plain] with effective roles [], this action is granted by the cluster privileges [monitor,manage,all]"},"status":403}`
	if status != 403 || data != want {
		t.Errorf("plain user: %d %s\nwant 403 %s", status, data, want)
	}
	if status, _, data := rawCall(t, srv, http.MethodGet, "/_apikeyd/metrics", "", ""); status != 401 {
		t.Errorf("no credential without the flag: %d %s", status, data)
	}

	open := newMetricsWireServer(t, true)
	if m := scrape(t, open, ""); value(m, "apikeyd_api_keys", "type", "rest", "state", "active") != 0 {
		t.Errorf("loopback scrape: %v", m["apikeyd_api_keys"])
	}
	if status, _, data := rawCall(t, open, http.MethodGet, "/_apikeyd/metrics", basicAuth("elastic", "wrong-password"), ""); status != 401 {
		t.Errorf("wrong credential with the flag: %d %s", status, data)
	}
}
