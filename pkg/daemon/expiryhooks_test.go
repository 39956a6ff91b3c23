package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
	"github.com/apikeyctl/apikeyctl/pkg/store"
	"github.com/apikeyctl/apikeyctl/pkg/store/sqlite"
)

// hookFixture is a key service over a fresh database at a settable clock,
// and a URL hook that records what it is sent and answers with status.
type hookFixture struct {
	t     *testing.T
	db    store.Store
	svc   *keyservice.Service
	now   time.Time
	log   bytes.Buffer
	mu    sync.Mutex
	posts []hookEvent
	// status is what the URL answers (200 when zero).
	status int
	url    string
}

const day = 24 * time.Hour

func newHookFixture(t *testing.T) *hookFixture {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, t.TempDir()+"/keys.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	fx := &hookFixture{t: t, db: db, now: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	fx.svc, err = keyservice.New(db, keyservice.Options{Now: fx.clock})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var ev hookEvent
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || dec.Decode(&ev) != nil {
			t.Errorf("hook request %s %q %s", r.Method, r.Header.Get("Content-Type"), body)
		}
		fx.mu.Lock()
		defer fx.mu.Unlock()
		fx.posts = append(fx.posts, ev)
		if fx.status != 0 {
			w.WriteHeader(fx.status)
		}
	}))
	t.Cleanup(srv.Close)
	fx.url = srv.URL
	return fx
}

func (fx *hookFixture) clock() time.Time { return fx.now }

// key stores a key of alice expiring in d from now.
func (fx *hookFixture) key(id string, d time.Duration) {
	fx.t.Helper()
	exp := fx.now.Add(d).UnixMilli()
	err := fx.db.Update(context.Background(), func(w store.Writer) error {
		return w.InsertAPIKey(context.Background(), &store.APIKey{
			ID: id, Name: "name-" + id, Type: api.TypeRest, Creation: fx.now.UnixMilli(), Hash: "{SSHA256}secret-hash",
			Expiration: &exp, Creator: store.Creator{Principal: "alice", Realm: "default_native", RealmType: "native"},
		})
	})
	if err != nil {
		fx.t.Fatal(err)
	}
}

