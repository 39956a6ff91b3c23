package api

import (
	"strconv"
	"strings"
	"time"
)

// timeUnits are Elasticsearch's time value suffixes, in the order its parser
// tries them ("ms" before "s" and "m").
var timeUnits = []struct {
	suffix string
	unit   time.Duration
}{
	{"nanos", time.Nanosecond},
	{"micros", time.Microsecond},
	{"ms", time.Millisecond},
	{"s", time.Second},
	{"m", time.Minute},
	{"h", time.Hour},
	{"d", 24 * time.Hour},
}

// ParseTimeValue parses an Elasticsearch time value ("20s", "10m", "1h",
// "30d", "-1", "0") the way Elasticsearch's TimeValue does, naming setting in
// its errors. The errors are illegal_argument_exception with
// Elasticsearch's messages.
func ParseTimeValue(value, setting string) (time.Duration, error) {
	normalized := strings.TrimSpace(strings.ToLower(value))
	for _, u := range timeUnits {
		if !strings.HasSuffix(normalized, u.suffix) {
			continue
		}
		s := strings.TrimSpace(strings.TrimSuffix(normalized, u.suffix))
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			if _, ferr := strconv.ParseFloat(s, 64); ferr == nil {
				return 0, Errorf(Invalid, "failed to parse [%s], fractional time values are not supported", value)
			}
			return 0, Errorf(Invalid, "failed to parse [%s]", value)
		}
		if n < -1 {
			return 0, Errorf(Invalid, "failed to parse setting [%s] with value [%s] as a time value: negative durations are not supported", setting, value)
		}
		if n > 0 && time.Duration(n) > time.Duration(1<<63-1)/u.unit {
			return 0, Errorf(Invalid, "failed to parse setting [%s] with value [%s] as a time value: value is too large", setting, value)
		}
		return time.Duration(n) * u.unit, nil
	}
	switch {
	case normalized == "-1":
		return -1, nil
	case normalized != "" && strings.Trim(normalized, "0") == "":
		return 0, nil
	}
	return 0, Errorf(Invalid, "failed to parse setting [%s] with value [%s] as a time value: unit is missing or unrecognized", setting, value)
}
