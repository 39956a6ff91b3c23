package query

import (
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // time_zone names resolve the same everywhere

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// This file holds time zones and date math (now-1d/d).

// ParseTimeZone resolves a time_zone parameter: an offset (+01:00, -0800,
// Z), UTC or GMT, or a region (Europe/Paris).
func ParseTimeZone(s string) (*time.Location, error) {
	switch s {
	case "Z", "UTC", "GMT", "UT", "+00:00", "-00:00":
		return time.UTC, nil
	}
	if strings.HasPrefix(s, "+") || strings.HasPrefix(s, "-") {
		if off, j, ok := parseOffset(s, 0, false); ok && j == len(s) {
			return time.FixedZone(s, off), nil
		}
		return nil, typed("date_time_exception", "Invalid ID for ZoneOffset, invalid format: %s", s)
	}
	for _, prefix := range []string{"UTC", "GMT", "UT"} {
		if rest, ok := strings.CutPrefix(s, prefix); ok && (strings.HasPrefix(rest, "+") || strings.HasPrefix(rest, "-")) {
			if off, j, ok := parseOffset(rest, 0, false); ok && j == len(rest) {
				return time.FixedZone(s, off), nil
			}
		}
	}
	if !strings.Contains(s, "/") || strings.ContainsAny(s, " \\") || strings.HasPrefix(s, "/") || strings.Contains(s, "..") {
		return nil, typed("zone_rules_exception", "Unknown time-zone ID: %s", s)
	}
	loc, err := time.LoadLocation(s)
	if err != nil {
		return nil, typed("zone_rules_exception", "Unknown time-zone ID: %s", s)
	}
	return loc, nil
}

// parseDateMath parses a date as a date field of a query takes it: now or
// a date in format f, followed by date math (+1d, -7d, /d, || after a
// date), in loc. roundUp makes a rounding (/d) go to the end of its unit
// and a date fill the fields it leaves out with their largest values.
func parseDateMath(text string, f *DateFormat, loc *time.Location, now time.Time, roundUp bool) (int64, error) {
	if loc == nil {
		loc = time.UTC
	}
	var base time.Time
	var math string
	if rest, ok := strings.CutPrefix(text, "now"); ok {
		base, math = now, rest
	} else {
		i := strings.Index(text, "||")
		if i < 0 {
			return f.parse(text, loc, roundUp)
		}
		ms, err := f.parse(text[:i], loc, false)
		if err != nil {
			return 0, err
		}
		base, math = time.UnixMilli(ms), text[i+2:]
	}
	t, err := applyDateMath(base.In(loc), math, roundUp)
	if err != nil {
		return 0, err
	}
	return floorMillis(t), nil
}

func applyDateMath(t time.Time, math string, roundUp bool) (time.Time, error) {
	perr := func(format string, args ...any) error { return api.Errorf(api.BadFormat, format, args...) }
	loc := t.Location()
	for i := 0; i < len(math); {
		c := math[i]
		i++
		round, sign := false, 1
		switch c {
		case '/':
			round = true
		case '+':
		case '-':
			sign = -1
		default:
			return t, perr("operator not supported for date math [%s]", math)
		}
		if i >= len(math) {
			return t, perr("truncated date math [%s]", math)
		}
		num := 1
		if math[i] >= '0' && math[i] <= '9' {
			from := i
			for i < len(math) && math[i] >= '0' && math[i] <= '9' {
				i++
			}
			if i >= len(math) {
				return t, perr("truncated date math [%s]", math)
			}
			n, err := strconv.Atoi(math[from:i])
			if err != nil {
				return t, typed("number_format_exception", "For input string: \"%s\"", math[from:i])
			}
			num = n
		}
		if round && num != 1 {
			return t, perr("rounding `/` can only be used on single unit types [%s]", math)
		}
		unit := math[i]
		i++
		n := sign * num
		y, mo, d := t.Date()
		switch unit {
		case 'y':
			if round {
				t = time.Date(y, 1, 1, 0, 0, 0, 0, loc)
				if roundUp {
					t = addMonths(t, 12)
				}
			} else {
				t = addMonths(t, 12*n)
			}
		case 'M':
			if round {
				t = time.Date(y, mo, 1, 0, 0, 0, 0, loc)
				if roundUp {
					t = addMonths(t, 1)
				}
			} else {
				t = addMonths(t, n)
			}
		case 'w':
			if round {
				back := (int(t.Weekday()) + 6) % 7
				t = time.Date(y, mo, d-back, 0, 0, 0, 0, loc)
				if roundUp {
					t = t.AddDate(0, 0, 7)
				}
			} else {
				t = t.AddDate(0, 0, 7*n)
			}
		case 'd':
			if round {
				t = time.Date(y, mo, d, 0, 0, 0, 0, loc)
				if roundUp {
					t = t.AddDate(0, 0, 1)
				}
			} else {
				t = t.AddDate(0, 0, n)
			}
		case 'h', 'H':
			if round {
				t = time.Date(y, mo, d, t.Hour(), 0, 0, 0, loc)
				if roundUp {
					t = t.Add(time.Hour)
				}
			} else {
				t = t.Add(time.Duration(n) * time.Hour)
			}
		case 'm':
			if round {
				t = time.Date(y, mo, d, t.Hour(), t.Minute(), 0, 0, loc)
				if roundUp {
					t = t.Add(time.Minute)
				}
			} else {
				t = t.Add(time.Duration(n) * time.Minute)
			}
		case 's':
			if round {
				t = time.Date(y, mo, d, t.Hour(), t.Minute(), t.Second(), 0, loc)
				if roundUp {
					t = t.Add(time.Second)
				}
			} else {
				t = t.Add(time.Duration(n) * time.Second)
			}
		default:
			return t, perr("unit [%c] not supported for date math [%s]", unit, math)
		}
		if round && roundUp {
			t = t.Add(-time.Millisecond)
		}
	}
	return t, nil
}

// addMonths adds n months as Java's plusMonths does: the day is clamped
// to the last day of the resulting month.
func addMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	total := y*12 + int(m) - 1 + n
	ny, nm := total/12, time.Month(total%12+1)
	if total < 0 && total%12 != 0 {
		ny--
		nm = time.Month(total%12 + 13)
	}
	if last := daysIn(ny, nm, 0); d > last {
		d = last
	}
	return time.Date(ny, nm, d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
}
