package keyservice_test

import (
	"context"
	"maps"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
)

// countingRecorder counts authentications by "scheme/outcome" and keeps
// the last snapshot exposed.
type countingRecorder struct {
	mu     sync.Mutex
	counts map[string]int
	snap   *keyservice.MetricsSnapshot
}

func (r *countingRecorder) Authentication(scheme, outcome string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.counts[scheme+"/"+outcome]++
}

func (r *countingRecorder) Expose(snap *keyservice.MetricsSnapshot) (*api.Metrics, error) {
	r.snap = snap
	return &api.Metrics{ContentType: api.MetricsContentType, Text: []byte("up 1\n")}, nil
}

// take returns the counts so far and starts again.
func (r *countingRecorder) take() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.counts
	r.counts = map[string]int{}
	return c
}

func withRecorder(rec *countingRecorder) func(*keyservice.Options) {
	rec.counts = map[string]int{}
	return func(o *keyservice.Options) { o.Recorder = rec }
}

// TestAuthenticationOutcomes: every authentication is counted once, by
// its scheme and the class of its outcome, and the error the caller gets
// is Elasticsearch's as before.
func TestAuthenticationOutcomes(t *testing.T) {
	rec := &countingRecorder{}
	fx := newFixture(t, withRecorder(rec))
	withTokenUsers(t, fx)
	owner := fx.as("owner")
	live := fx.create(owner, "live")
	soon := fx.create(owner, "soon", func(r *api.CreateAPIKeyRequest) { r.Expiration = ptr("1h") })
	gone := fx.create(owner, "gone")
	if _, err := fx.svc.InvalidateAPIKeys(owner, &api.InvalidateAPIKeysRequest{IDs: []string{gone.ID}, Owner: true}); err != nil {
		t.Fatal(err)
	}
	bound := fx.createBound(owner, "bound", "10.0.0.0/8")
	cc, err := fx.svc.CreateCrossClusterAPIKey(fx.as("secadmin"), &api.CreateCrossClusterAPIKeyRequest{Name: ptr("cc"),
		Access: &api.CrossClusterAccess{Search: []api.SearchAccess{{Names: []string{"logs*"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	tok := fx.token(fx.as("tokener"), grant(api.GrantTypeClientCredentials))
	rec.take()

	basic := func(user, pw string) func() error {
		return func() error {
			_, err := fx.svc.AuthenticateCredential(context.Background(), auth.Credential{Scheme: auth.SchemeBasic, Username: user, Password: pw})
			return err
		}
	}
	key := func(id, secret string) func() error {
		return func() error {
			_, err := fx.svc.AuthenticateCredential(context.Background(), auth.Credential{Scheme: auth.SchemeAPIKey, KeyID: id, KeySecret: secret})
			return err
		}
	}
	bearer := func(token string) func() error {
		return func() error { _, err := fx.bearer(token); return err }
	}
	for _, tt := range []struct {
		name    string
		advance time.Duration
		call    func() error
		status  int
		want    string
	}{
		{"user", 0, basic("owner", "password-owner"), 200, "basic/success"},
		{"wrong password", 0, basic("owner", "nope-nope"), 401, "basic/invalid_credentials"},
		{"unknown user", 0, basic("ghost", "nope-nope"), 401, "basic/invalid_credentials"},
		{"key", 0, key(live.ID, live.APIKey), 200, "apikey/success"},
		{"wrong secret", 0, key(live.ID, "wrong-secret-wrong-secret"), 401, "apikey/wrong_secret"},
		{"unknown key", 0, key("AAAAAAAAAAAAAAAAAAAA", live.APIKey), 401, "apikey/unknown_key"},
		{"invalidated key", 0, key(gone.ID, gone.APIKey), 401, "apikey/invalidated"},
		{"cross-cluster key", 0, key(cc.ID, cc.APIKey), 401, "apikey/wrong_type"},
		{"key outside its networks", 0, key(bound.ID, bound.APIKey), 401, "apikey/network"},
		{"token", 0, bearer(tok.AccessToken), 200, "bearer/success"},
		{"unknown token", 0, bearer("no-such-token"), 401, "bearer/unknown_token"},
		{"expired key", 2 * time.Hour, key(soon.ID, soon.APIKey), 401, "apikey/expired"},
		{"expired token", 0, bearer(tok.AccessToken), 401, "bearer/expired"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fx.clock.t = fx.clock.t.Add(tt.advance)
			err := tt.call()
			if status := statusOf(err); status != tt.status {
				t.Fatalf("status %d (%v), want %d", status, err, tt.status)
			}
			if _, ok := api.AsError(err); err != nil && !ok {
				t.Fatalf("error %T is not an api.Error", err)
			}
			if got := rec.take(); !maps.Equal(got, map[string]int{tt.want: 1}) {
				t.Fatalf("counted %v, want %s once", got, tt.want)
			}
		})
	}
}

func statusOf(err error) int {
	if err == nil {
		return 200
	}
	if e, ok := api.AsError(err); ok {
		return e.Code.Status()
	}
	return 500
}

// TestAuthenticationThrottledCounted: an attempt the brake refuses is
// counted as throttled.
func TestAuthenticationThrottledCounted(t *testing.T) {
	rec := &countingRecorder{}
	fx := newFixture(t, withRecorder(rec), func(o *keyservice.Options) {
		o.FailureLimit = keyservice.FailureLimit{Limit: 1, Window: time.Hour}
	})
	rec.take()
	cred := auth.Credential{Scheme: auth.SchemeBasic, Username: "owner", Password: "nope-nope"}
	for range 2 {
		_, _ = fx.svc.AuthenticateCredential(context.Background(), cred)
	}
	if got := rec.take(); !maps.Equal(got, map[string]int{"basic/invalid_credentials": 1, "basic/throttled": 1}) {
		t.Fatalf("counted %v", got)
	}
	rec.snap = nil
	if _, err := fx.svc.Metrics(fx.root); err != nil {
		t.Fatal(err)
	}
	if th := rec.snap.Throttle; !th.Enabled || th.Tracked == 0 {
		t.Fatalf("throttle stats %+v", th)
	}
}

// TestMetricsSnapshot counts keys in every state with a grouped count per
// state, and reads the caches and the store.
func TestMetricsSnapshot(t *testing.T) {
	rec := &countingRecorder{}
	fx := newFixture(t, withRecorder(rec))
	owner := fx.as("owner")
	fx.create(owner, "forever")
	fx.create(owner, "three-days", func(r *api.CreateAPIKeyRequest) { r.Expiration = ptr("3d") })
	fx.create(owner, "thirty-days", func(r *api.CreateAPIKeyRequest) { r.Expiration = ptr("30d") })
	fx.create(owner, "one-hour", func(r *api.CreateAPIKeyRequest) { r.Expiration = ptr("1h") })
	gone := fx.create(owner, "gone")
	if _, err := fx.svc.InvalidateAPIKeys(owner, &api.InvalidateAPIKeysRequest{IDs: []string{gone.ID}, Owner: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.CreateCrossClusterAPIKey(fx.as("secadmin"), &api.CreateCrossClusterAPIKeyRequest{Name: ptr("cc"),
		Access: &api.CrossClusterAccess{Search: []api.SearchAccess{{Names: []string{"logs*"}}}}}); err != nil {
		t.Fatal(err)
	}
	fx.clock.t = fx.clock.t.Add(2 * time.Hour)

	snap, err := fx.svc.MetricsSnapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, k := range snap.Keys {
		got[k.Type+"/"+k.State] = k.Count
	}
	want := map[string]int64{
		"rest/active": 3, "rest/expiring": 1, "rest/expired": 1, "rest/invalidated": 1,
		"cross_cluster/active": 1, "cross_cluster/expiring": 0, "cross_cluster/expired": 0, "cross_cluster/invalidated": 0,
	}
	if !maps.Equal(got, want) {
		t.Fatalf("keys %v,\nwant %v", got, want)
	}
	names := map[string]bool{}
	for _, c := range snap.Caches {
		names[c.Name] = true
	}
	for _, n := range []string{"api_key", "api_key_missing", "user", "secret", "role_descriptors"} {
		if !names[n] {
			t.Errorf("no stats of the cache %s", n)
		}
	}
	if snap.Store == nil || snap.Store.Backend != "sqlite" || snap.Store.Commits == 0 {
		t.Errorf("store stats %+v", snap.Store)
	}
}

// TestMetricsAuthorization: monitor reads the metrics, a caller without
// it gets the 403; without a recorder there are none; MetricsLoopback
// serves a call without a subject from the socket or a loopback address
// only.
func TestMetricsAuthorization(t *testing.T) {
	rec := &countingRecorder{}
	fx := newFixture(t, withRecorder(rec), func(o *keyservice.Options) { o.MetricsLoopback = true })
	if _, err := fx.svc.Metrics(fx.as("nobody")); err != nil {
		t.Fatalf("monitor: %v", err)
	}
	_, err := fx.svc.Metrics(fx.as("owner"))
	wantErr(t, err, 403, "security_exception", "action [cluster:monitor/apikeyd/metrics] is unauthorized for user [owner]")

	for _, tt := range []struct {
		name   string
		origin auth.Origin
		status int
	}{
		{"unix socket", auth.UnixPeerOrigin(1234), 200},
		{"loopback", auth.Origin{Type: auth.OriginREST, Address: "127.0.0.1:5555"}, 200},
		{"remote", auth.Origin{Type: auth.OriginREST, Address: "10.1.2.3:5555"}, 401},
		{"remote behind a local trusted proxy", auth.Origin{Type: auth.OriginREST, Address: "127.0.0.1:5555", Client: netip.MustParseAddr("203.0.113.5")}, 401},
		{"loopback behind a local trusted proxy", auth.Origin{Type: auth.OriginREST, Address: "127.0.0.1:5555", Client: netip.MustParseAddr("127.0.0.1")}, 200},
		{"in process", auth.LocalOrigin(1234), 401},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := fx.svc.Metrics(auth.WithOrigin(context.Background(), tt.origin))
			if status := statusOf(err); status != tt.status {
				t.Fatalf("status %d (%v), want %d", status, err, tt.status)
			}
		})
	}

	bare := newFixture(t)
	_, err = bare.svc.Metrics(bare.root)
	wantErr(t, err, 503, "cluster_block_exception", "metrics are not collected here")
}
