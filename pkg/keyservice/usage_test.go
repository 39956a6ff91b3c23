package keyservice_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
	"github.com/apikeyctl/apikeyctl/pkg/store"
	"github.com/apikeyctl/apikeyctl/pkg/store/sqlite"
)

// usageStore counts the usage reports written through it.
type usageStore struct {
	store.Store
	mu      sync.Mutex
	writes  int // transactions that recorded usage
	reports int // rows reported
}

func (s *usageStore) Update(ctx context.Context, fn func(store.Writer) error) error {
	return s.Store.Update(ctx, func(w store.Writer) error { return fn(&usageWriter{Writer: w, s: s}) })
}

type usageWriter struct {
	store.Writer
	s *usageStore
}

func (w *usageWriter) RecordKeyUsage(ctx context.Context, usage []store.KeyUsage) error {
	w.s.mu.Lock()
	w.s.writes++
	w.s.reports += len(usage)
	w.s.mu.Unlock()
	return w.Writer.RecordKeyUsage(ctx, usage)
}

func (s *usageStore) counts() (writes, reports int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes, s.reports
}

// usageFixture is a service recording usage (when record is set) over a
// store that counts the usage it writes.
type usageFixture struct {
	t     *testing.T
	svc   *keyservice.Service
	st    *usageStore
	clock *clock
	root  context.Context
}

