package keyservice

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// This file finds the API keys about to expire that the daemon's expiry
// hooks are to notify, and records each notification: every key once per
// lead time (and again for a new expiration when an update changed it),
// failures retried with backoff up to a bounded number of attempts.
// Neither method is an endpoint: the daemon calls them as its own user.

// Bounds of the expiry notices.
const (
	// noticeScanPage is how many keys one read of the scan holds.
	noticeScanPage = 500
	// NoticeBackoff is the wait before the first retry of a failed
	// notification; it doubles with each attempt, up to NoticeMaxBackoff.
	NoticeBackoff    = time.Minute
	NoticeMaxBackoff = time.Hour
	// noticeErrorMax bounds the error kept of a failed attempt.
	noticeErrorMax = 1000
)

// NoticePolicy is when and how often keys are notified.
type NoticePolicy struct {
	// Leads are the lead times before a key's expiration at which it is
	// notified. A key whose remaining lifetime is already within several
	// of them is notified for the shortest only.
	Leads []time.Duration
	// MaxAttempts bounds the deliveries tried for one notice.
	MaxAttempts int
}

// ExpiryNotice is one notification due: what the hooks may tell of a key
// (never its secret or hash), the lead time it is for, and which attempt
// this is (1 for the first).
type ExpiryNotice struct {
	KeyID      string
	Name       string
	Owner      string
	Realm      string
	Expiration time.Time
	Lead       time.Duration
	Attempt    int
}

// currentLead is the shortest lead within which remaining falls, false
// when it is beyond all (leads ascending).
func currentLead(leads []time.Duration, remaining time.Duration) (time.Duration, bool) {
	for _, l := range leads {
		if remaining <= l {
			return l, true
		}
	}
	return 0, false
}

// DueExpiryNotices returns at most limit notifications due now, soonest
// expiration first: of the keys neither invalidated nor expired whose
// remaining lifetime is within a lead time, those not yet notified for
// that lead and their current expiration, whose last failed attempt's
// backoff is over and that have attempts left. It reads the keys by an
// index on expiration, a page at a time. The caller needs
// manage_security.
func (s *Service) DueExpiryNotices(ctx context.Context, p NoticePolicy, limit int) ([]ExpiryNotice, error) {
	if _, err := s.granted(ctx, auth.ActionExpiryNotices); err != nil {
		return nil, err
	}
	leads := slices.Clone(p.Leads)
	slices.Sort(leads)
	due := []ExpiryNotice{}
	if len(leads) == 0 || limit <= 0 {
		return due, nil
	}
	now := s.now()
	f := store.ExpiringFilter{From: now.UnixMilli(), Until: now.Add(leads[len(leads)-1]).UnixMilli(), Limit: noticeScanPage}
	err := s.store.View(ctx, func(r store.Reader) error {
		for len(due) < limit {
			keys, err := r.ExpiringAPIKeys(ctx, f)
			if err != nil {
				return err
			}
			ids := make([]string, len(keys))
			for i, k := range keys {
				ids[i] = k.ID
			}
			recorded, err := r.GetExpiryNotices(ctx, ids)
			if err != nil {
				return err
			}
			byKey := map[[2]any]*store.ExpiryNotice{}
			for _, n := range recorded {
				byKey[[2]any{n.KeyID, n.Lead}] = n
			}
			for _, k := range keys {
				if len(due) == limit {
					break
				}
				lead, ok := currentLead(leads, time.Duration(*k.Expiration-now.UnixMilli())*time.Millisecond)
				if !ok {
					continue
				}
				attempt := 1
				if n := byKey[[2]any{k.ID, lead.Milliseconds()}]; n != nil && n.Expiration == *k.Expiration {
					if n.Delivered != nil || n.Attempts >= p.MaxAttempts || n.NextAttempt > now.UnixMilli() {
						continue
					}
					attempt = n.Attempts + 1
				}
				due = append(due, ExpiryNotice{
					KeyID: k.ID, Name: k.Name, Owner: k.Creator.Principal, Realm: k.Creator.Realm,
					Expiration: time.UnixMilli(*k.Expiration).UTC(), Lead: lead, Attempt: attempt,
				})
			}
			if len(keys) < f.Limit {
				return nil
			}
			last := keys[len(keys)-1]
			f.AfterExpiration, f.AfterID = *last.Expiration, last.ID
		}
		return nil
	})
	if err != nil {
		return nil, s.internal("find due expiry notices", err)
	}
	return due, nil
}

// RecordExpiryNotice records an attempt at n: delivered when failure is
// nil, else failed, to be retried after a backoff that doubles with each
// attempt while attempts are left. It reports whether a failed notice
// was given up. The caller needs manage_security.
func (s *Service) RecordExpiryNotice(ctx context.Context, p NoticePolicy, n ExpiryNotice, failure error) (gaveUp bool, err error) {
	if _, err := s.granted(ctx, auth.ActionExpiryNotices); err != nil {
		return false, err
	}
	now := s.now()
	rec := &store.ExpiryNotice{KeyID: n.KeyID, Lead: n.Lead.Milliseconds(), Expiration: n.Expiration.UnixMilli(), Attempts: n.Attempt}
	if failure == nil {
		at := now.UnixMilli()
		rec.Delivered = &at
	} else {
		backoff := NoticeBackoff
		for i := 1; i < n.Attempt && backoff < NoticeMaxBackoff; i++ {
			backoff *= 2
		}
		rec.NextAttempt = now.Add(min(backoff, NoticeMaxBackoff)).UnixMilli()
		rec.LastError = failure.Error()
		if len(rec.LastError) > noticeErrorMax {
			rec.LastError = rec.LastError[:noticeErrorMax]
		}
		gaveUp = n.Attempt >= p.MaxAttempts
	}
	err = s.store.Update(ctx, func(w store.Writer) error {
		// A key removed meanwhile keeps no record: its notices went with it.
		_, err := w.GetAPIKey(ctx, n.KeyID)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return w.PutExpiryNotice(ctx, rec)
	})
	if err != nil {
		return false, s.internal("record expiry notice", err)
	}
	return gaveUp, nil
}
