package query

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/strictjson"
)

// This file resolves the parsed DSL against the API key fields: each query becomes a node of the typed tree.

// resolver turns translated dsl values into the tree, with the errors of
// the shard.
type resolver struct {
	now    time.Time
	schema *Schema
}

func (rs *resolver) query(q dslQuery) (Query, error) {
	switch q := q.(type) {
	case dslMatchAll:
		return MatchAll{}, nil
	case *dslBool:
		return rs.boolQuery(q)
	case *dslIDs:
		return &IDs{Values: q.values}, nil
	case *dslTerm:
		f, _ := rs.schema.translate(q.field, false)
		return rs.term(f, []*strictjson.Node{q.value}, q.caseInsensitive)
	case *dslTerms:
		f, _ := rs.schema.translate(q.field, false)
		if len(q.values) == 0 {
			return MatchNone{}, nil
		}
		return rs.term(f, q.values, false)
	case *dslRange:
		f, _ := rs.schema.translate(q.field, false)
		return rs.rangeQuery(f, q)
	case *dslPrefix:
		f, _ := rs.schema.translate(q.field, false)
		if err := stringOnly(f, "prefix"); err != nil {
			return nil, err
		}
		return &Prefix{Field: f, Value: q.value, CaseInsensitive: q.caseInsensitive}, nil
	case *dslWildcard:
		f, _ := rs.schema.translate(q.field, false)
		if err := stringOnly(f, "wildcard"); err != nil {
			return nil, err
		}
		return &Wildcard{Field: f, Pattern: q.value, CaseInsensitive: q.caseInsensitive}, nil
	case *dslExists:
		f, _ := rs.schema.translate(q.field, false)
		return &Exists{Field: f}, nil
	case *dslMatch:
		f, _ := rs.schema.translate(q.field, false)
		return rs.match(f, q)
	case *dslSimpleQueryString:
		return rs.simpleQueryString(q)
	}
	return nil, invalid("unsupported query")
}

func stringOnly(f Field, qtype string) error {
	if f.Numeric() {
		return queryShardError(invalid("Can only use %s queries on keyword, text and wildcard fields - not on [%s] which is of type [%s]", qtype, f.IndexName(), f.typeName()))
	}
	return nil
}

func (rs *resolver) boolQuery(q *dslBool) (Query, error) {
	out := &Bool{}
	for _, pair := range []struct {
		src []dslQuery
		dst *[]Query
	}{{q.must, &out.Must}, {q.filter, &out.Filter}, {q.should, &out.Should}, {q.mustNot, &out.MustNot}} {
		for _, c := range pair.src {
			r, err := rs.query(c)
			if err != nil {
				return nil, err
			}
			*pair.dst = append(*pair.dst, r)
		}
	}
	n := 0
	if q.msm != nil {
		m, err := minShouldMatch(len(out.Should), *q.msm)
		if err != nil {
			return nil, err
		}
		n = m
	}
	if len(out.Must)+len(out.Filter) == 0 && len(out.Should) > 0 {
		n = max(n, 1)
	}
	out.MinShould = n
	return out, nil
}

// minShouldMatch is Elasticsearch's Queries.calculateMinShouldMatch: a
// count, a negative count, a percentage, or conditional specs "3<90%".
func minShouldMatch(optional int, spec string) (int, error) {
	result := optional
	spec = strings.TrimSpace(spec)
	numErr := func(s string) error {
		return ShardFailure(typed("number_format_exception", "For input string: \"%s\"", s))
	}
	if strings.Contains(spec, "<") {
		for strings.Contains(spec, " <") || strings.Contains(spec, "< ") {
			spec = strings.ReplaceAll(strings.ReplaceAll(spec, " <", "<"), "< ", "<")
		}
		for _, s := range strings.Fields(spec) {
			parts := strings.SplitN(s, "<", 2)
			upper, err := strconv.Atoi(parts[0])
			if err != nil || len(parts) != 2 {
				return 0, numErr(parts[0])
			}
			if optional <= upper {
				return result, nil
			}
			result, err = minShouldMatch(optional, parts[1])
			if err != nil {
				return 0, err
			}
		}
		return result, nil
	}
	if strings.HasSuffix(spec, "%") {
		p, err := strconv.Atoi(spec[:len(spec)-1])
		if err != nil {
			return 0, numErr(spec[:len(spec)-1])
		}
		calc := float32(result*p) * (1 / float32(100))
		if calc < 0 {
			result += int(calc)
		} else {
			result = int(calc)
		}
	} else {
		c, err := strconv.Atoi(spec)
		if err != nil {
			return 0, numErr(spec)
		}
		if c < 0 {
			result += c
		} else {
			result = c
		}
	}
	return max(result, 0), nil
}