func newUsageFixture(t *testing.T, record bool) *usageFixture {
	t.Helper()
	db, err := sqlite.Open(context.Background(), t.TempDir()+"/keys.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st := &usageStore{Store: db}
	c := &clock{t: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	svc, err := keyservice.New(st, keyservice.Options{Now: c.now, RecordUsage: record})
	if err != nil {
		t.Fatal(err)
	}
	return &usageFixture{t: t, svc: svc, st: st, clock: c, root: auth.WithSubject(context.Background(), auth.OSSubject("root"))}
}

func (fx *usageFixture) create(name string) *api.CreateAPIKeyResponse {
	fx.t.Helper()
	resp, err := fx.svc.CreateAPIKey(fx.root, &api.CreateAPIKeyRequest{Name: &name})
	if err != nil {
		fx.t.Fatal(err)
	}
	return resp
}

// use authenticates with the key from the client address addr.
func (fx *usageFixture) use(k *api.CreateAPIKeyResponse, addr string) error {
	ctx := auth.WithOrigin(context.Background(), auth.Origin{Type: auth.OriginREST, Address: addr})
	_, err := fx.svc.AuthenticateCredential(ctx, auth.Credential{Scheme: auth.SchemeAPIKey, KeyID: k.ID, KeySecret: k.APIKey})
	return err
}

// usage returns the keys' usage as Get with_last_used answers it, by id.
func (fx *usageFixture) usage() map[string]api.APIKey {
	fx.t.Helper()
	resp, err := fx.svc.GetAPIKeys(fx.root, &api.GetAPIKeysRequest{WithLastUsed: true})
	if err != nil {
		fx.t.Fatal(err)
	}
	out := map[string]api.APIKey{}
	for _, k := range resp.APIKeys {
		out[k.ID] = k
	}
	return out
}

func (fx *usageFixture) flush() {
	fx.t.Helper()
	if err := fx.svc.FlushUsage(context.Background()); err != nil {
		fx.t.Fatal(err)
	}
}

// wantUsage checks a key's usage fields.
func wantUsage(t *testing.T, k api.APIKey, count int64, last time.Time, from string) {
	t.Helper()
	if k.UsageCount == nil || *k.UsageCount != count {
		t.Errorf("key %s: usage_count = %v, want %d", k.Name, k.UsageCount, count)
	}
	switch {
	case last.IsZero() && k.LastUsed != nil:
		t.Errorf("key %s: last_used = %d, want none", k.Name, *k.LastUsed)
	case !last.IsZero() && (k.LastUsed == nil || *k.LastUsed != last.UnixMilli()):
		t.Errorf("key %s: last_used = %v, want %d", k.Name, k.LastUsed, last.UnixMilli())
	}
	if k.LastUsedFrom != from {
		t.Errorf("key %s: last_used_from = %q, want %q", k.Name, k.LastUsedFrom, from)
	}
}

func TestUsageCoalesced(t *testing.T) {
	fx := newUsageFixture(t, true)
	a, b, unused := fx.create("a"), fx.create("b"), fx.create("unused")
	start := fx.clock.t
	for range 5 {
		if err := fx.use(a, "10.0.0.5:41000"); err != nil {
			t.Fatal(err)
		}
	}
	fx.clock.t = start.Add(time.Minute)
	if err := fx.use(b, "unix:uid=1000"); err != nil {
		t.Fatal(err)
	}
	if err := fx.use(b, "[2001:db8::1]:443"); err != nil {
		t.Fatal(err)
	}
	// A failed authentication is no use.
	bad := *a
	bad.APIKey = "wrong-secret-wrong-sec"
	if err := fx.use(&bad, "10.0.0.6:1"); err == nil {
		t.Fatal("a wrong secret authenticated")
	}
	if w, _ := fx.st.counts(); w != 0 {
		t.Fatalf("authentication wrote usage %d times before any flush", w)
	}
	// Not flushed yet, and already shown.
	got := fx.usage()
	wantUsage(t, got[a.ID], 5, start, "10.0.0.5")
	wantUsage(t, got[b.ID], 2, start.Add(time.Minute), "2001:db8::1")
	wantUsage(t, got[unused.ID], 0, time.Time{}, "")

	fx.flush()
	if w, r := fx.st.counts(); w != 1 || r != 2 {
		t.Fatalf("after a flush: %d writes of %d rows, want 1 write of 2 (one per key used)", w, r)
	}
	got = fx.usage()
	wantUsage(t, got[a.ID], 5, start, "10.0.0.5")
	wantUsage(t, got[b.ID], 2, start.Add(time.Minute), "2001:db8::1")

	// Nothing new: no write.
	fx.flush()
	if w, _ := fx.st.counts(); w != 1 {
		t.Fatalf("a flush with nothing noted wrote (%d writes)", w)
	}
	// A later use adds to what was written.
	fx.clock.t = start.Add(time.Hour)
	if err := fx.use(a, "10.0.0.7:1"); err != nil {
		t.Fatal(err)
	}
	wantUsage(t, fx.usage()[a.ID], 6, start.Add(time.Hour), "10.0.0.7")
	fx.flush()
	wantUsage(t, fx.usage()[a.ID], 6, start.Add(time.Hour), "10.0.0.7")
	if w, r := fx.st.counts(); w != 2 || r != 3 {
		t.Errorf("after two flushes: %d writes of %d rows, want 2 of 3", w, r)
	}
}

func TestUsageFieldsOnlyWhenAsked(t *testing.T) {
	fx := newUsageFixture(t, true)
	k := fx.create("k")
	if err := fx.use(k, "10.0.0.5:1"); err != nil {
		t.Fatal(err)
	}
	fx.flush()
	get, err := fx.svc.GetAPIKeys(fx.root, &api.GetAPIKeysRequest{})
	if err != nil {
		t.Fatal(err)
	}
	q, err := fx.svc.QueryAPIKeys(fx.root, &api.QueryAPIKeysRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range []api.APIKey{get.APIKeys[0], q.APIKeys[0]} {
		if got.LastUsed != nil || got.LastUsedFrom != "" || got.UsageCount != nil {
			t.Errorf("usage fields without with_last_used: %+v", got)
		}
	}
	q, err = fx.svc.QueryAPIKeys(fx.root, &api.QueryAPIKeysRequest{WithLastUsed: true})
	if err != nil {
		t.Fatal(err)
	}
	wantUsage(t, q.APIKeys[0], 1, fx.clock.t, "10.0.0.5")
}

func TestUsageDisabled(t *testing.T) {
	fx := newUsageFixture(t, false)
	k := fx.create("k")
	if err := fx.use(k, "10.0.0.5:1"); err != nil {
		t.Fatal(err)
	}
	fx.flush()
	if w, _ := fx.st.counts(); w != 0 {
		t.Errorf("usage written while not recorded (%d writes)", w)
	}
	wantUsage(t, fx.usage()[k.ID], 0, time.Time{}, "")
}

// A search on last_used counts the uses not yet flushed.
func TestUsageSearchOnLastUsed(t *testing.T) {
	fx := newUsageFixture(t, true)
	used, _ := fx.create("used"), fx.create("never")
	if err := fx.use(used, "10.0.0.5:1"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, body string
		want       []string
	}{
		{"exists", `{"query":{"exists":{"field":"last_used"}}}`, []string{"used"}},
		{"range", `{"query":{"range":{"last_used":{"gte":"now-1h"}}}}`, []string{"used"}},
		{"never used", `{"query":{"bool":{"must_not":{"exists":{"field":"last_used"}}}}}`, []string{"never"}},
		{"sort", `{"sort":[{"last_used":{"order":"desc"}}]}`, []string{"used", "never"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := fx.svc.QueryAPIKeys(fx.root, &api.QueryAPIKeysRequest{Body: []byte(tc.body)})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, k := range resp.APIKeys {
				names = append(names, k.Name)
			}
			if fmt.Sprint(names) != fmt.Sprint(tc.want) {
				t.Errorf("keys = %v, want %v", names, tc.want)
			}
		})
	}
}

// Concurrent authentications and flushes lose no use (run with -race).
func TestUsageConcurrent(t *testing.T) {
	fx := newUsageFixture(t, true)
	keys := []*api.CreateAPIKeyResponse{fx.create("k0"), fx.create("k1"), fx.create("k2")}
	const workers, uses = 4, 50
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range uses {
				if err := fx.use(keys[(w+i)%len(keys)], fmt.Sprintf("10.0.0.%d:1", w)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 10 {
			if err := fx.svc.FlushUsage(context.Background()); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	wg.Wait()
	fx.flush()
	var total int64
	for _, k := range fx.usage() {
		total += *k.UsageCount
	}
	if total != workers*uses {
		t.Errorf("recorded %d uses, want %d", total, workers*uses)
	}
}

// failingStore fails every Update while fail is set.
type failingStore struct {
	store.Store
	fail bool
}

var errWriteFailed = errors.New("disk on fire")

func (s *failingStore) Update(ctx context.Context, fn func(store.Writer) error) error {
	if s.fail {
		return errWriteFailed
	}
	return s.Store.Update(ctx, fn)
}

// A flush that cannot write keeps what it took, merged with what comes
// after, for the next flush.
func TestUsageFlushFailureKeepsUses(t *testing.T) {
	fx := newUsageFixture(t, true)
	k := fx.create("k")
	failing := &failingStore{Store: fx.st}
	svc, err := keyservice.New(failing, keyservice.Options{Now: fx.clock.now, RecordUsage: true})
	if err != nil {
		t.Fatal(err)
	}
	fx.svc = svc
	start := fx.clock.t
	if err := fx.use(k, "10.0.0.1:1"); err != nil {
		t.Fatal(err)
	}
	failing.fail = true
	if err := svc.FlushUsage(context.Background()); !errors.Is(err, errWriteFailed) {
		t.Fatalf("FlushUsage = %v, want the store's error", err)
	}
	fx.clock.t = start.Add(time.Minute)
	if err := fx.use(k, "10.0.0.2:1"); err != nil {
		t.Fatal(err)
	}
	wantUsage(t, fx.usage()[k.ID], 2, start.Add(time.Minute), "10.0.0.2")
	failing.fail = false
	fx.flush()
	wantUsage(t, fx.usage()[k.ID], 2, start.Add(time.Minute), "10.0.0.2")
	if w, r := fx.st.counts(); w != 1 || r != 1 {
		t.Errorf("%d writes of %d rows, want the one that succeeded, of one row", w, r)
	}
}
