package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
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

// TestRemoverDeletesOnlyOutsideThePeriod runs the remover once, at a fixed
// clock, over keys and tokens on both sides of their periods.
func TestRemoverDeletesOnlyOutsideThePeriod(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, t.TempDir()+"/keys.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, nil))
	svc, err := keyservice.New(db, keyservice.Options{Now: clock, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	const day = 24 * time.Hour
	at := func(d time.Duration) *int64 { v := now.Add(d).UnixMilli(); return &v }
	key := func(id string, expiration *int64, invalidated bool, invalidation *int64) *store.APIKey {
		return &store.APIKey{
			ID: id, Name: id, Type: api.TypeRest, Creation: now.Add(-60 * day).UnixMilli(), Hash: "{SSHA256}x",
			Expiration: expiration, Invalidated: invalidated, Invalidation: invalidation,
			Creator: store.Creator{Principal: "u", Realm: "os", RealmType: "os"},
		}
	}
	token := func(id string, created time.Duration) *store.Token {
		return &store.Token{
			ID: id, AccessHash: "a-" + id, RefreshHash: "r-" + id, Creation: now.Add(created).UnixMilli(),
			Expiration: now.Add(created + 20*time.Minute).UnixMilli(), Principal: "u", Realm: "os",
			Subject: json.RawMessage(`{}`), Client: json.RawMessage(`{}`),
		}
	}
	err = db.Update(ctx, func(w store.Writer) error {
		for _, k := range []*store.APIKey{
			key("active", nil, false, nil),
			key("expired-29d-ago", at(-29*day), false, nil),
			key("expired-31d-ago", at(-31*day), false, nil),
			key("invalidated-29d-ago", nil, true, at(-29*day)),
			key("invalidated-31d-ago", nil, true, at(-31*day)),
			key("invalidated-at-an-unknown-time", nil, true, nil),
		} {
			if err := w.InsertAPIKey(ctx, k); err != nil {
				return err
			}
		}
		for _, tok := range []*store.Token{token("fresh", -23*time.Hour), token("stale", -25*time.Hour)} {
			if err := w.InsertToken(ctx, tok); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	r := newRemover(svc, Retention{Period: 30 * day, Interval: time.Hour}, auth.OSSubject("apikeyd"), auth.LocalOrigin(1), log, clock)
	r.runOnce(ctx)

	var left []string
	err = db.View(ctx, func(rd store.Reader) error {
		keys, err := rd.FindAPIKeys(ctx, store.KeyFilter{})
		for _, k := range keys {
			left = append(left, k.ID)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(left)
	if want := []string{"active", "expired-29d-ago", "invalidated-29d-ago"}; !slices.Equal(left, want) {
		t.Errorf("keys left %q, want %q", left, want)
	}
	err = db.View(ctx, func(rd store.Reader) error {
		if _, err := rd.GetTokenByAccessHash(ctx, "a-fresh"); err != nil {
			t.Errorf("the token of 23 hours was removed: %v", err)
		}
		if _, err := rd.GetTokenByAccessHash(ctx, "a-stale"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the token of 25 hours is still there: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logged.String(), "removed expired and invalidated API keys") || !strings.Contains(logged.String(), "count=3") {
		t.Errorf("the batch is not logged with its count:\n%s", logged.String())
	}
}

// countingPurger records the runs of the remover.
type countingPurger struct {
	mu   sync.Mutex
	runs int
	ran  chan struct{}
	subs []*auth.Subject
}

func (p *countingPurger) PurgeInactiveAPIKeys(ctx context.Context, _ time.Duration, _ keyservice.PurgeOptions) ([]string, error) {
	sub, _ := auth.SubjectFrom(ctx)
	p.mu.Lock()
	p.runs++
	p.subs = append(p.subs, sub)
	p.mu.Unlock()
	return nil, nil
}

func (p *countingPurger) PurgeExpiredTokens(context.Context) (int, error) {
	p.ran <- struct{}{}
	return 0, nil
}

func TestRemoverSchedule(t *testing.T) {
	var (
		mu  sync.Mutex
		now = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	)
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	advance := func(d time.Duration) {
		mu.Lock()
		now = now.Add(d)
		mu.Unlock()
	}
	p := &countingPurger{ran: make(chan struct{}, 4)}
	// The interval is real time for the timer: an hour never passes here,
	// so every run after the first comes from a trigger.
	r := newRemover(p, Retention{Period: time.Hour, Interval: time.Hour}, auth.OSSubject("apikeyd"), auth.LocalOrigin(1), slog.New(slog.DiscardHandler), clock)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.run(ctx)
	}()
	wait := func(what string) {
		t.Helper()
		select {
		case <-p.ran:
		case <-time.After(5 * time.Second):
			t.Fatalf("no run: %s", what)
		}
	}
	noRun := func(what string) {
		t.Helper()
		select {
		case <-p.ran:
			t.Fatalf("unexpected run: %s", what)
		case <-time.After(50 * time.Millisecond):
		}
	}
	wait("at start")
	r.Trigger()
	noRun("a trigger within the interval")
	advance(time.Hour)
	r.Trigger()
	wait("a trigger after the interval")
	advance(30 * time.Minute)
	r.Trigger()
	noRun("a second trigger within the interval")
	cancel()
	<-done
	if p.runs != 2 {
		t.Errorf("%d runs, want 2", p.runs)
	}
	for _, sub := range p.subs {
		if sub == nil || sub.Username != "apikeyd" || sub.Realm != auth.OSRealm {
			t.Errorf("the remover ran as %+v, want the daemon's OS user", sub)
		}
	}
}

func TestRetentionConfig(t *testing.T) {
	for _, tt := range []struct {
		name  string
		flags []string
		env   map[string]string
		want  string
	}{
		{name: "zero period", flags: []string{"--retention-period", "0"}, want: `--retention-period "0": must be positive`},
		{name: "minus one", flags: []string{"--retention-period", "-1"}, want: "must be positive"},
		{name: "no unit", flags: []string{"--retention-period", "7"}, want: "unit is missing or unrecognized"},
		{name: "fractional interval", flags: []string{"--retention-interval", "1.5h"}, want: "fractional time values are not supported"},
		{name: "bad environment", env: map[string]string{"APIKEYD_RETENTION_INTERVAL": "soon"}, want: `--retention-interval "soon"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			_, err := loadConfig(parseFlags(t, tt.flags...))
			var ce *ConfigError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want a ConfigError containing %q", err, tt.want)
			}
		})
	}

	clearEnv(t)
	dir := t.TempDir()
	cfg, err := loadConfig(parseFlags(t, "--data-dir", dir))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Retention != (Retention{Period: 7 * 24 * time.Hour, Interval: 24 * time.Hour}) || cfg.AuditFile != dir+"/audit.json" || cfg.NoAudit {
		t.Errorf("defaults: %+v audit %q no-audit %v", cfg.Retention, cfg.AuditFile, cfg.NoAudit)
	}
	t.Setenv("APIKEYD_RETENTION_PERIOD", "30d")
	t.Setenv("APIKEYD_AUDIT_FILE", "/var/log/apikeyd.json")
	cfg, err = loadConfig(parseFlags(t, "--retention-interval", "90m", "--no-audit"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Retention != (Retention{Period: 30 * 24 * time.Hour, Interval: 90 * time.Minute}) || cfg.AuditFile != "/var/log/apikeyd.json" || !cfg.NoAudit {
		t.Errorf("set: %+v audit %q no-audit %v", cfg.Retention, cfg.AuditFile, cfg.NoAudit)
	}
}
