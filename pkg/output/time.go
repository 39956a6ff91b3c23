package output

import (
	"fmt"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// ExpiringWithin is how close to its expiration an active key is shown as
// expiring.
const ExpiringWithin = 7 * 24 * time.Hour

// Key statuses as the terminal renderings show them.
const (
	StatusActive      = "active"
	StatusExpiring    = "expiring"
	StatusExpired     = "expired"
	StatusInvalidated = "invalidated"
)

// KeyStatus is the status of k at now: invalidated, expired, expiring (it
// expires within ExpiringWithin) or active.
func KeyStatus(k api.APIKey, now time.Time) string {
	nowMs := now.UnixMilli()
	switch s := k.Status(nowMs); {
	case s != StatusActive:
		return s
	case k.Expiration != nil && *k.Expiration-nowMs <= ExpiringWithin.Milliseconds():
		return StatusExpiring
	}
	return StatusActive
}

// Millis converts milliseconds since the epoch, as the API gives times, to a
// time.Time.
func Millis(ms int64) time.Time { return time.UnixMilli(ms) }

// RelativeTime says when t is as seen from now: "just now", "5 minutes ago",
// "in 29 days", "in 3 months", "2 years ago". Amounts are rounded down.
func RelativeTime(t, now time.Time) string {
	d := t.Sub(now)
	future := d > 0
	if !future {
		d = -d
	}
	var n int64
	var unit string
	switch {
	case d < time.Minute:
		if future {
			return "in less than a minute"
		}
		return "just now"
	case d < time.Hour:
		n, unit = int64(d/time.Minute), "minute"
	case d < 24*time.Hour:
		n, unit = int64(d/time.Hour), "hour"
	case d < 90*24*time.Hour:
		n, unit = int64(d/(24*time.Hour)), "day"
	case d < 2*365*24*time.Hour:
		n, unit = int64(d/(30*24*time.Hour)), "month"
	default:
		n, unit = int64(d/(365*24*time.Hour)), "year"
	}
	if n != 1 {
		unit += "s"
	}
	if future {
		return fmt.Sprintf("in %d %s", n, unit)
	}
	return fmt.Sprintf("%d %s ago", n, unit)
}

// absTime is how a terminal shows an instant: in now's location, to the
// second, with the zone.
func absTime(t, now time.Time) string {
	return t.In(now.Location()).Format("2006-01-02 15:04:05 MST")
}

// pipeTime is how tab-separated output shows an instant: RFC 3339 in UTC.
func pipeTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}
