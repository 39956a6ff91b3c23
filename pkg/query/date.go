package query

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // time_zone names resolve the same everywhere

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// DefaultDateFormat is the format of the date fields of the security index
// (creation_time, expiration_time, invalidation_time): dates in queries
// without a format are epoch milliseconds, and dates in responses print
// as them.
const DefaultDateFormat = "epoch_millis"

// DateFormat is an Elasticsearch date format: one or more formats joined
// with ||, tried in turn when parsing; the first one prints.
type DateFormat struct {
	spec    string
	formats []dateFmt
}

// dateFmt parses and prints dates in one format.
type dateFmt interface {
	parse(s string, loc *time.Location, roundUp bool) (int64, bool)
	print(ms int64, loc *time.Location) string
}

// String is the format as written.
func (f *DateFormat) String() string { return f.spec }

// ParseDateFormat compiles a format: names of built-in formats (epoch_millis,
// strict_date_optional_time, date_time, ...) or Java-style patterns
// (yyyy-MM-dd HH:mm:ss), joined with ||.
func ParseDateFormat(spec string) (*DateFormat, error) {
	f := &DateFormat{spec: spec}
	for _, part := range strings.Split(spec, "||") {
		df, err := compileFormat(part)
		if err != nil {
			return nil, invalid("Invalid format: [%s]: %s", spec, err.Error())
		}
		f.formats = append(f.formats, df)
	}
	return f, nil
}

// mustFormat compiles a built-in format.
func mustFormat(spec string) *DateFormat {
	f, err := ParseDateFormat(spec)
	if err != nil {
		panic(err)
	}
	return f
}

var defaultDateFormat = mustFormat(DefaultDateFormat)

// Format prints ms in f's first format, in loc (UTC when nil).
func (f *DateFormat) Format(ms int64, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return f.formats[0].print(ms, loc)
}

// parse parses s with the formats in turn; roundUp fills the fields s
// leaves out with their largest values (23:59:59.999), as the upper end
// of a range does.
func (f *DateFormat) parse(s string, loc *time.Location, roundUp bool) (int64, error) {
	if loc == nil {
		loc = time.UTC
	}
	for _, df := range f.formats {
		if ms, ok := df.parse(s, loc, roundUp); ok {
			return ms, nil
		}
	}
	inner := fmt.Sprintf("failed to parse date field [%s] with format [%s]", s, f.spec)
	return 0, api.Errorf(api.BadFormat, "%s: [%s]", inner, inner).Wrap(invalid("%s", inner))
}

// compileFormat compiles one format, a built-in name or a pattern.
func compileFormat(s string) (dateFmt, error) {
	name := strings.TrimPrefix(s, "8")
	switch name {
	case "epoch_millis":
		return epochFmt{unit: 1}, nil
	case "epoch_second":
		return epochFmt{unit: 1000}, nil
	}
	if p, ok := builtinFormats[name]; ok {
		parse, err := compilePattern(p[0])
		if err != nil {
			return nil, err
		}
		print, err := compilePattern(p[1])
		if err != nil {
			return nil, err
		}
		return patternFmt{parser: parse, printer: print}, nil
	}
	if unsupportedBuiltins[name] {
		return nil, fmt.Errorf("the built-in format [%s] is not supported", name)
	}
	p, err := compilePattern(s)
	if err != nil {
		return nil, err
	}
	return patternFmt{parser: p, printer: p}, nil
}

// isoParse is the lenient ISO 8601 parser of strict_date_optional_time.
const isoParse = "yyyy[-MM[-dd['T'[HH[:mm[:ss[.n]]]][X]]]]"