// term resolves term and terms values for f.
func (rs *resolver) term(f Field, values []*strictjson.Node, caseInsensitive bool) (Query, error) {
	switch f.Kind() {
	case Date:
		if caseInsensitive {
			return nil, queryShardError(invalid("[%s] field which is of type [date], does not support case insensitive term queries", f.IndexName()))
		}
		var out []Query
		for _, v := range values {
			text := keywordText(v)
			lo, err := parseDateMath(text, defaultDateFormat, nil, rs.now, false)
			if err != nil {
				return nil, dateError(err)
			}
			hi, err := parseDateMath(text, defaultDateFormat, nil, rs.now, true)
			if err != nil {
				return nil, dateError(err)
			}
			out = append(out, &Range{Field: f, From: lo, To: hi, IncludeFrom: true, IncludeTo: true})
		}
		if len(out) == 1 {
			return out[0], nil
		}
		return &Bool{Should: out, MinShould: 1}, nil
	case Boolean:
		if caseInsensitive {
			return nil, queryShardError(invalid("[%s] field which is of type [boolean], does not support case insensitive term queries", f.IndexName()))
		}
		t := &Term{Field: f}
		for _, v := range values {
			b, err := booleanTerm(v)
			if err != nil {
				return nil, err
			}
			t.Values = append(t.Values, b)
		}
		return t, nil
	}
	t := &Term{Field: f, CaseInsensitive: caseInsensitive}
	for _, v := range values {
		t.Values = append(t.Values, keywordText(v))
	}
	return t, nil
}

// dateError reports a date that does not parse, as the shard does.
func dateError(err error) error {
	if e, ok := api.AsError(err); ok {
		return ShardFailure(e)
	}
	return err
}

// booleanTerm is the indexed value of a boolean: 1 or 0.
func booleanTerm(v *strictjson.Node) (int64, error) {
	switch v.Kind {
	case strictjson.True:
		return 1, nil
	case strictjson.False:
		return 0, nil
	}
	s := keywordText(v)
	switch s {
	case "true":
		return 1, nil
	case "false", "":
		return 0, nil
	}
	return 0, queryShardError(invalid("Can't parse boolean value [%s], expected [true] or [false]", s))
}

// keywordText is a value as a keyword field indexes it: strings as they
// are, numbers as Java prints them, booleans as true or false.
func keywordText(v *strictjson.Node) string {
	switch v.Kind {
	case strictjson.Number:
		return JavaNumber(v.Text)
	case strictjson.True:
		return "true"
	case strictjson.False:
		return "false"
	}
	return v.Text
}

// JavaNumber renders a JSON number literal as Elasticsearch turns it into
// a term: integers as their digits, other numbers as Java's
// Double.toString prints them (1.50 is 1.5, 1e10 is 1.0E10).
func JavaNumber(text string) string {
	if !strings.ContainsAny(text, ".eE") {
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return strconv.FormatInt(n, 10)
		}
		if b, ok := new(big.Int).SetString(text, 10); ok {
			return b.String()
		}
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return text
	}
	return JavaDouble(f)
}

