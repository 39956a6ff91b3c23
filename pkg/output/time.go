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
// "in 30 days", "in 3 months", "2 years ago". Amounts are rounded to the
// nearest unit, as people read them, and the unit is chosen after
// rounding: a key made to expire in 30 days is "in 30 days" a moment
// later, 23 hours 40 minutes is "1 day", 59 minutes 30 seconds "1 hour".
// Under a minute is "just now" in the past and "in less than a minute"
// ahead.
func RelativeTime(t, now time.Time) string {
	d := t.Sub(now)
	future := d > 0
	if !future {
		d = -d
	}
	if d < time.Minute {
		if future {
			return "in less than a minute"
		}
		return "just now"
	}
	n, unit := relativeAmount(d)
	if n != 1 {
		unit += "s"
	}
	if future {
		return fmt.Sprintf("in %d %s", n, unit)
	}
	return fmt.Sprintf("%d %s ago", n, unit)
}

// relativeUnits are the units of RelativeTime, each used while the
// rounded amount stays below its limit.
var relativeUnits = []struct {
	name  string
	size  time.Duration
	limit int64
}{
	{"minute", time.Minute, 60},
	{"hour", time.Hour, 24},
	{"day", 24 * time.Hour, 90},
	{"month", 30 * 24 * time.Hour, 24},
}

// relativeAmount is d in the first unit whose rounded amount is under its
// limit, else in years (of 365 days).
func relativeAmount(d time.Duration) (int64, string) {
	for _, u := range relativeUnits {
		if n := int64(d.Round(u.size) / u.size); n < u.limit {
			return n, u.name
		}
	}
	const year = 365 * 24 * time.Hour
	return int64(d.Round(year) / year), "year"
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
