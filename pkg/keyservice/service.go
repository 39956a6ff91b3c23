// Package keyservice implements api.Service over a store.Store: every rule
// of the Elasticsearch API key API lives here — validation, privileges and
// ownership, expiry, limited-by snapshots, and the credential check that
// every authenticated request goes through.
//
// The HTTP layer (esapi) and the CLI's --db mode both call this package;
// neither makes a decision of its own.
package keyservice

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/apikey"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// Options configure a Service. The zero value is usable.
type Options struct {
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Hashing is the algorithm for new API key secrets (ssha256 when empty),
	// one of apikey.NewHasher's names.
	Hashing string
	// PasswordHashing is the algorithm for user passwords (bcrypt when
	// empty), like Elasticsearch's password_hashing.algorithm.
	PasswordHashing string
	// Logger receives internal errors; slog.Default() when nil.
	Logger *slog.Logger
	// Caller, when set, is the subject of every call whose context carries
	// none: apikeyctl --db acts as the OS user's superuser identity this
	// way. The daemon leaves it nil, so a request without credentials is 401.
	Caller *auth.Subject
	// Auditor receives an event for every write, authentication and
	// denial; none are recorded when nil.
	Auditor Auditor
	// ClusterName is what node-level answers (clear cache) report; "apikeyd"
	// when empty.
	ClusterName string
	// OnInvalidate, when set, is called after every invalidation of API
	// keys or tokens: the daemon starts its remover from it, at most once
	// per interval, as Elasticsearch does.
	OnInvalidate func()
	// FailureLimit brakes failed authentication per client address and
	// per principal; the zero value turns it off.
	FailureLimit FailureLimit
	// RecordUsage notes when, from where and how often each API key
	// authenticates, in memory, for FlushUsage to write.
	RecordUsage bool
	// Recorder counts authentications for the metrics and renders them
	// (GET /_apikeyd/metrics); nothing is counted when nil.
	Recorder Recorder
	// MetricsLoopback serves the metrics without credentials to callers
	// on the Unix socket or a loopback address (see Metrics).
	MetricsLoopback bool
}

// Service implements api.Service over a store.
type Service struct {
	store     store.Store
	now       func() time.Time
	keyHasher apikey.Hasher
	pwHasher  apikey.Hasher
	log       *slog.Logger
	caller    *auth.Subject
	auditor   Auditor
	secrets   *secretCache
	caches    *authCaches
	// throttle is the brake of Options.FailureLimit (nil: off), and slow
	// bounds the slow hash verifications of authentication.
	throttle *throttle
	slow     slowHashes
	// usage holds the uses of API keys not yet written; nil when
	// Options.RecordUsage is off.
	usage *usageBuffer
	// onInvalidate is Options.OnInvalidate.
	onInvalidate func()
	// recorder and metricsLoopback are Options.Recorder and
	// Options.MetricsLoopback.
	recorder        Recorder
	metricsLoopback bool

	clusterName string
	nodeID      string
}

var _ api.Service = (*Service)(nil)

// New returns a Service over st.
func New(st store.Store, opts Options) (*Service, error) {
	s := &Service{store: st, now: opts.Now, log: opts.Logger, caller: opts.Caller, auditor: opts.Auditor}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.secrets = newSecretCache(s.now)
	s.caches = newAuthCaches(s.now, s.secrets.salt)
	s.throttle = newThrottle(opts.FailureLimit, s.now)
	s.slow = newSlowHashes()
	s.onInvalidate = opts.OnInvalidate
	s.recorder, s.metricsLoopback = opts.Recorder, opts.MetricsLoopback
	if opts.RecordUsage {
		s.usage = newUsageBuffer()
	}
	s.clusterName = opts.ClusterName
	if s.clusterName == "" {
		s.clusterName = "apikeyd"
	}
	host, _ := os.Hostname()
	sum := sha256.Sum256([]byte(host))
	s.nodeID = base64.RawURLEncoding.EncodeToString(sum[:15])
	algo := opts.Hashing
	if algo == "" {
		algo = "ssha256"
	}
	h, err := apikey.NewHasher(algo)
	if err != nil {
		return nil, err
	}
	s.keyHasher = h
	algo = opts.PasswordHashing
	if algo == "" {
		algo = "bcrypt"
	}
	if s.pwHasher, err = apikey.NewHasher(algo); err != nil {
		return nil, err
	}
	return s, nil
}

// nowMillis is the current instant in epoch milliseconds.
func (s *Service) nowMillis() int64 { return s.now().UnixMilli() }

// subject returns the authenticated caller (or the service's fixed
// caller), or the 401 for a call that carries none.
func (s *Service) subject(ctx context.Context) (*auth.Subject, error) {
	if sub, ok := auth.SubjectFrom(ctx); ok {
		return sub, nil
	}
	if s.caller != nil {
		return s.caller, nil
	}
	return nil, auth.ErrMissingCredentials()
}

// internal logs err and returns it wrapped so that only its api.Error (if
// any) reaches the caller's boundary; store failures become Internal.
func (s *Service) internal(op string, err error) error {
	if _, ok := api.AsError(err); ok {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	switch {
	case errors.Is(err, store.ErrReadOnly):
		return api.Errorf(api.Unavailable, "cannot %s: the database is read-only, nothing was written (the database file and its directory must be writable by this user)", op)
	case errors.Is(err, store.ErrNoSpace):
		return api.Errorf(api.Unavailable, "cannot %s: no space left for the database, nothing was written (writes succeed again once space is freed)", op)
	case errors.Is(err, store.ErrUnavailable):
		s.log.Warn("database unavailable", "op", op, "err", err)
		return api.Errorf(api.Unavailable, "cannot %s: the database is unavailable; try again once it is back", op)
	}
	s.log.Error("internal error", "op", op, "err", err)
	return fmt.Errorf("%s: %w", op, err)
}

// granted is the caller when it may run action outright (not only on
// its own keys), the 403 otherwise.
func (s *Service) granted(ctx context.Context, action string) (*auth.Subject, error) {
	sub, err := s.subject(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.require(ctx, sub, action, auth.Granted); err != nil {
		return nil, err
	}
	return sub, nil
}

// require returns the 403 unless the subject may run action at least at
// the given level, and the 503 when an action that is not a read cannot
// be audited (see AuditPreparer). A request required at OwnKeys is one
// that concerns only the caller's own keys (see requireFor).
func (s *Service) require(ctx context.Context, sub *auth.Subject, action string, atLeast auth.Level) (auth.Level, error) {
	return s.requireFor(ctx, sub, action, atLeast == auth.OwnKeys)
}

// requireFor returns the 403 unless the subject may run action outright
// or, when own (the request concerns only the caller's own keys), on its
// own keys; the 503 when an action that is not a read cannot be audited.
// A denial is audited as access_denied.
func (s *Service) requireFor(ctx context.Context, sub *auth.Subject, action string, own bool) (auth.Level, error) {
	lvl := auth.Authorize(sub, action)
	if lvl == auth.Denied || (lvl == auth.OwnKeys && !own) {
		return lvl, s.denied(ctx, sub, action, own)
	}
	return lvl, s.prepareAudit(action)
}

// denied audits and returns the 403 for action; own is as in requireFor.
func (s *Service) denied(ctx context.Context, sub *auth.Subject, action string, own bool) error {
	err := auth.Forbidden(sub, action, own)
	s.audit(ctx, AuditEvent{Action: AuditAccessDenied, Request: action, Subject: sub, Reason: err.Reason})
	return err
}