// builtinFormats maps the built-in format names apikeyd supports to their
// parsing and printing patterns (n is a fraction of one to nine digits, X
// an offset: Z, +HH, +HHmm or +HH:mm; printing, X is Z or +HH:mm).
var builtinFormats = map[string][2]string{
	"strict_date_optional_time":               {isoParse, "yyyy-MM-dd'T'HH:mm:ss.SSSX"},
	"date_optional_time":                      {isoParse, "yyyy-MM-dd'T'HH:mm:ss.SSSX"},
	"iso8601":                                 {isoParse, "yyyy-MM-dd'T'HH:mm:ss.SSSX"},
	"strict_date_optional_time_nanos":         {isoParse, "yyyy-MM-dd'T'HH:mm:ss.SSSSSSSSSX"},
	"date_time":                               {"yyyy-MM-dd'T'HH:mm:ss.nX", "yyyy-MM-dd'T'HH:mm:ss.SSSX"},
	"strict_date_time":                        {"yyyy-MM-dd'T'HH:mm:ss.nX", "yyyy-MM-dd'T'HH:mm:ss.SSSX"},
	"date_time_no_millis":                     {"yyyy-MM-dd'T'HH:mm:ssX", "yyyy-MM-dd'T'HH:mm:ssX"},
	"strict_date_time_no_millis":              {"yyyy-MM-dd'T'HH:mm:ssX", "yyyy-MM-dd'T'HH:mm:ssX"},
	"basic_date":                              {"yyyyMMdd", "yyyyMMdd"},
	"strict_basic_date":                       {"yyyyMMdd", "yyyyMMdd"},
	"basic_date_time":                         {"yyyyMMdd'T'HHmmss.nX", "yyyyMMdd'T'HHmmss.SSSXX"},
	"basic_date_time_no_millis":               {"yyyyMMdd'T'HHmmssX", "yyyyMMdd'T'HHmmssXX"},
	"date":                                    {"yyyy-MM-dd", "yyyy-MM-dd"},
	"strict_date":                             {"yyyy-MM-dd", "yyyy-MM-dd"},
	"year_month_day":                          {"yyyy-MM-dd", "yyyy-MM-dd"},
	"strict_year_month_day":                   {"yyyy-MM-dd", "yyyy-MM-dd"},
	"year_month":                              {"yyyy-MM", "yyyy-MM"},
	"strict_year_month":                       {"yyyy-MM", "yyyy-MM"},
	"year":                                    {"yyyy", "yyyy"},
	"strict_year":                             {"yyyy", "yyyy"},
	"date_hour":                               {"yyyy-MM-dd'T'HH", "yyyy-MM-dd'T'HH"},
	"strict_date_hour":                        {"yyyy-MM-dd'T'HH", "yyyy-MM-dd'T'HH"},
	"date_hour_minute":                        {"yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm"},
	"strict_date_hour_minute":                 {"yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm"},
	"date_hour_minute_second":                 {"yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss"},
	"strict_date_hour_minute_second":          {"yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss"},
	"date_hour_minute_second_millis":          {"yyyy-MM-dd'T'HH:mm:ss.n", "yyyy-MM-dd'T'HH:mm:ss.SSS"},
	"strict_date_hour_minute_second_millis":   {"yyyy-MM-dd'T'HH:mm:ss.n", "yyyy-MM-dd'T'HH:mm:ss.SSS"},
	"date_hour_minute_second_fraction":        {"yyyy-MM-dd'T'HH:mm:ss.n", "yyyy-MM-dd'T'HH:mm:ss.SSS"},
	"strict_date_hour_minute_second_fraction": {"yyyy-MM-dd'T'HH:mm:ss.n", "yyyy-MM-dd'T'HH:mm:ss.SSS"},
	"hour":                               {"HH", "HH"},
	"strict_hour":                        {"HH", "HH"},
	"hour_minute":                        {"HH:mm", "HH:mm"},
	"strict_hour_minute":                 {"HH:mm", "HH:mm"},
	"hour_minute_second":                 {"HH:mm:ss", "HH:mm:ss"},
	"strict_hour_minute_second":          {"HH:mm:ss", "HH:mm:ss"},
	"hour_minute_second_millis":          {"HH:mm:ss.n", "HH:mm:ss.SSS"},
	"strict_hour_minute_second_millis":   {"HH:mm:ss.n", "HH:mm:ss.SSS"},
	"hour_minute_second_fraction":        {"HH:mm:ss.n", "HH:mm:ss.SSS"},
	"strict_hour_minute_second_fraction": {"HH:mm:ss.n", "HH:mm:ss.SSS"},
	"time":                               {"HH:mm:ss.nX", "HH:mm:ss.SSSX"},
	"strict_time":                        {"HH:mm:ss.nX", "HH:mm:ss.SSSX"},
	"time_no_millis":                     {"HH:mm:ssX", "HH:mm:ssX"},
	"strict_time_no_millis":              {"HH:mm:ssX", "HH:mm:ssX"},
	"t_time":                             {"'T'HH:mm:ss.nX", "'T'HH:mm:ss.SSSX"},
	"strict_t_time":                      {"'T'HH:mm:ss.nX", "'T'HH:mm:ss.SSSX"},
	"t_time_no_millis":                   {"'T'HH:mm:ssX", "'T'HH:mm:ssX"},
	"strict_t_time_no_millis":            {"'T'HH:mm:ssX", "'T'HH:mm:ssX"},
}

