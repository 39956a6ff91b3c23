package query

import (
	"strings"
	"time"
)

// instantFormat is the format of ParseDate: Elasticsearch's default
// format of a date field. epochFormat takes a number of more than four
// digits, which the lenient ISO parser would read as a year.
var (
	instantFormat = mustFormat("strict_date_optional_time||epoch_millis")
	epochFormat   = mustFormat("epoch_millis")
)

// ParseDate parses a date as a range query on a date field takes it, in
// Elasticsearch's default format of a date field (an ISO date or epoch
// milliseconds), UTC, with date math (now-1d/d, 2026-12-06||+1d): the
// instant it names. roundUp fills what the date leaves out with its
// largest values, as the upper end of a range does. Errors are
// Elasticsearch's parse_exception.
func ParseDate(text string, now time.Time, roundUp bool) (time.Time, error) {
	f := instantFormat
	if len(text) > 4 && strings.Trim(text, "0123456789") == "" {
		f = epochFormat
	}
	ms, err := parseDateMath(text, f, time.UTC, now, roundUp)
	if err != nil {
		return time.Time{}, err
	}
	return time.UnixMilli(ms), nil
}
