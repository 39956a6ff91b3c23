package query

import (
	"fmt"
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
	total := w*e.unit*1_000_000 + nanos
	if neg {
		total = -total
	}
	ms := total / 1_000_000
	if total < 0 && total%1_000_000 != 0 {
		ms--
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

// patternFmt parses with one pattern and prints with another.
type patternFmt struct{ parser, printer []pelem }

func (p patternFmt) parse(s string, loc *time.Location, roundUp bool) (int64, bool) {
	st := &pstate{}
	end, ok := parseElems(p.parser, s, 0, st)
	if !ok || end != len(s) {
		return 0, false
	}
	return st.resolve(loc, roundUp)
}

func (p patternFmt) print(ms int64, loc *time.Location) string {
	t := time.UnixMilli(ms).In(loc)
	var b strings.Builder
	printElems(p.printer, t, &b)
	return b.String()
}

// pelem is one element of a compiled pattern.
type pelem struct {
	kind     byte // '\'' a literal, '[' an optional section, or a pattern letter
	lit      string
	count    int
	optional []pelem
}

// compilePattern compiles a Java DateTimeFormatter-style pattern.
func compilePattern(p string) ([]pelem, error) {
	elems, rest, err := compileSeq([]rune(p), false)
	if err != nil {
		return nil, err
	}
	if len(rest) > 0 {
		return nil, fmt.Errorf("Pattern invalid as it contains ] without previous [")
	}
	return elems, nil
}

func compileSeq(r []rune, inOptional bool) ([]pelem, []rune, error) {
	var out []pelem
	for len(r) > 0 {
		c := r[0]
		switch {
		case c == '[':
			sub, rest, err := compileSeq(r[1:], true)
			if err != nil {
				return nil, nil, err
			}
			out = append(out, pelem{kind: '[', optional: sub})
			r = rest
		case c == ']':
			if !inOptional {
				return nil, nil, fmt.Errorf("Pattern invalid as it contains ] without previous [")
			}
			return out, r[1:], nil
		case c == '\'':
			end := 1
			var lit strings.Builder
			for {
				if end >= len(r) {
					return nil, nil, fmt.Errorf("Pattern ends with an incomplete string literal: %s", string(r))
				}
				if r[end] == '\'' {
					if end+1 < len(r) && r[end+1] == '\'' {
						lit.WriteRune('\'')
						end += 2
						continue
					}
					break
				}
				lit.WriteRune(r[end])
				end++
			}
			if end == 1 {
				out = append(out, pelem{kind: '\'', lit: "'"})
			} else {
				out = append(out, pelem{kind: '\'', lit: lit.String()})
			}
			r = r[end+1:]
		case (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
			n := 1
			for n < len(r) && r[n] == c {
				n++
			}
			if !strings.ContainsRune("yuMLdDHkhKmsSnaEXxZ", c) {
				return nil, nil, fmt.Errorf("Unknown pattern letter: %c", c)
			}
			out = append(out, pelem{kind: byte(c), count: n})
			r = r[n:]
		case c == '#' || c == '{' || c == '}':
			return nil, nil, fmt.Errorf("Pattern includes reserved character: '%c'", c)
		default:
			out = append(out, pelem{kind: '\'', lit: string(c)})
			r = r[1:]
		}
	}
	if inOptional {
		return out, nil, nil
	}
	return out, nil, nil
}

// pstate collects the fields a parse found.
type pstate struct {
	year, month, day, doy, hour, minute, second, nano                         int
	hasYear, hasMonth, hasDay, hasDoy, hasHour, hasMinute, hasSecond, hasNano bool
	hour12, hasHour12                                                         bool
	pm, hasAmPm                                                               bool
	offset                                                                    int
	hasOffset                                                                 bool
}

var monthNames = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
var dayNames = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}

// parseElems parses s from i with elems; it returns where it stopped.
func parseElems(elems []pelem, s string, i int, st *pstate) (int, bool) {
	for ei, e := range elems {
		switch e.kind {
		case '[':
			save := *st
			if j, ok := parseElems(e.optional, s, i, st); ok {
				i = j
			} else {
				*st = save
			}
		case '\'':
			if !strings.HasPrefix(s[i:], e.lit) {
				return i, false
			}
			i += len(e.lit)
		case 'y', 'u':
			lo, hi := e.count, 19
			if e.count == 2 {
				lo, hi = 2, 2
			}
			neg := false
			if e.count != 2 && i < len(s) && (s[i] == '-' || s[i] == '+') && e.count > 4 {
				neg = s[i] == '-'
				i++
			}
			// Adjacent value parsing: leave the digits the fixed-width
			// fields that follow need (yyyyMMdd).
			if reserved := fixedDigitsAfter(elems[ei+1:]); reserved > 0 {
				run := 0
				for i+run < len(s) && s[i+run] >= '0' && s[i+run] <= '9' {
					run++
				}
				hi = max(lo, min(hi, run-reserved))
			}
			v, j, ok := digits(s, i, lo, hi)
			if !ok {
				return i, false
			}
			if e.count == 2 {
				v += 2000
			}
			if neg {
				v = -v
			}
			st.year, st.hasYear, i = v, true, j
		case 'M', 'L':
			if e.count >= 3 {
				v, j, ok := textIndex(s, i, monthNames, e.count)
				if !ok {
					return i, false
				}
				st.month, st.hasMonth, i = v+1, true, j
				continue
			}
			v, j, ok := digits(s, i, e.count, 2)
			if !ok {
				return i, false
			}
			st.month, st.hasMonth, i = v, true, j
		case 'd':
			v, j, ok := digits(s, i, e.count, 2)
			if !ok {
				return i, false
			}
			st.day, st.hasDay, i = v, true, j
		case 'D':
			v, j, ok := digits(s, i, e.count, 3)
			if !ok {
				return i, false
			}
			st.doy, st.hasDoy, i = v, true, j
		case 'H', 'k', 'h', 'K':
			v, j, ok := digits(s, i, e.count, 2)
			if !ok {
				return i, false
			}
			switch e.kind {
			case 'k':
				if v == 24 {
					v = 0
				}
			case 'h':
				st.hour12, st.hasHour12 = true, true
				if v == 12 {
					v = 0
				}
			case 'K':
				st.hour12, st.hasHour12 = true, true
			}
			st.hour, st.hasHour, i = v, true, j
		case 'm':
			v, j, ok := digits(s, i, e.count, 2)
			if !ok {
				return i, false
			}
			st.minute, st.hasMinute, i = v, true, j
		case 's':
			v, j, ok := digits(s, i, e.count, 2)
			if !ok {
				return i, false
			}
			st.second, st.hasSecond, i = v, true, j
		case 'S', 'n':
			lo, hi := e.count, e.count
			if e.kind == 'n' {
				lo, hi = 1, 9
			}
			start := i
			_, j, ok := digits(s, i, lo, hi)
			if !ok {
				return i, false
			}
			frac := (s[start:j] + "000000000")[:9]
			v, _ := strconv.Atoi(frac)
			st.nano, st.hasNano, i = v, true, j
		case 'a':
			switch {
			case strings.HasPrefix(strings.ToUpper(s[i:]), "AM"):
				st.pm = false
			case strings.HasPrefix(strings.ToUpper(s[i:]), "PM"):
				st.pm = true
			default:
				return i, false
			}
			st.hasAmPm = true
			i += 2
		case 'E':
			_, j, ok := textIndex(s, i, dayNames, e.count)
			if !ok {
				return i, false
			}
			i = j
		case 'X', 'x', 'Z':
			off, j, ok := parseOffset(s, i, e.kind != 'x')
			if !ok {
				return i, false
			}
			st.offset, st.hasOffset, i = off, true, j
		}
	}
	return i, true
}

// fixedDigitsAfter counts the digits of the fixed-width numeric fields
// that directly follow (MM, dd, HH, mm, ss, SSS).
func fixedDigitsAfter(elems []pelem) int {
	n := 0
	for _, e := range elems {
		switch {
		case e.kind == 'S':
			n += e.count
		case e.count == 2 && strings.ContainsRune("MLdHhkKms", rune(e.kind)):
			n += 2
		default:
			return n
		}
	}
	return n
}

// digits reads between lo and hi ASCII digits.
func digits(s string, i, lo, hi int) (int, int, bool) {
	j := i
	for j < len(s) && j-i < hi && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j-i < lo || j == i {
		return 0, i, false
	}
	v, err := strconv.Atoi(s[i:j])
	if err != nil {
		return 0, i, false
	}
	return v, j, true
}

// textIndex matches a full name, or its first three letters for short
// patterns, case-insensitively.
func textIndex(s string, i int, names []string, count int) (int, int, bool) {
	rest := strings.ToLower(s[i:])
	for n, name := range names {
		full := strings.ToLower(name)
		if count >= 4 && strings.HasPrefix(rest, full) {
			return n, i + len(full), true
		}
		if count < 4 && strings.HasPrefix(rest, full[:3]) {
			return n, i + 3, true
		}
	}
	return 0, i, false
}

// parseOffset reads Z (when allowed), +HH, +HHmm or +HH:mm.
func parseOffset(s string, i int, allowZ bool) (int, int, bool) {
	if i < len(s) && s[i] == 'Z' && allowZ {
		return 0, i + 1, true
	}
	if i >= len(s) || (s[i] != '+' && s[i] != '-') {
		return 0, i, false
	}
	sign := 1
	if s[i] == '-' {
		sign = -1
	}
	h, j, ok := digits(s, i+1, 2, 2)
	if !ok || h > 18 {
		return 0, i, false
	}
	m := 0
	if j < len(s) && s[j] == ':' {
		if mm, k, ok := digits(s, j+1, 2, 2); ok {
			m, j = mm, k
		} else {
			return 0, i, false
		}
	} else if mm, k, ok := digits(s, j, 2, 2); ok {
		m, j = mm, k
	}
	if m > 59 {
		return 0, i, false
	}
	return sign * (h*3600 + m*60), j, true
}

// resolve builds the instant from the parsed fields; the fields left out
// default to the start of their unit, or with roundUp to its end (month
// and day still default to 1, as Elasticsearch's round-up parser does).
func (st *pstate) resolve(loc *time.Location, roundUp bool) (int64, bool) {
	year := 1970
	if st.hasYear {
		year = st.year
	}
	month, day := 1, 1
	if st.hasMonth {
		month = st.month
	}
	if st.hasDay {
		day = st.day
	}
	hour, minute, second, nano := 0, 0, 0, 0
	if roundUp {
		hour, minute, second, nano = 23, 59, 59, 999_999_999
	}
	if st.hasHour {
		hour = st.hour
		if st.hasHour12 {
			if hour > 11 {
				return 0, false
			}
			if st.hasAmPm && st.pm {
				hour += 12
			}
		}
	}
	if st.hasMinute {
		minute = st.minute
	}
	if st.hasSecond {
		second = st.second
	}
	if st.hasNano {
		nano = st.nano
	}
	if month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59 {
		return 0, false
	}
	if st.hasDoy {
		if st.hasMonth || st.hasDay || st.doy < 1 || st.doy > daysIn(year, 12, 31) {
			return 0, false
		}
		t := time.Date(year, 1, st.doy, hour, minute, second, nano, time.UTC)
		month, day = int(t.Month()), t.Day()
	}
	if day < 1 || day > daysIn(year, time.Month(month), 0) {
		return 0, false
	}
	zone := loc
	if st.hasOffset {
		zone = time.FixedZone("", st.offset)
	}
	t := time.Date(year, time.Month(month), day, hour, minute, second, nano, zone)
	return floorMillis(t), true
}

// daysIn is the number of days of a month (day is ignored).
func daysIn(year int, month time.Month, _ int) int {
	return time.Date(year, month+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// floorMillis is the instant in epoch milliseconds, rounded down.
func floorMillis(t time.Time) int64 {
	ms := t.UnixMilli()
	if t.UnixNano() < 0 && t.Nanosecond()%1_000_000 != 0 && t.Unix() < 0 {
		// UnixMilli truncates toward zero; dates before 1970 round down.
		if time.UnixMilli(ms).After(t) {
			ms--
		}
	}
	return ms
}

func printElems(elems []pelem, t time.Time, b *strings.Builder) {
	for _, e := range elems {
		switch e.kind {
		case '[':
			printElems(e.optional, t, b)
		case '\'':
			b.WriteString(e.lit)
		case 'y', 'u':
			y := t.Year()
			if e.count == 2 {
				fmt.Fprintf(b, "%02d", y%100)
			} else {
				fmt.Fprintf(b, "%0*d", e.count, y)
			}
		case 'M', 'L':
			switch {
			case e.count >= 4:
				b.WriteString(monthNames[t.Month()-1])
			case e.count == 3:
				b.WriteString(monthNames[t.Month()-1][:3])
			default:
				fmt.Fprintf(b, "%0*d", e.count, int(t.Month()))
			}
		case 'd':
			fmt.Fprintf(b, "%0*d", e.count, t.Day())
		case 'D':
			fmt.Fprintf(b, "%0*d", e.count, t.YearDay())
		case 'H':
			fmt.Fprintf(b, "%0*d", e.count, t.Hour())
		case 'k':
			h := t.Hour()
			if h == 0 {
				h = 24
			}
			fmt.Fprintf(b, "%0*d", e.count, h)
		case 'h':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			fmt.Fprintf(b, "%0*d", e.count, h)
		case 'K':
			fmt.Fprintf(b, "%0*d", e.count, t.Hour()%12)
		case 'm':
			fmt.Fprintf(b, "%0*d", e.count, t.Minute())
		case 's':
			fmt.Fprintf(b, "%0*d", e.count, t.Second())
		case 'S', 'n':
			n := e.count
			if e.kind == 'n' {
				n = 3
			}
			frac := fmt.Sprintf("%09d", t.Nanosecond())
			if n <= 9 {
				b.WriteString(frac[:n])
			} else {
				b.WriteString(frac + strings.Repeat("0", n-9))
			}
		case 'a':
			if t.Hour() < 12 {
				b.WriteString("AM")
			} else {
				b.WriteString("PM")
			}
		case 'E':
			if e.count >= 4 {
				b.WriteString(dayNames[t.Weekday()])
			} else {
				b.WriteString(dayNames[t.Weekday()][:3])
			}
		case 'X', 'x', 'Z':
			_, off := t.Zone()
			if off == 0 && e.kind == 'X' {
				b.WriteString("Z")
				continue
			}
			sign := '+'
			if off < 0 {
				sign, off = '-', -off
			}
			h, m := off/3600, off%3600/60
			colon := (e.kind == 'X' || e.kind == 'x') && (e.count == 1 || e.count >= 3)
			if e.kind == 'Z' && e.count == 5 {
				colon = true
			}
			if colon {
				fmt.Fprintf(b, "%c%02d:%02d", sign, h, m)
			} else {
				fmt.Fprintf(b, "%c%02d%02d", sign, h, m)
			}
		}
	}
}

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
