package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
)

// Defaults of the expiry hooks.
const (
	defaultExpiryHookLead     = "7d,1d"
	defaultExpiryHookInterval = "1m"
	defaultExpiryHookTimeout  = "30s"
	defaultExpiryHookAttempts = 5
	// expiryHookBatch bounds the notifications of one scan; the rest
	// wait for the next.
	expiryHookBatch = 100
	// hookOutputMax bounds the output of a hook command kept for the log.
	hookOutputMax = 64 << 10
)

// ExpiryHooks is the parsed configuration of the expiry hooks: what to
// run before keys expire, and when.
type ExpiryHooks struct {
	// Command is run with sh -c; URL receives a POST of JSON. Either or
	// both; neither turns the hooks off.
	Command string
	URL     string
	// Leads are the lead times before expiration, with their time values
	// as given.
	Leads     []time.Duration
	LeadNames map[time.Duration]string
	Interval  time.Duration
	Timeout   time.Duration
	Attempts  int
}

// Enabled reports whether any hook is configured.
func (h ExpiryHooks) Enabled() bool { return h.Command != "" || h.URL != "" }

// parseExpiryHooks parses the --expiry-hook-* settings into c.ExpiryHooks.
func (c *Config) parseExpiryHooks() error {
	h := ExpiryHooks{Command: c.ExpiryHookCommand, URL: c.ExpiryHookURL, Attempts: c.ExpiryHookAttempts, LeadNames: map[time.Duration]string{}}
	if h.URL != "" {
		u, err := url.Parse(h.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return configErrorf("--expiry-hook-url %q: give an http:// or https:// URL", h.URL)
		}
	}
	for _, l := range c.ExpiryHookLead {
		l = strings.TrimSpace(l)
		d, err := api.ParseTimeValue(l, "expiry-hook-lead")
		if err != nil || d <= 0 {
			return configErrorf("--expiry-hook-lead %q: give positive time values, such as 7d,1d", l)
		}
		if _, dup := h.LeadNames[d]; !dup {
			h.Leads = append(h.Leads, d)
			h.LeadNames[d] = l
		}
	}
	if len(h.Leads) == 0 {
		return configErrorf("--expiry-hook-lead: give at least one lead time, such as 7d,1d")
	}
	slices.Sort(h.Leads)
	for _, s := range []struct {
		flag, value string
		dst         *time.Duration
	}{
		{"expiry-hook-interval", c.ExpiryHookInterval, &h.Interval},
		{"expiry-hook-timeout", c.ExpiryHookTimeout, &h.Timeout},
	} {
		d, err := api.ParseTimeValue(s.value, s.flag)
		if err != nil || d <= 0 {
			return configErrorf("--%s %q: give a positive time value", s.flag, s.value)
		}
		*s.dst = d
	}
	if h.Attempts < 1 {
		return configErrorf("--expiry-hook-attempts %d: give at least 1", h.Attempts)
	}
	c.ExpiryHooks = h
	return nil
}

// noticer is what the expiry hooks need of the key service.
type noticer interface {
	DueExpiryNotices(ctx context.Context, p keyservice.NoticePolicy, limit int) ([]keyservice.ExpiryNotice, error)
	RecordExpiryNotice(ctx context.Context, p keyservice.NoticePolicy, n keyservice.ExpiryNotice, failure error) (bool, error)
}

// expiryHooks runs the configured hooks for the keys about to expire:
// a scan at start and then every interval, each due notice delivered
// (every configured hook succeeding) and recorded.
type expiryHooks struct {
	svc    noticer
	cfg    ExpiryHooks
	policy keyservice.NoticePolicy
	log    *slog.Logger
	now    func() time.Time
	client *http.Client
	// subject and origin are who scans and records: the daemon's own OS
	// user, in process.
	subject *auth.Subject
	origin  auth.Origin
}

func newExpiryHooks(svc noticer, cfg ExpiryHooks, subject *auth.Subject, origin auth.Origin, log *slog.Logger, now func() time.Time) *expiryHooks {
	if now == nil {
		now = time.Now
	}
	return &expiryHooks{
		svc: svc, cfg: cfg, log: log, now: now, subject: subject, origin: origin,
		policy: keyservice.NoticePolicy{Leads: cfg.Leads, MaxAttempts: cfg.Attempts},
		client: &http.Client{Timeout: cfg.Timeout},
	}
}

// run scans at once and then every interval until ctx ends.
func (e *expiryHooks) run(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		e.scanOnce(ctx)
		timer.Reset(e.cfg.Interval)
	}
}

