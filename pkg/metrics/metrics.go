// Package metrics defines apikeyd's metrics with the official Prometheus
// client (client_golang) and renders them in the Prometheus text format,
// for GET /_apikeyd/metrics and apikeyctl metrics.
//
// What happens on a request is counted as it happens: authentications
// through keyservice's Recorder (Registry implements it; one atomic add on
// a counter resolved in advance, no lock), requests through esapi's
// RequestObserver. What is state — keys by type and state, the caches,
// the brake on failed authentication, the store — is read once per
// scrape from a keyservice.MetricsSnapshot and rendered as constant
// metrics.
package metrics

import (
	"bytes"
	"fmt"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/common/expfmt"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// namespace prefixes every metric's name.
const namespace = "apikeyd"

// Options configure a Registry.
type Options struct {
	// Runtime adds the Go runtime's and the process's metrics (go_*,
	// process_*): the daemon's, not those of a one-off command.
	Runtime bool
}

// Registry holds apikeyd's metrics.
type Registry struct {
	reg      *prometheus.Registry
	auths    *prometheus.CounterVec
	requests *prometheus.HistogramVec
	// authCounters are the authentication counters of every known
	// scheme and outcome, resolved once: counting one is a map read and
	// an atomic add.
	authCounters map[authLabels]prometheus.Counter
}

type authLabels struct{ scheme, outcome string }

// authSchemes and authOutcomes are the labels keyservice reports, each
// series exported from the start (at 0), as Prometheus advises.
var (
	authSchemes  = []string{"basic", "apikey", "bearer"}
	authOutcomes = []string{
		keyservice.AuthSuccess, keyservice.AuthInvalidCredentials, keyservice.AuthUnknownKey,
		keyservice.AuthWrongSecret, keyservice.AuthInvalidated, keyservice.AuthExpired,
		keyservice.AuthWrongType, keyservice.AuthNetwork, keyservice.AuthUnknownToken, keyservice.AuthThrottled, keyservice.AuthError,
	}
)

// requestBuckets are the bounds of the request latency histogram, in
// seconds: from a cached authentication (well under a millisecond) to a
// bcrypt or a request that waits for its timeout.
var requestBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

var (
	_ keyservice.Recorder = (*Registry)(nil)
)

// New returns a Registry with every metric defined.
func New(opts Options) *Registry {
	r := &Registry{
		reg: prometheus.NewRegistry(),
		auths: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "authentications_total",
			Help: "Authentications of a credential, by scheme (basic, apikey, bearer) and outcome (success, or the class of the failure).",
		}, []string{"scheme", "outcome"}),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by method, route (the route's pattern, not the path) and status code.",
			Buckets: requestBuckets,
		}, []string{"method", "route", "code"}),
		authCounters: map[authLabels]prometheus.Counter{},
	}
	r.reg.MustRegister(r.auths, r.requests)
	for _, s := range authSchemes {
		for _, o := range authOutcomes {
			r.authCounters[authLabels{s, o}] = r.auths.WithLabelValues(s, o)
		}
	}
	if opts.Runtime {
		r.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	return r
}

// Authentication counts one authentication (keyservice.Recorder).
func (r *Registry) Authentication(scheme, outcome string) {
	if c, ok := r.authCounters[authLabels{scheme, outcome}]; ok {
		c.Inc()
		return
	}
	r.auths.WithLabelValues(scheme, outcome).Inc()
}

// ObserveRequest records the time one HTTP request took to answer
// (esapi.RequestObserver); route is the pattern of the route that served
// it, so that the series are bounded by the route table.
func (r *Registry) ObserveRequest(method, route string, code int, d time.Duration) {
	r.requests.WithLabelValues(method, route, strconv.Itoa(code)).Observe(d.Seconds())
}

