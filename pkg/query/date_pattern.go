package query

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // time_zone names resolve the same everywhere
)

// This file holds Java-style date patterns (yyyy-MM-dd'T'HH:mm:ss): compiled, parsed and printed as java.time does.

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