// JavaDouble is Java's Double.toString: plain decimals between 10^-3 and
// 10^7, computerized scientific notation (1.0E10) otherwise.
func JavaDouble(d float64) string {
	switch {
	case math.IsNaN(d):
		return "NaN"
	case math.IsInf(d, 1):
		return "Infinity"
	case math.IsInf(d, -1):
		return "-Infinity"
	case d == 0:
		if math.Signbit(d) {
			return "-0.0"
		}
		return "0.0"
	}
	if a := math.Abs(d); a >= 1e-3 && a < 1e7 {
		s := strconv.FormatFloat(d, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(d, 'E', -1, 64)
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	neg := strings.HasPrefix(exp, "-")
	exp = strings.TrimLeft(strings.TrimLeft(exp, "+-"), "0")
	if exp == "" {
		exp = "0"
	}
	if neg {
		exp = "-" + exp
	}
	return mant + "E" + exp
}

func (rs *resolver) rangeQuery(f Field, q *dslRange) (Query, error) {
	switch f.Kind() {
	case Date:
		format := defaultDateFormat
		if q.format != nil {
			df, err := ParseDateFormat(*q.format)
			if err != nil {
				return nil, queryShardError(err.(*api.Error))
			}
			format = df
		}
		var loc *time.Location
		if q.timeZone != nil {
			loc, _ = ParseTimeZone(*q.timeZone)
		}
		r := &Range{Field: f, IncludeFrom: true, IncludeTo: true}
		if q.from != nil {
			ms, err := parseDateMath(keywordText(q.from), format, loc, rs.now, !q.includeFrom)
			if err != nil {
				return nil, dateError(err)
			}
			if !q.includeFrom {
				if ms == math.MaxInt64 {
					return MatchNone{}, nil
				}
				ms++
			}
			r.From = ms
		}
		if q.to != nil {
			ms, err := parseDateMath(keywordText(q.to), format, loc, rs.now, q.includeTo)
			if err != nil {
				return nil, dateError(err)
			}
			if !q.includeTo {
				if ms == math.MinInt64 {
					return MatchNone{}, nil
				}
				ms--
			}
			r.To = ms
		}
		return r, nil
	case Boolean:
		if q.timeZone != nil {
			return nil, queryShardError(invalid("[range] time_zone can not be applied to non date field [%s]", f.IndexName()))
		}
		r := &Range{Field: f, IncludeFrom: q.includeFrom, IncludeTo: q.includeTo}
		if q.from != nil {
			b, err := booleanTerm(q.from)
			if err != nil {
				return nil, err
			}
			r.From = b
		}
		if q.to != nil {
			b, err := booleanTerm(q.to)
			if err != nil {
				return nil, err
			}
			r.To = b
		}
		return r, nil
	}
	if q.timeZone != nil {
		return nil, queryShardError(invalid("[range] time_zone can not be applied to non date field [%s]", f.IndexName()))
	}
	r := &Range{Field: f, IncludeFrom: q.includeFrom, IncludeTo: q.includeTo}
	if q.from != nil {
		r.From = keywordText(q.from)
	}
	if q.to != nil {
		r.To = keywordText(q.to)
	}
	return r, nil
}

// sort resolves a sort clause on the shard.
func (rs *resolver) sort(s dslSort) (Sort, error) {
	if s.field == "_doc" {
		return Sort{Doc: true, Desc: s.desc}, nil
	}
	f, _ := rs.schema.translate(s.field, true)
	out := Sort{Field: f, Desc: s.desc, Max: s.desc}
	if f.Kind() == Text {
		return out, ShardFailure(invalid("Fielddata is disabled on [%s] in [%s]. Text fields are not optimised for operations that require "+
			"per-document field data like aggregations and sorting, so these operations are disabled by default. Please use a keyword field instead. "+
			"Alternatively, set fielddata=true on [%s] in order to load field data by uninverting the inverted index. Note that this can use significant memory.",
			f.IndexName(), securityIndex, f.IndexName()))
	}
	switch s.mode {
	case "min":
		out.Max = false
	case "max":
		out.Max = true
	case "sum", "avg", "median":
		if !f.Numeric() {
			return out, ShardFailure(typed("query_shard_exception", "we only support AVG, MEDIAN and SUM on number based fields"))
		}
	}
	if s.numericType != "" {
		if !f.Numeric() {
			return out, ShardFailure(typed("query_shard_exception", "[numeric_type] option cannot be set on a non-numeric field, got %s", f.typeName()))
		}
		if s.numericType == "double" || s.numericType == "date_nanos" {
			out.NumericType = s.numericType
		}
	}
	if s.format != nil {
		if f.Kind() != Date {
			return out, ShardFailure(invalid("Field [%s] of type [%s] does not support custom formats", f.IndexName(), f.typeName()))
		}
		df, err := ParseDateFormat(*s.format)
		if err != nil {
			return out, ShardFailure(err.(*api.Error))
		}
		out.Format = df
	}
	if s.missing != nil {
		text := keywordText(s.missing)
		switch {
		case text == "_last":
		case text == "_first":
			out.MissingFirst = true
		case f.Numeric():
			d, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
			if err != nil {
				return out, ShardFailure(typed("number_format_exception", "For input string: \"%s\"", text))
			}
			out.Missing = int64(d)
		default:
			out.Missing = text
		}
	}
	return out, nil
}

// searchAfter types the search_after values after the sort.
func (rs *resolver) searchAfter(values []*strictjson.Node, sorts []Sort) ([]any, error) {
	if len(sorts) == 0 {
		return nil, ShardFailure(invalid("Sort must contain at least one field."))
	}
	if len(values) != len(sorts) {
		return nil, ShardFailure(invalid("search_after has %d value(s) but sort has %d.", len(values), len(sorts)))
	}
	out := make([]any, len(values))
	for i, v := range values {
		s := sorts[i]
		fail := func() error {
			name := "_doc"
			if !s.Doc {
				name = s.Field.IndexName()
			}
			return ShardFailure(invalid("Failed to parse search_after value for field [%s].", name))
		}
		if s.Doc || s.Field.Numeric() {
			switch v.Kind {
			case strictjson.Number:
				n, err := strconv.ParseInt(v.Text, 10, 64)
				if err != nil {
					f, ferr := strconv.ParseFloat(v.Text, 64)
					if ferr != nil {
						return nil, fail()
					}
					n = int64(f)
				}
				out[i] = n
			case strictjson.String:
				if n, err := strconv.ParseInt(v.Text, 10, 64); err == nil {
					out[i] = n
					continue
				}
				if s.Field.Kind() == Date {
					format := s.Format
					if format == nil {
						format = defaultDateFormat
					}
					ms, err := format.parse(v.Text, nil, false)
					if err != nil {
						return nil, ShardFailure(err.(*api.Error))
					}
					out[i] = ms
					continue
				}
				return nil, fail()
			default:
				return nil, fail()
			}
			continue
		}
		switch v.Kind {
		case strictjson.Null:
			out[i] = nil
		case strictjson.String, strictjson.Number, strictjson.True, strictjson.False:
			out[i] = keywordText(v)
		default:
			return nil, fail()
		}
	}
	return out, nil
}
