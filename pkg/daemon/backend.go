package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	localbackend "github.com/apikeyctl/apikeyctl/pkg/backend"
	"github.com/apikeyctl/apikeyctl/pkg/esapi"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
	"github.com/apikeyctl/apikeyctl/pkg/metrics"
)

// backend is what the server serves: the API, the credential check, and
// what to close at the end.
type backend struct {
	svc   api.Service
	admin api.Admin
	authn esapi.Authenticator
	close func() error
	// remover runs in the background while the server serves; nil for
	// none. So do the expiry hooks, when configured.
	remover *remover
	hooks   *expiryHooks
	// usage writes the uses of API keys every lastUsed; nil when they are
	// not recorded.
	usage    usageFlusher
	lastUsed time.Duration
	// endWaits ends the waits of the event log's readers (long polls),
	// which must not hold up a shutdown.
	endWaits func()
	// metrics counts what the daemon does, for GET /_apikeyd/metrics.
	metrics *metrics.Registry
}

// startHooks runs the expiry hooks, if any, until the returned stop is
// called (or ctx ends); stop waits for a scan in progress to finish.
func (b *backend) startHooks(ctx context.Context) (stop func()) {
	if b.hooks == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.hooks.run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

// startRemover runs the remover until the returned stop is called (or
// ctx ends); stop waits for a run in progress to finish.
func (b *backend) startRemover(ctx context.Context) (stop func()) {
	if b.remover == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.remover.run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

// openBackend opens the database, builds the service over it and makes
// sure the bootstrap superuser exists, printing its password once when it
// was generated.
func openBackend(ctx context.Context, cfg *Config, log *slog.Logger, stderr io.Writer) (*backend, error) {
	if !localbackend.IsURL(cfg.DB) {
		if err := os.MkdirAll(filepath.Dir(cfg.DB), 0o700); err != nil {
			return nil, fmt.Errorf("create the data directory: %w", err)
		}
	}
	self := os.Geteuid()
	origin := auth.LocalOrigin(self)
	reg := metrics.New(metrics.Options{Runtime: true})
	opts := localbackend.Options{DB: cfg.DB, Origin: origin, Service: keyservice.Options{Logger: log, FailureLimit: cfg.FailureLimit, RecordUsage: cfg.LastUsed > 0,
		Recorder: reg, MetricsLoopback: cfg.MetricsLoopback}}
	if !cfg.NoAudit {
		if err := os.MkdirAll(filepath.Dir(cfg.AuditFile), 0o700); err != nil {
			return nil, fmt.Errorf("create the directory of the audit log: %w", err)
		}
		opts.AuditFile = cfg.AuditFile
		opts.AuditEvents = cfg.AuditEvents
		opts.AuditRotation = cfg.AuditRotation
	}
	var rm *remover
	opts.Service.OnInvalidate = func() { rm.Trigger() }
	local, err := localbackend.Open(ctx, opts)
	if err != nil {
		var auditErr *localbackend.AuditLogError
		if errors.As(err, &auditErr) {
			return nil, fmt.Errorf("%w (set --audit-file, or --no-audit to run without one)", err)
		}
		return nil, err
	}
	svc := local.Service
	rm = newRemover(svc, cfg.Retention, auth.OSSubject(newPeerAuth(self).username(self)), origin, log, nil)
	created, generated, err := svc.Bootstrap(ctx, cfg.BootstrapPassword)
	if err != nil {
		local.Close()
		return nil, fmt.Errorf("bootstrap the superuser: %w", err)
	}
	if created {
		log.Info("created the bootstrap superuser", "user", keyservice.BootstrapUser)
		if generated != "" {
			printBootstrapPassword(stderr, keyservice.BootstrapUser, generated)
		}
	}
	be := &backend{svc: svc, admin: svc, authn: svc, close: local.Close, remover: rm, lastUsed: cfg.LastUsed, endWaits: local.EndWaits, metrics: reg}
	if cfg.ExpiryHooks.Enabled() {
		be.hooks = newExpiryHooks(svc, cfg.ExpiryHooks, auth.OSSubject(newPeerAuth(self).username(self)), origin, log, nil)
	}
	if cfg.LastUsed > 0 {
		be.usage = svc
	}
	return be, nil
}

// printBootstrapPassword shows the generated password once, in a box that
// stands out from the log lines around it.
func printBootstrapPassword(w io.Writer, user, password string) {
	lines := []string{
		fmt.Sprintf("The bootstrap superuser '%s' was created with password:", user),
		"",
		"    " + password,
		"",
		"Store it now; it is not shown again.",
	}
	width := 0
	for _, l := range lines {
		width = max(width, len(l))
	}
	var b strings.Builder
	border := "+" + strings.Repeat("-", width+2) + "+\n"
	b.WriteString(border)
	for _, l := range lines {
		b.WriteString("| " + l + strings.Repeat(" ", width-len(l)) + " |\n")
	}
	b.WriteString(border)
	_, _ = io.WriteString(w, b.String())
}