// unsupportedBuiltins are Elasticsearch's built-in formats apikeyd does not
// implement (week dates and ordinal dates).
var unsupportedBuiltins = map[string]bool{}

func init() {
	for _, n := range []string{"basic_ordinal_date", "basic_ordinal_date_time", "basic_ordinal_date_time_no_millis",
		"basic_time", "basic_time_no_millis", "basic_t_time", "basic_t_time_no_millis", "basic_week_date",
		"basic_week_date_time", "basic_week_date_time_no_millis", "ordinal_date", "ordinal_date_time",
		"ordinal_date_time_no_millis", "week_date", "week_date_time", "week_date_time_no_millis", "weekyear",
		"weekyear_week", "weekyear_week_day", "date_nanos", "strict_basic_week_date", "strict_basic_week_date_time",
		"strict_basic_week_date_time_no_millis", "strict_ordinal_date", "strict_ordinal_date_time",
		"strict_ordinal_date_time_no_millis", "strict_week_date", "strict_week_date_time",
		"strict_week_date_time_no_millis", "strict_weekyear", "strict_weekyear_week", "strict_weekyear_week_day"} {
		unsupportedBuiltins[n] = true
	}
}

// epochFmt is epoch_millis (unit 1) or epoch_second (unit 1000), with an
// optional fraction.
type epochFmt struct{ unit int64 }

func (e epochFmt) parse(s string, _ *time.Location, roundUp bool) (int64, bool) {
	neg := strings.HasPrefix(s, "-")
	body := strings.TrimPrefix(s, "-")
	whole, frac, hasFrac := strings.Cut(body, ".")
	if whole == "" || len(whole) > 19 || !allDigits(whole) || (hasFrac && (frac == "" || len(frac) > 9 || !allDigits(frac))) {
		return 0, false
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, false
	}
	// Milliseconds, and the nanoseconds of the fraction apart: the whole
	// count in nanoseconds would overflow after the year 2262.
	if w > (math.MaxInt64-e.unit)/e.unit {
		return 0, false
	}
	ms := w * e.unit
	// nanos within one unit
	var nanos int64
	if hasFrac {
		// f is the fraction of one unit in billionths; a unit is
		// e.unit ms, that is e.unit*1e6 ns.
		f, _ := strconv.ParseInt((frac + "000000000")[:9], 10, 64)
		nanos = f * e.unit / 1000
	} else if roundUp && e.unit > 1 {
		nanos = e.unit*1_000_000 - 1
	}
	ms += nanos / 1_000_000
	if neg {
		ms = -ms
		if nanos%1_000_000 != 0 {
			ms--
		}
	}
	return ms, true
}

func (e epochFmt) print(ms int64, _ *time.Location) string {
	if e.unit == 1 {
		return strconv.FormatInt(ms, 10)
	}
	s := strconv.FormatInt(ms/1000, 10)
	if r := ms % 1000; r != 0 {
		if r < 0 {
			r = -r
		}
		s += "." + strings.TrimRight(fmt.Sprintf("%03d", r), "0")
	}
	return s
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