// scanOnce notifies what is due now, at most expiryHookBatch notices, and
// returns how many were delivered and how many failed.
func (e *expiryHooks) scanOnce(ctx context.Context) (delivered, failed int) {
	ctx = auth.WithOrigin(auth.WithSubject(ctx, e.subject), e.origin)
	due, err := e.svc.DueExpiryNotices(ctx, e.policy, expiryHookBatch)
	if err != nil {
		if ctx.Err() == nil {
			e.log.Error("the scan of keys about to expire failed", "err", err)
		}
		return 0, 0
	}
	for _, n := range due {
		if ctx.Err() != nil {
			return delivered, failed
		}
		failure := e.deliver(ctx, n)
		gaveUp, err := e.svc.RecordExpiryNotice(ctx, e.policy, n, failure)
		if err != nil && ctx.Err() == nil {
			e.log.Error("cannot record an expiry notice", "id", n.KeyID, "lead", e.leadName(n.Lead), "err", err)
		}
		attrs := []any{"id", n.KeyID, "name", n.Name, "lead", e.leadName(n.Lead), "attempt", n.Attempt}
		switch {
		case failure == nil:
			delivered++
			e.log.Info("expiry hook delivered", attrs...)
		case gaveUp:
			failed++
			e.log.Error("expiry hook failed; giving up", append(attrs, "err", failure)...)
		default:
			failed++
			e.log.Warn("expiry hook failed; will retry", append(attrs, "err", failure)...)
		}
	}
	return delivered, failed
}

// leadName is a lead time as configured ("7d").
func (e *expiryHooks) leadName(d time.Duration) string {
	if s, ok := e.cfg.LeadNames[d]; ok {
		return s
	}
	return d.String()
}

// hookEvent is what a hook is told of a key: never its secret or hash.
type hookEvent struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Owner      string `json:"owner"`
	Realm      string `json:"realm"`
	Expiration string `json:"expiration"`
	ExpiresIn  string `json:"expires_in"`
	Lead       string `json:"lead"`
}

func (e *expiryHooks) event(n keyservice.ExpiryNotice) hookEvent {
	return hookEvent{
		ID: n.KeyID, Name: n.Name, Owner: n.Owner, Realm: n.Realm,
		Expiration: n.Expiration.Format(time.RFC3339),
		ExpiresIn:  n.Expiration.Sub(e.now()).Round(time.Second).String(),
		Lead:       e.leadName(n.Lead),
	}
}

// deliver runs every configured hook for n; it fails when one does.
func (e *expiryHooks) deliver(ctx context.Context, n keyservice.ExpiryNotice) error {
	ev := e.event(n)
	if e.cfg.Command != "" {
		if err := e.runCommand(ctx, ev); err != nil {
			return err
		}
	}
	if e.cfg.URL != "" {
		if err := e.post(ctx, ev); err != nil {
			return err
		}
	}
	return nil
}

// runCommand runs the hook command with sh -c, the key's fields in
// APIKEY_* variables, within the timeout; its output goes to the log.
func (e *expiryHooks) runCommand(ctx context.Context, ev hookEvent) error {
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", e.cfg.Command)
	cmd.Env = append(os.Environ(),
		"APIKEY_ID="+ev.ID, "APIKEY_NAME="+ev.Name, "APIKEY_OWNER="+ev.Owner, "APIKEY_REALM="+ev.Realm,
		"APIKEY_EXPIRATION="+ev.Expiration, "APIKEY_EXPIRES_IN="+ev.ExpiresIn, "APIKEY_LEAD="+ev.Lead)
	out := &limitedBuffer{max: hookOutputMax}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	if out.Len() > 0 {
		e.log.Info("expiry hook output", "id", ev.ID, "lead", ev.Lead, "output", strings.TrimRight(out.String(), "\n"))
	}
	if ctx.Err() == context.DeadlineExceeded {
		return fmt.Errorf("the hook command did not finish within %s", e.cfg.Timeout)
	}
	if err != nil {
		return fmt.Errorf("the hook command failed: %w", err)
	}
	return nil
}

// post sends the key's fields as JSON to the hook URL; any 2xx answer is
// a delivery.
func (e *expiryHooks) post(ctx context.Context, ev hookEvent) error {
	body, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.client.Do(req)
	if err != nil {
		return fmt.Errorf("the hook URL: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, hookOutputMax))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("the hook URL answered HTTP %d", resp.StatusCode)
	}
	return nil
}

// limitedBuffer keeps the first max bytes written to it.
type limitedBuffer struct {
	bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
