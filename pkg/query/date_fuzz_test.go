package query

import (
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// checkClientError fails unless err is a 400 api.Error.
func checkClientError(t *testing.T, input string, err error) {
	t.Helper()
	if e, ok := api.AsError(err); !ok || e.Code.Status() != 400 {
		t.Fatalf("%q: %v is not a 400 api.Error", input, err)
	}
}

// FuzzParseDateFormat compiles arbitrary formats and uses them: a format or
// a date it refuses is a 400, and nothing panics.
func FuzzParseDateFormat(f *testing.F) {
	for _, s := range []string{"epoch_millis", "strict_date_optional_time||epoch_millis", "yyyy-MM-dd HH:mm:ss", "8uuuu-MM-dd'T'HH:mm:ss.SSSZ",
		"yyyy[-MM[-dd]]", "'", "[[[", "yyyy||", "MMMM EEE d", "nope", "SSSSSSSSSSSSSSSSSSSS"} {
		f.Add(s, int64(1735689600000), "2025-01-01")
	}
	f.Add("epoch_second", int64(-1<<63), "-9223372036854775808")
	f.Fuzz(func(t *testing.T, spec string, ms int64, text string) {
		df, err := ParseDateFormat(spec)
		if err != nil {
			checkClientError(t, spec, err)
			return
		}
		_ = df.Format(ms, nil)
		if _, err := df.parse(text, nil, false); err != nil {
			checkClientError(t, text, err)
		}
	})
}

// FuzzDateFormatRoundTrip prints instants in the built-in formats: a
// printed date parses back to the instant cut to the format's precision,
// which prints the same.
func FuzzDateFormatRoundTrip(f *testing.F) {
	formats := []string{"epoch_millis", "epoch_second", "strict_date_optional_time", "date_time", "date_time_no_millis",
		"basic_date_time", "basic_date", "date", "year_month", "year", "date_hour_minute_second_millis", "strict_date_optional_time_nanos"}
	for i := range formats {
		f.Add(uint8(i), int64(1735689600123))
	}
	f.Add(uint8(0), int64(-62135596800000))
	f.Fuzz(func(t *testing.T, which uint8, ms int64) {
		// Years 1 to 9999: the four-digit years of the patterns.
		const lo, hi = -62135596800000, 253402300799999
		if ms < lo || ms > hi {
			ms = lo + (ms%(hi-lo)+(hi-lo))%(hi-lo)
		}
		df := mustFormat(formats[int(which)%len(formats)])
		text := df.Format(ms, nil)
		back, err := df.parse(text, nil, false)
		if err != nil {
			t.Fatalf("%s: %d printed as %q does not parse: %v", df, ms, text, err)
		}
		if back > ms || df.Format(back, nil) != text {
			t.Fatalf("%s: %d printed as %q parses as %d, printed as %q", df, ms, text, back, df.Format(back, nil))
		}
	})
}

func FuzzParseTimeZone(f *testing.F) {
	for _, s := range []string{"Z", "+01:00", "-0800", "UTC+5", "GMT-03:30", "Europe/Paris", "America/Argentina/Buenos_Aires", "../etc/passwd", "Europe/", "+99:99", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		loc, err := ParseTimeZone(s)
		if err != nil {
			checkClientError(t, s, err)
			return
		}
		if loc == nil {
			t.Fatalf("%q: no location", s)
		}
	})
}

// FuzzParseDateMath parses arbitrary dates with date math: a refusal is a
// 400, and the upper end of a range never comes before its lower end.
func FuzzParseDateMath(f *testing.F) {
	for _, s := range []string{"now", "now-7d/d", "now+1M-1s/h", "2025-01-01||+1y/M", "2025-01", "1735689600000", "now/w", "now-99999999999y",
		"now+1x", "now//d", "2025-02-30", "now-1d/d+", "||", "now-9223372036854775807ms"} {
		f.Add(s)
	}
	format := mustFormat("strict_date_optional_time||epoch_millis")
	loc, _ := ParseTimeZone("Europe/Paris")
	f.Fuzz(func(t *testing.T, text string) {
		lo, err := parseDateMath(text, format, loc, testNow, false)
		if err != nil {
			checkClientError(t, text, err)
			return
		}
		hi, err := parseDateMath(text, format, loc, testNow, true)
		if err != nil {
			t.Fatalf("%q: parses as a lower bound (%d), not as an upper one: %v", text, lo, err)
		}
		if hi < lo {
			t.Fatalf("%q: upper %s before lower %s", text, time.UnixMilli(hi).UTC(), time.UnixMilli(lo).UTC())
		}
	})
}
