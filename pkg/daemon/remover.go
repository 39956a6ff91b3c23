package daemon

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
)

// purger is what the remover needs of the key service.
type purger interface {
	PurgeInactiveAPIKeys(ctx context.Context, retention time.Duration, opts keyservice.PurgeOptions) ([]string, error)
	PurgeExpiredTokens(ctx context.Context) (int, error)
}

// remover deletes API keys that have been expired or invalidated for
// longer than the retention period, and tokens past their 24 hours, as
// Elasticsearch's InactiveApiKeysRemover and ExpiredTokenRemover do: once
// at start, then every interval, and early after an invalidation when the
// last run is at least an interval old.
type remover struct {
	svc       purger
	retention Retention
	log       *slog.Logger
	now       func() time.Time
	// subject and origin are who runs the removals, for the privilege
	// check and the audit log: the daemon's own OS user, in process.
	subject *auth.Subject
	origin  auth.Origin
	kick    chan struct{}

	mu      sync.Mutex
	lastRun time.Time
}

func newRemover(svc purger, retention Retention, subject *auth.Subject, origin auth.Origin, log *slog.Logger, now func() time.Time) *remover {
	if now == nil {
		now = time.Now
	}
	if retention.Period <= 0 {
		retention.Period = keyservice.DefaultRetentionPeriod
	}
	if retention.Interval <= 0 {
		retention.Interval = 24 * time.Hour
	}
	return &remover{svc: svc, retention: retention, subject: subject, origin: origin, log: log, now: now, kick: make(chan struct{}, 1)}
}

// Trigger asks for a run soon, unless the last one is more recent than
// the interval. It never blocks; keyservice calls it after invalidations.
func (r *remover) Trigger() {
	r.mu.Lock()
	due := r.lastRun.IsZero() || r.now().Sub(r.lastRun) >= r.retention.Interval
	r.mu.Unlock()
	if !due {
		return
	}
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// run removes at once and then on schedule until ctx ends.
func (r *remover) run(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-r.kick:
			r.mu.Lock()
			early := !r.lastRun.IsZero() && r.now().Sub(r.lastRun) < r.retention.Interval
			r.mu.Unlock()
			if early {
				continue
			}
		}
		r.runOnce(ctx)
		timer.Reset(r.retention.Interval)
	}
}

// runOnce removes what is due now and logs what it did.
func (r *remover) runOnce(ctx context.Context) {
	r.mu.Lock()
	r.lastRun = r.now()
	r.mu.Unlock()
	ctx = auth.WithOrigin(auth.WithSubject(ctx, r.subject), r.origin)
	keys, err := r.svc.PurgeInactiveAPIKeys(ctx, r.retention.Period, keyservice.PurgeOptions{})
	if err != nil && ctx.Err() == nil {
		r.log.Error("the remover of expired and invalidated API keys failed", "removed", len(keys), "err", err)
	}
	tokens, terr := r.svc.PurgeExpiredTokens(ctx)
	if terr != nil && ctx.Err() == nil {
		r.log.Error("the remover of expired tokens failed", "removed", tokens, "err", terr)
	}
	r.log.Debug("remover ran", "api_keys_removed", len(keys), "tokens_removed", tokens, "retention", r.retention.Period.String())
}