// Expose renders the counters and snap in the Prometheus text format
// (keyservice.Recorder).
func (r *Registry) Expose(snap *keyservice.MetricsSnapshot) (*api.Metrics, error) {
	state := prometheus.NewRegistry()
	if err := state.Register(snapshotCollector{snap}); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	families, err := prometheus.Gatherers{r.reg, state}.Gather()
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	var b bytes.Buffer
	enc := expfmt.NewEncoder(&b, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, f := range families {
		if err := enc.Encode(f); err != nil {
			return nil, fmt.Errorf("metrics: encode %s: %w", f.GetName(), err)
		}
	}
	return &api.Metrics{ContentType: api.MetricsContentType, Text: b.Bytes()}, nil
}

// The descriptions of the metrics read from a snapshot.
var (
	keysDesc = prometheus.NewDesc(namespace+"_api_keys", "API keys by type and state (active, expired, invalidated; expiring: active keys that expire within 7 days, also counted as active).",
		[]string{"type", "state"}, nil)
	cacheHitsDesc      = prometheus.NewDesc(namespace+"_cache_hits_total", "Lookups answered by a cache of the authentication path.", []string{"cache"}, nil)
	cacheMissesDesc    = prometheus.NewDesc(namespace+"_cache_misses_total", "Lookups a cache of the authentication path could not answer.", []string{"cache"}, nil)
	cacheEvictionsDesc = prometheus.NewDesc(namespace+"_cache_evictions_total", "Entries put out of a full cache to make room.", []string{"cache"}, nil)
	cacheEntriesDesc   = prometheus.NewDesc(namespace+"_cache_entries", "Entries a cache holds.", []string{"cache"}, nil)
	throttleEnabled    = prometheus.NewDesc(namespace+"_auth_throttle_enabled", "1 when failed authentications are braked per client and principal (--failed-auth-limit).", nil, nil)
	throttleTracked    = prometheus.NewDesc(namespace+"_auth_throttle_tracked", "Client addresses and principals with failed authentications remembered by the brake.", nil, nil)
	storeInfoDesc      = prometheus.NewDesc(namespace+"_store_info", "The store's backend.", []string{"backend"}, nil)
	storeSizeDesc      = prometheus.NewDesc(namespace+"_store_size_bytes", "Size of the database on disk (SQLite: the file and its write-ahead log).", nil, nil)
	storeCommitsDesc   = prometheus.NewDesc(namespace+"_store_commits_total", "Write transactions committed.", nil, nil)
	storeBatchDesc     = prometheus.NewDesc(namespace+"_store_commit_batch_size", "Writes committed together by one commit (group commit).", nil, nil)
	storeQueueDesc     = prometheus.NewDesc(namespace+"_store_write_queue_depth", "Writes waiting for the committer.", nil, nil)
	storeQueueCapDesc  = prometheus.NewDesc(namespace+"_store_write_queue_capacity", "Writes that may wait for the committer before a write blocks.", nil, nil)
)

// snapshotCollector renders a snapshot as constant metrics.
type snapshotCollector struct{ snap *keyservice.MetricsSnapshot }

// Describe sends nothing: the collector is unchecked, its series are
// whatever the snapshot holds.
func (snapshotCollector) Describe(chan<- *prometheus.Desc) {}

// Collect sends the snapshot's metrics.
func (c snapshotCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.snap
	for _, k := range s.Keys {
		ch <- prometheus.MustNewConstMetric(keysDesc, prometheus.GaugeValue, float64(k.Count), k.Type, k.State)
	}
	for _, cs := range s.Caches {
		ch <- prometheus.MustNewConstMetric(cacheHitsDesc, prometheus.CounterValue, float64(cs.Hits), cs.Name)
		ch <- prometheus.MustNewConstMetric(cacheMissesDesc, prometheus.CounterValue, float64(cs.Misses), cs.Name)
		ch <- prometheus.MustNewConstMetric(cacheEvictionsDesc, prometheus.CounterValue, float64(cs.Evictions), cs.Name)
		ch <- prometheus.MustNewConstMetric(cacheEntriesDesc, prometheus.GaugeValue, float64(cs.Entries), cs.Name)
	}
	ch <- prometheus.MustNewConstMetric(throttleEnabled, prometheus.GaugeValue, boolValue(s.Throttle.Enabled))
	ch <- prometheus.MustNewConstMetric(throttleTracked, prometheus.GaugeValue, float64(s.Throttle.Tracked))
	if st := s.Store; st != nil {
		collectStore(ch, st)
	}
}

// collectStore sends a store's stats.
func collectStore(ch chan<- prometheus.Metric, st *store.Stats) {
	ch <- prometheus.MustNewConstMetric(storeInfoDesc, prometheus.GaugeValue, 1, st.Backend)
	if st.SizeBytes >= 0 {
		ch <- prometheus.MustNewConstMetric(storeSizeDesc, prometheus.GaugeValue, float64(st.SizeBytes))
	}
	ch <- prometheus.MustNewConstMetric(storeCommitsDesc, prometheus.CounterValue, float64(st.Commits))
	if len(st.BatchSizes) == len(store.BatchSizeBounds) {
		buckets := make(map[float64]uint64, len(st.BatchSizes))
		for i, n := range st.BatchSizes {
			buckets[store.BatchSizeBounds[i]] = n
		}
		ch <- prometheus.MustNewConstHistogram(storeBatchDesc, st.Commits, float64(st.CommittedWrites), buckets)
	}
	if st.QueueCapacity > 0 {
		ch <- prometheus.MustNewConstMetric(storeQueueDesc, prometheus.GaugeValue, float64(st.QueueDepth))
		ch <- prometheus.MustNewConstMetric(storeQueueCapDesc, prometheus.GaugeValue, float64(st.QueueCapacity))
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
