package keyservice

import (
	"context"
	"strings"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/query"
)

// This file is the event log API (GET /_apikeyd/events): the audit log,
// read back. Its events name every user and key, which read_security
// already shows, so read_security (or manage_security, or all) reads it.

// EventQuery is an events request checked and resolved: times as
// instants, the size within its bounds. Zero times bound nothing.
type EventQuery struct {
	APIKeyID string
	User     string
	Actions  []string
	Outcome  string
	Since    time.Time
	Until    time.Time
	Size     int
	After    string
	Wait     time.Duration
}

// EventReader is an Auditor that can read its events back (the audit log
// of pkg/audit).
type EventReader interface {
	ReadEvents(ctx context.Context, q EventQuery) (*api.EventsResponse, error)
}

// Events reads the audit log, oldest first, filtered and paged. It needs
// read_security (or manage_security, or all); reading is not audited.
func (s *Service) Events(ctx context.Context, req *api.EventsRequest) (*api.EventsResponse, error) {
	if _, err := s.granted(ctx, auth.ActionGetEvents); err != nil {
		return nil, err
	}
	q, err := s.eventQuery(req)
	if err != nil {
		return nil, err
	}
	r, ok := s.auditor.(EventReader)
	if !ok {
		return nil, api.Errorf(api.NotFound, "no audit log is kept (apikeyd --no-audit, or a store without one): there are no events to read")
	}
	return r.ReadEvents(ctx, q)
}

// eventQuery checks req: the size within 1..MaxEventsSize, the wait
// within MaxEventsWait, the outcome one of success and failure, since and
// until a time value or a date.
func (s *Service) eventQuery(req *api.EventsRequest) (EventQuery, error) {
	q := EventQuery{APIKeyID: req.APIKeyID, User: req.User, Outcome: req.Outcome, Size: req.Size, After: req.After, Wait: req.Wait}
	switch {
	case req.Size < 0 || req.Size > api.MaxEventsSize:
		return q, api.Errorf(api.Invalid, "[size] must be between 1 and %d, got [%d]: page with [after] for more", api.MaxEventsSize, req.Size)
	case req.Size == 0:
		q.Size = api.DefaultEventsSize
	}
	if req.Wait < 0 || req.Wait > api.MaxEventsWait {
		return q, api.Errorf(api.Invalid, "[wait_for_events] must be between 0s and %s, got [%s]", api.MaxEventsWait, req.Wait)
	}
	if req.Outcome != "" && req.Outcome != api.OutcomeSuccess && req.Outcome != api.OutcomeFailure {
		return q, api.Errorf(api.Invalid, "[outcome] must be one of [%s, %s], got [%s]", api.OutcomeSuccess, api.OutcomeFailure, req.Outcome)
	}
	for _, a := range req.Actions {
		if a = strings.TrimSpace(a); a != "" {
			q.Actions = append(q.Actions, a)
		}
	}
	now := s.now()
	var err error
	if q.Since, err = EventTime("since", req.Since, now, false); err != nil {
		return q, err
	}
	if q.Until, err = EventTime("until", req.Until, now, true); err != nil {
		return q, err
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && q.Until.Before(q.Since) {
		return q, api.Errorf(api.Invalid, "[until] [%s] is before [since] [%s]", req.Until, req.Since)
	}
	return q, nil
}

// EventTime resolves the since or until parameter: a time value counted
// back from now (24h), or a date as a date field takes it (an ISO date,
// epoch milliseconds, date math). roundUp makes until=2026-12-06 the end
// of that day.
func EventTime(param, value string, now time.Time, roundUp bool) (time.Time, error) {
	if value == "" {
		return time.Time{}, nil
	}
	if d, err := api.ParseTimeValue(value, param); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	t, err := query.ParseDate(value, now, roundUp)
	if err != nil {
		return time.Time{}, api.Errorf(api.Invalid, "[%s] [%s] is neither a time value (24h, 7d) nor a date (2026-12-06, 2026-12-06T10:00:00Z, epoch milliseconds, now-1d)", param, value)
	}
	return t, nil
}
