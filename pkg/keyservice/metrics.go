package keyservice

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/query"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// This file is what the service gives apikeyd's metrics
// (GET /_apikeyd/metrics): the outcome of every authentication, counted
// as it happens through a Recorder (package metrics implements it), and,
// at each scrape, a snapshot of what is counted elsewhere — the keys by
// type and state (grouped counts in the store), the caches' and the
// brake's counters (atomic), the store's own stats. Nothing here takes a
// lock on the authentication path.

// Recorder receives what the service counts for the metrics, and renders
// them. Options.Recorder is nil-safe: without one (apikeyctl --db)
// nothing is counted and Metrics answers that no metrics are collected.
type Recorder interface {
	// Authentication counts one authentication of a credential by its
	// scheme (AuthScheme) and outcome (AuthSuccess or a failure class).
	// It is called on the hot path and must not block.
	Authentication(scheme, outcome string)
	// Expose renders the counters and the snapshot in the Prometheus
	// text format.
	Expose(snap *MetricsSnapshot) (*api.Metrics, error)
}

// The outcomes of an authentication, as the metrics label them: success,
// or the class of the failure.
const (
	AuthSuccess = "success"
	// AuthInvalidCredentials is a user or a password that does not
	// authenticate (Elasticsearch tells them apart to nobody), or a
	// credential apikeyd cannot class more finely.
	AuthInvalidCredentials = "invalid_credentials"
	// AuthUnknownKey is an API key id that matches no key.
	AuthUnknownKey = "unknown_key"
	// AuthWrongSecret is an API key secret that does not match its key.
	AuthWrongSecret = "wrong_secret"
	// AuthInvalidated and AuthExpired are a key or token that was
	// invalidated, or has expired.
	AuthInvalidated = "invalidated"
	AuthExpired     = "expired"
	// AuthWrongType is a cross-cluster key presented to the REST API.
	AuthWrongType = "wrong_type"
	// AuthUnknownToken is a bearer token that matches no token (or
	// whose owner is gone).
	AuthUnknownToken = "unknown_token"
	// AuthNetwork is an API key used from outside the networks it is
	// bound to.
	AuthNetwork = "network"
	// AuthThrottled is an attempt refused by the brake on failures
	// (FailureLimit).
	AuthThrottled = "throttled"
	// AuthError is an authentication that failed for want of the
	// store, not for the credential.
	AuthError = "error"
)

// AuthScheme is the metrics label of a credential's scheme.
func AuthScheme(s auth.Scheme) string {
	switch s {
	case auth.SchemeBasic:
		return "basic"
	case auth.SchemeAPIKey:
		return "apikey"
	case auth.SchemeBearer:
		return "bearer"
	}
	return "none"
}

// refuse is the refusal of a credential with err, of class for the
// metrics (see refusal).
func refuse(class string, err *api.Error) error { return &refusal{answer: err, class: class} }

// countAuthentication counts the outcome of an authentication of cred:
// success, or class for a refusal (the brake's 429 is AuthThrottled, a
// failure that is not the credential's AuthError). A success costs an
// atomic add and no allocation.
func (s *Service) countAuthentication(cred auth.Credential, class string, err error) {
	if s.recorder == nil {
		return
	}
	if err != nil {
		switch api.ErrorCode(err) {
		case api.TooManyRequests:
			class = AuthThrottled
		case api.Unauthenticated:
		default:
			class = AuthError
		}
	} else {
		class = AuthSuccess
	}
	s.recorder.Authentication(AuthScheme(cred.Scheme), class)
}

// The states of a key, as the metrics count them. Expiring keys are
// active keys that expire within ExpiringWithin: counted in both.
const (
	KeyActive      = "active"
	KeyExpired     = "expired"
	KeyInvalidated = "invalidated"
	KeyExpiring    = "expiring"
)

// ExpiringWithin is how soon an active key's expiration makes it count
// as expiring.
const ExpiringWithin = 7 * 24 * time.Hour

// KeyCount is the number of keys of one type in one state.
type KeyCount struct {
	Type, State string
	Count       int64
}

// CacheStats are the counters of one cache of the authentication path.
type CacheStats struct {
	// Name is the cache: api_key (key records), api_key_missing
	// (unknown ids), user (the realm cache), secret (verified slow
	// hashes), role_descriptors (decoded descriptors).
	Name string
	// Hits and Misses count the lookups; Evictions the entries dropped
	// to make room; Entries is the number held now.
	Hits, Misses, Evictions uint64
	Entries                 int
}

// ThrottleStats are the brake's (FailureLimit) counters.
type ThrottleStats struct {
	// Enabled is whether the brake is on.
	Enabled bool
	// Tracked is the number of client addresses and principals with
	// failures remembered now.
	Tracked int64
}