func (fx *hookFixture) hooks(cfg ExpiryHooks) *expiryHooks {
	if cfg.Leads == nil {
		cfg.Leads = []time.Duration{day, 7 * day}
		cfg.LeadNames = map[time.Duration]string{day: "1d", 7 * day: "7d"}
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Attempts == 0 {
		cfg.Attempts = 3
	}
	log := slog.New(slog.NewTextHandler(&fx.log, nil))
	return newExpiryHooks(fx.svc, cfg, auth.OSSubject("apikeyd"), auth.LocalOrigin(1), log, fx.clock)
}

// scan runs one scan and checks its counts.
func (fx *hookFixture) scan(h *expiryHooks, delivered, failed int) {
	fx.t.Helper()
	d, f := h.scanOnce(context.Background())
	if d != delivered || f != failed {
		fx.t.Fatalf("scan delivered %d and failed %d, want %d and %d; log:\n%s", d, f, delivered, failed, fx.log.String())
	}
}

// postedIDs are the "id lead" pairs the URL got, in order.
func (fx *hookFixture) postedIDs() []string {
	fx.mu.Lock()
	defer fx.mu.Unlock()
	var out []string
	for _, ev := range fx.posts {
		out = append(out, ev.ID+" "+ev.Lead)
	}
	return out
}

func (fx *hookFixture) notices(ids ...string) []*store.ExpiryNotice {
	fx.t.Helper()
	var ns []*store.ExpiryNotice
	err := fx.db.View(context.Background(), func(r store.Reader) error {
		var err error
		ns, err = r.GetExpiryNotices(context.Background(), ids)
		return err
	})
	if err != nil {
		fx.t.Fatal(err)
	}
	return ns
}

// TestExpiryHooksNotifyOncePerLead: the URL hook hears of each key once
// per lead time, for the shortest lead it is already within, soonest
// first; keys invalidated, expired or far from expiry are not notified.
func TestExpiryHooksNotifyOncePerLead(t *testing.T) {
	fx := newHookFixture(t)
	fx.key("in-5d", 5*day)
	fx.key("in-12h", 12*time.Hour)
	fx.key("in-20d", 20*day)
	fx.key("expired", -time.Hour)
	fx.key("invalidated", 2*day)
	fx.key("invalidated-later", 8*day)
	if err := fx.db.Update(context.Background(), func(w store.Writer) error {
		_, err := w.InvalidateAPIKeys(context.Background(), store.KeyFilter{IDs: []string{"invalidated"}}, fx.now.UnixMilli())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	h := fx.hooks(ExpiryHooks{URL: fx.url})

	fx.scan(h, 2, 0)
	if got, want := fx.postedIDs(), []string{"in-12h 1d", "in-5d 7d"}; !slices.Equal(got, want) {
		t.Fatalf("posted %v, want %v", got, want)
	}
	fx.mu.Lock()
	first := fx.posts[0]
	fx.mu.Unlock()
	want := hookEvent{ID: "in-12h", Name: "name-in-12h", Owner: "alice", Realm: "default_native",
		Expiration: "2026-11-25T00:00:00Z", ExpiresIn: "12h0m0s", Lead: "1d"}
	if first != want {
		t.Errorf("event %+v, want %+v", first, want)
	}

	fx.scan(h, 0, 0)

	// A day later: invalidated-later is within 7d but invalidated first;
	// in-5d is not yet within 1d.
	if err := fx.db.Update(context.Background(), func(w store.Writer) error {
		_, err := w.InvalidateAPIKeys(context.Background(), store.KeyFilter{IDs: []string{"invalidated-later"}}, fx.now.UnixMilli())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	fx.now = fx.now.Add(day)
	fx.scan(h, 0, 0)

	fx.now = fx.now.Add(3*day + time.Minute)
	fx.scan(h, 1, 0)
	if got := fx.postedIDs(); got[len(got)-1] != "in-5d 1d" {
		t.Fatalf("posted %v", got)
	}
	ns := fx.notices("in-5d")
	if len(ns) != 2 || ns[0].Delivered == nil || ns[1].Delivered == nil || ns[0].Attempts != 1 {
		t.Fatalf("notices of in-5d: %+v", ns)
	}
}

// TestExpiryHooksRetry: a failed delivery is recorded and retried after
// its backoff, not before, then recorded as delivered; a notice that
// keeps failing is given up after its attempts.
func TestExpiryHooksRetry(t *testing.T) {
	fx := newHookFixture(t)
	fx.key("k", 3*day)
	h := fx.hooks(ExpiryHooks{URL: fx.url, Attempts: 3})
	fx.status = http.StatusServiceUnavailable

	fx.scan(h, 0, 1)
	ns := fx.notices("k")
	if len(ns) != 1 || ns[0].Delivered != nil || ns[0].Attempts != 1 || ns[0].LastError != "the hook URL answered HTTP 503" ||
		ns[0].NextAttempt != fx.now.Add(keyservice.NoticeBackoff).UnixMilli() {
		t.Fatalf("after a failure: %+v", ns)
	}
	fx.scan(h, 0, 0) // within the backoff
	fx.now = fx.now.Add(keyservice.NoticeBackoff)
	fx.status = 0
	fx.scan(h, 1, 0)
	ns = fx.notices("k")
	if ns[0].Delivered == nil || ns[0].Attempts != 2 {
		t.Fatalf("after the retry: %+v", ns)
	}
	fx.scan(h, 0, 0)

	// Another key, failing for good: attempts 1, 2 (after 1m), 3 (after
	// 2m more), then nothing.
	fx.key("broken", 2*day)
	fx.status = http.StatusInternalServerError
	fx.scan(h, 0, 1)
	fx.now = fx.now.Add(keyservice.NoticeBackoff)
	fx.scan(h, 0, 1)
	fx.now = fx.now.Add(2*keyservice.NoticeBackoff - time.Millisecond)
	fx.scan(h, 0, 0)
	fx.now = fx.now.Add(time.Millisecond)
	fx.scan(h, 0, 1)
	if !strings.Contains(fx.log.String(), "giving up") {
		t.Errorf("the last failure is not logged as given up:\n%s", fx.log.String())
	}
	fx.now = fx.now.Add(time.Hour)
	fx.scan(h, 0, 0)
	if ns := fx.notices("broken"); ns[0].Attempts != 3 || ns[0].Delivered != nil {
		t.Fatalf("broken: %+v", ns)
	}
}

// TestExpiryHooksCommand: the command runs with the key's fields (and no
// other APIKEY_ variable: never the secret or its hash) in its
// environment, its output goes to the log; a failing or slow command is a
// failed delivery.
func TestExpiryHooksCommand(t *testing.T) {
	fx := newHookFixture(t)
	fx.key("k", 2*day)
	out := filepath.Join(t.TempDir(), "env.txt")
	h := fx.hooks(ExpiryHooks{Command: `env | grep '^APIKEY_' | sort > "$OUT"; echo "notified $APIKEY_NAME"`})
	t.Setenv("OUT", out)
	fx.scan(h, 1, 0)
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want := `APIKEY_EXPIRATION=2026-11-26T12:00:00Z
APIKEY_EXPIRES_IN=48h0m0s
APIKEY_ID=k
APIKEY_LEAD=7d
APIKEY_NAME=name-k
APIKEY_OWNER=alice
APIKEY_REALM=default_native
`
	if string(data) != want {
		t.Errorf("environment:\n%s\nwant:\n%s", data, want)
	}
	if !strings.Contains(fx.log.String(), `output="notified name-k"`) {
		t.Errorf("the output is not logged:\n%s", fx.log.String())
	}

	for _, tc := range []struct {
		name, command, err string
		timeout            time.Duration
	}{
		{"failing", "echo broken >&2; exit 3", "the hook command failed: exit status 3", 10 * time.Second},
		{"too slow", "sleep 30", "the hook command did not finish within 50ms", 50 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fx := newHookFixture(t)
			fx.key("k", 2*day)
			fx.scan(fx.hooks(ExpiryHooks{Command: tc.command, Timeout: tc.timeout}), 0, 1)
			if ns := fx.notices("k"); ns[0].LastError != tc.err {
				t.Errorf("last error %q, want %q", ns[0].LastError, tc.err)
			}
		})
	}
}

// TestExpiryHooksNewExpiration: a key whose expiration changed after its
// notice is notified again for the new one.
func TestExpiryHooksNewExpiration(t *testing.T) {
	fx := newHookFixture(t)
	fx.key("k", 2*day)
	h := fx.hooks(ExpiryHooks{URL: fx.url})
	fx.scan(h, 1, 0)
	err := fx.db.Update(context.Background(), func(w store.Writer) error {
		k, err := w.GetAPIKey(context.Background(), "k")
		if err != nil {
			return err
		}
		exp := fx.now.Add(3 * day).UnixMilli()
		k.Expiration = &exp
		return w.UpdateAPIKey(context.Background(), k)
	})
	if err != nil {
		t.Fatal(err)
	}
	fx.scan(h, 1, 0)
	if got := fx.postedIDs(); !slices.Equal(got, []string{"k 7d", "k 7d"}) {
		t.Fatalf("posted %v", got)
	}
}
