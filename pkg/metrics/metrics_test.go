package metrics_test

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
	"github.com/apikeyctl/apikeyctl/pkg/metrics"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// TestExpose renders counters and a snapshot, and checks the text with
// client_golang's own parser (testutil.CollectAndCompare's).
func TestExpose(t *testing.T) {
	r := metrics.New(metrics.Options{})
	r.Authentication("apikey", keyservice.AuthSuccess)
	r.Authentication("apikey", keyservice.AuthSuccess)
	r.Authentication("basic", keyservice.AuthThrottled)
	r.Authentication("basic", "some_new_class")
	r.ObserveRequest("GET", "/_security/_authenticate", 200, 3*time.Millisecond)
	snap := &keyservice.MetricsSnapshot{
		Keys:     []keyservice.KeyCount{{Type: "rest", State: keyservice.KeyActive, Count: 3}, {Type: "rest", State: keyservice.KeyExpiring, Count: 1}},
		Caches:   []keyservice.CacheStats{{Name: "api_key", Hits: 5, Misses: 2, Evictions: 1, Entries: 9}},
		Throttle: keyservice.ThrottleStats{Enabled: true, Tracked: 4},
		Store: &store.Stats{Backend: "sqlite", SizeBytes: 4096, Commits: 3, CommittedWrites: 7,
			BatchSizes: []uint64{1, 1, 2, 3, 3, 3, 3, 3}, QueueDepth: 2, QueueCapacity: 256},
	}
	m, err := r.Expose(snap)
	if err != nil {
		t.Fatal(err)
	}
	if m.ContentType != "text/plain; version=0.0.4; charset=utf-8" {
		t.Errorf("content type %q", m.ContentType)
	}
	text := string(m.Text)
	for _, line := range []string{
		`apikeyd_authentications_total{outcome="success",scheme="apikey"} 2`,
		`apikeyd_authentications_total{outcome="throttled",scheme="basic"} 1`,
		`apikeyd_authentications_total{outcome="some_new_class",scheme="basic"} 1`,
		`apikeyd_authentications_total{outcome="wrong_secret",scheme="apikey"} 0`,
		`apikeyd_http_request_duration_seconds_bucket{code="200",method="GET",route="/_security/_authenticate",le="0.005"} 1`,
		`apikeyd_api_keys{state="active",type="rest"} 3`,
		`apikeyd_api_keys{state="expiring",type="rest"} 1`,
		`apikeyd_cache_hits_total{cache="api_key"} 5`,
		`apikeyd_cache_misses_total{cache="api_key"} 2`,
		`apikeyd_cache_evictions_total{cache="api_key"} 1`,
		`apikeyd_cache_entries{cache="api_key"} 9`,
		`apikeyd_auth_throttle_enabled 1`,
		`apikeyd_auth_throttle_tracked 4`,
		`apikeyd_store_info{backend="sqlite"} 1`,
		`apikeyd_store_size_bytes 4096`,
		`apikeyd_store_commits_total 3`,
		`apikeyd_store_commit_batch_size_bucket{le="4"} 2`,
		`apikeyd_store_commit_batch_size_bucket{le="+Inf"} 3`,
		`apikeyd_store_commit_batch_size_sum 7`,
		`apikeyd_store_write_queue_depth 2`,
		`apikeyd_store_write_queue_capacity 256`,
	} {
		if !strings.Contains(text, line+"\n") {
			t.Errorf("no line %s in\n%s", line, text)
		}
	}
	if strings.Contains(text, "go_goroutines") {
		t.Error("runtime metrics without Options.Runtime")
	}
	// The text is valid exposition, as a scraper parses it.
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if h := families["apikeyd_store_commit_batch_size"].GetMetric()[0].GetHistogram(); h.GetSampleCount() != 3 || h.GetSampleSum() != 7 {
		t.Errorf("batch size histogram %v", h)
	}
}

// TestExposeWithoutStore leaves the store's series out when the store
// reports nothing, and adds the runtime's when asked.
func TestExposeWithoutStore(t *testing.T) {
	m, err := metrics.New(metrics.Options{Runtime: true}).Expose(&keyservice.MetricsSnapshot{})
	if err != nil {
		t.Fatal(err)
	}
	text := string(m.Text)
	if strings.Contains(text, "apikeyd_store_") || !strings.Contains(text, "go_goroutines") || !strings.Contains(text, "apikeyd_auth_throttle_enabled 0") {
		t.Fatalf("exposition:\n%s", text)
	}
}
