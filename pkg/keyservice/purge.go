package keyservice

import (
	"context"
	"fmt"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// This file removes what has outlived its use: API keys past their
// retention period (Elasticsearch's InactiveApiKeysRemover) and tokens
// past their 24 hours (its ExpiredTokenRemover). Neither is an
// Elasticsearch endpoint: the daemon's remover and apikeyctl --db purge
// call them.

// DefaultRetentionPeriod is how long expired and invalidated keys are
// kept, as Elasticsearch's delete.retention_period.
const DefaultRetentionPeriod = 7 * 24 * time.Hour

// purgeBatchSize is how many keys or tokens one transaction removes.
const purgeBatchSize = 1000

// PurgeOptions tune PurgeInactiveAPIKeys.
type PurgeOptions struct {
	// DryRun lists the keys that would be removed and removes nothing.
	DryRun bool
	// Progress, when set, is called after each batch with the number of
	// keys removed so far.
	Progress func(removed int)
}

// PurgeInactiveAPIKeys removes the API keys that have been expired or
// invalidated for longer than retention, by Elasticsearch's rule: removed
// when expiration <= now - retention, or when invalidated and the
// invalidation (or its unknown instant) <= now - retention. A key still
// inside its period is never touched. Removal runs in batches of 1000
// keys, one transaction each, logged; it returns the removed ids in the
// order removed. The caller needs manage_security.
func (s *Service) PurgeInactiveAPIKeys(ctx context.Context, retention time.Duration, opts PurgeOptions) ([]string, error) {
	if retention <= 0 {
		return nil, api.Errorf(api.Invalid, "the retention period must be positive, got [%s]", retention)
	}
	sub, err := s.granted(ctx, auth.ActionPurge)
	if err != nil {
		return nil, err
	}
	cutoff := s.now().Add(-retention).UnixMilli()
	if opts.DryRun {
		var ids []string
		err := s.store.View(ctx, func(r store.Reader) error {
			var err error
			ids, err = r.InactiveAPIKeyIDs(ctx, cutoff)
			return err
		})
		if err != nil {
			return nil, s.internal("find inactive api keys", err)
		}
		return ids, nil
	}
	removed := []string{}
	defer func() {
		if len(removed) > 0 {
			s.audit(ctx, AuditEvent{
				Action: AuditDeleteExpiredKeys, Request: auth.ActionPurge, Subject: sub, APIKeyIDs: removed,
				Reason: fmt.Sprintf("expired or invalidated for longer than the retention period of %s", retention),
			})
		}
	}()
	for {
		if err := ctx.Err(); err != nil {
			return removed, err
		}
		var batch []string
		err := s.store.Update(ctx, func(w store.Writer) error {
			var err error
			batch, err = w.DeleteInactiveAPIKeys(ctx, cutoff, purgeBatchSize)
			return err
		})
		if err != nil {
			return removed, s.internal("remove inactive api keys", err)
		}
		if len(batch) == 0 {
			return removed, nil
		}
		removed = append(removed, batch...)
		s.log.Info("removed expired and invalidated API keys", "count", len(batch), "total", len(removed), "retention", retention.String())
		if opts.Progress != nil {
			opts.Progress(len(removed))
		}
		if len(batch) < purgeBatchSize {
			return removed, nil
		}
	}
}

// PurgeExpiredTokens removes the tokens created more than 24 hours ago,
// when neither their access nor their refresh token can be used any more,
// in batches, and returns how many it removed. The caller needs
// manage_security.
func (s *Service) PurgeExpiredTokens(ctx context.Context) (int, error) {
	if _, err := s.granted(ctx, auth.ActionPurge); err != nil {
		return 0, err
	}
	before := s.now().Add(-RefreshTokenLifetime).UnixMilli()
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		var n int
		err := s.store.Update(ctx, func(w store.Writer) error {
			var err error
			n, err = w.DeleteTokensCreatedBefore(ctx, before, purgeBatchSize)
			return err
		})
		if err != nil {
			return total, s.internal("remove expired tokens", err)
		}
		total += n
		if n > 0 {
			s.log.Info("removed expired tokens", "count", n, "total", total)
		}
		if n < purgeBatchSize {
			return total, nil
		}
	}
}

// afterInvalidation tells whoever asked (the daemon's remover) that keys
// or tokens were invalidated.
func (s *Service) afterInvalidation() {
	if s.onInvalidate != nil {
		s.onInvalidate()
	}
}