// MetricsSnapshot is what a scrape reads besides the counters.
type MetricsSnapshot struct {
	// Keys counts the keys by type and state, every state of the types
	// rest and cross_cluster included (with 0 when there are none).
	Keys     []KeyCount
	Caches   []CacheStats
	Throttle ThrottleStats
	// Store is the store's own stats; nil when it reports none.
	Store *store.Stats
}

// Metrics answers GET /_apikeyd/metrics: the service's metrics in the
// Prometheus text format. It needs the monitor cluster privilege (or
// manage, or all), as Elasticsearch's own monitoring APIs do; with
// Options.MetricsLoopback a request that carries no credential is served
// when it came over the Unix socket or from a loopback address.
func (s *Service) Metrics(ctx context.Context) (*api.Metrics, error) {
	if !s.loopbackScrape(ctx) {
		sub, err := s.subject(ctx)
		if err != nil {
			return nil, err
		}
		if _, err := s.require(ctx, sub, auth.ActionMetrics, auth.Granted); err != nil {
			return nil, err
		}
	}
	if s.recorder == nil {
		return nil, api.Errorf(api.Unavailable, "metrics are not collected here: they are apikeyd's, served at GET /_apikeyd/metrics (apikeyctl metrics against the daemon)")
	}
	snap, err := s.MetricsSnapshot(ctx)
	if err != nil {
		return nil, err
	}
	return s.recorder.Expose(snap)
}

// loopbackScrape reports whether ctx is a call without credentials that
// Options.MetricsLoopback serves: one that came over the Unix socket or
// from a loopback TCP address.
func (s *Service) loopbackScrape(ctx context.Context) bool {
	if !s.metricsLoopback {
		return false
	}
	if _, ok := auth.SubjectFrom(ctx); ok {
		return false
	}
	o, ok := auth.OriginFrom(ctx)
	return ok && o.Loopback()
}

// MetricsSnapshot reads the keys by type and state, in one grouped count
// per state, and the counters of the caches, the brake and the store.
func (s *Service) MetricsSnapshot(ctx context.Context) (*MetricsSnapshot, error) {
	snap := &MetricsSnapshot{Caches: s.cacheStats(), Throttle: s.throttle.stats()}
	now := s.nowMillis()
	soon := now + ExpiringWithin.Milliseconds()
	notInvalidated := &query.Term{Field: query.F(query.FieldInvalidated), Values: []any{int64(0)}}
	expiration := query.F(query.FieldExpiration)
	states := []struct {
		name string
		q    query.Query
	}{
		{KeyActive, &query.Bool{Filter: []query.Query{notInvalidated}, MinShould: 1, Should: []query.Query{
			&query.Range{Field: expiration, From: now},
			&query.Bool{MustNot: []query.Query{&query.Exists{Field: expiration}}},
		}}},
		{KeyExpiring, &query.Bool{Filter: []query.Query{notInvalidated,
			&query.Range{Field: expiration, From: now, To: soon, IncludeTo: true}}}},
		{KeyExpired, &query.Bool{Filter: []query.Query{notInvalidated,
			&query.Range{Field: expiration, To: now, IncludeTo: true}}}},
		{KeyInvalidated, &query.Term{Field: query.F(query.FieldInvalidated), Values: []any{int64(1)}}},
	}
	typeField := query.F(query.FieldType)
	err := s.store.View(ctx, func(r store.Reader) error {
		snap.Keys = snap.Keys[:0]
		for _, st := range states {
			page, err := r.QueryAPIKeys(ctx, &store.KeySearch{Search: query.Search{Query: st.q}, Groups: []query.Field{typeField}})
			if err != nil {
				return err
			}
			counts := map[string]int64{api.TypeRest: 0, api.TypeCrossCluster: 0}
			if len(page.Groups) == 1 {
				for _, g := range page.Groups[0].Values {
					if t, ok := g.Value.(string); ok {
						counts[t] += g.Count
					}
				}
			}
			for _, t := range slices.Sorted(maps.Keys(counts)) {
				snap.Keys = append(snap.Keys, KeyCount{Type: t, State: st.name, Count: counts[t]})
			}
		}
		return nil
	})
	if err != nil {
		return nil, s.internal("count api keys", err)
	}
	if rep, ok := s.store.(store.StatsReporter); ok {
		if snap.Store, err = rep.StoreStats(ctx); err != nil {
			return nil, s.internal("read the store's stats", err)
		}
	}
	return snap, nil
}

// cacheStats reads the counters of the caches of the authentication path.
func (s *Service) cacheStats() []CacheStats {
	return []CacheStats{
		s.caches.keys.stats("api_key"),
		s.caches.missing.stats("api_key_missing"),
		s.caches.users.stats("user"),
		s.secrets.entries.stats("secret"),
		s.caches.decoded.stats("role_descriptors"),
	}
}
