package query

import (
	"bytes"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/strictjson"
)

// Limits of a search, as Elasticsearch sets them.
const (
	// DefaultSize is the number of keys a page holds when size is absent.
	DefaultSize = 10
	// MaxResultWindow is index.max_result_window: from+size may not pass it.
	MaxResultWindow = 10000
)

// Options are what parsing needs besides the body.
type Options struct {
	// Now is the instant "now" stands for in date math; time.Now when zero.
	Now time.Time
}

// Search is what a store runs: which keys (Query), in which order (Sort,
// then index order), which page (SearchAfter, From, Size).
type Search struct {
	// Query selects keys; nil selects every key.
	Query Query
	// Sort orders the keys; empty means index order (_doc).
	Sort []Sort
	// SearchAfter, when set, has one value per Sort clause, typed as the
	// clause's sort values are, and keeps only the keys that sort strictly
	// after it.
	SearchAfter []any
	From, Size  int
}

// Request is a parsed query API keys request.
type Request struct {
	Search
	// Aggs are the aggregations asked for, in request order.
	Aggs []*Agg
}

// Sorted reports whether the request asked for a sort, so that each key
// carries its _sort values.
func (r *Request) Sorted() bool { return len(r.Sort) > 0 }

// Sort is one sort clause.
type Sort struct {
	// Doc sorts by index order (_doc); Field is unset then.
	Doc   bool
	Field Field
	Desc  bool
	// MissingFirst puts keys without a value first (missing: _first);
	// by default they go last, whatever the order.
	MissingFirst bool
	// Missing is the value keys without one sort as (missing: <value>),
	// typed like the field's values; nil when _first or _last.
	Missing any
	// Max picks the largest of several values (metadata), as mode max or
	// a descending order does; the smallest otherwise.
	Max bool
	// Format prints date sort values in _sort; nil leaves them numbers.
	Format *DateFormat
	// NumericType converts date sort values: "double" or "date_nanos";
	// empty, "long" and "date" leave them epoch milliseconds.
	NumericType string
}

// NumericMissing is the value a key without a date sorts as: the missing
// value, or the end of the long range where missing keys go (Lucene's
// missing-value substitution, visible in _sort as 9223372036854775807).
func (s Sort) NumericMissing() int64 {
	if v, ok := s.Missing.(int64); ok {
		return v
	}
	if s.Desc == s.MissingFirst {
		return math.MaxInt64
	}
	return math.MinInt64
}

// Parse reads and resolves a request body: Read, then Resolve.
func Parse(body []byte, opts Options) (*Request, error) {
	b, err := Read(body)
	if err != nil {
		return nil, err
	}
	return b.Resolve(opts)
}

// Body is a request body as Elasticsearch's REST layer reads it, before
// the request is authorized and translated for the security index.
type Body struct {
	raw rawBody
}

// Read parses the body of a query API keys request (empty: every key, the
// first ten) and validates from and size: the errors Elasticsearch
// answers before it checks the caller's privileges.
func Read(body []byte) (*Body, error) {
	b := &Body{}
	if len(bytes.TrimSpace(body)) > 0 {
		root, err := strictjson.Parse(body)
		if err != nil {
			if se, ok := err.(*strictjson.SyntaxError); ok {
				return nil, api.Errorf(api.ParseFailed, "%s", se.Error())
			}
			return nil, err
		}
		if root.Kind != strictjson.Object {
			return nil, xcontentError(root.Pos, "[%s] Expected START_OBJECT but was: %s", payloadParser, root.Kind.Token())
		}
		if err := b.raw.read(root); err != nil {
			return nil, err
		}
	}
	var v api.Validation
	if b.raw.from != nil && *b.raw.from < 0 {
		v.Add("[from] parameter cannot be negative but was [%d]", *b.raw.from)
	}
	if b.raw.size != nil && *b.raw.size < 0 {
		v.Add("[size] parameter cannot be negative but was [%d]", *b.raw.size)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return b, nil
}

// Resolve translates the body for the security index and resolves it as
// the shard does: the errors are those Elasticsearch answers for the same
// body, in the order it meets them.
func (body *Body) Resolve(opts Options) (*Request, error) {
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	b := &body.raw
	// The transport action translates the query, the sort and the
	// aggregations for the security index.
	if b.query != nil {
		if err := checkQuery(b.query); err != nil {
			return nil, err
		}
	}
	for _, s := range b.sort {
		if s.nested {
			return nil, invalid("nested sorting is not currently supported in this context")
		}
		if s.field != "_doc" {
			if _, err := translate(s.field, true); err != nil {
				return nil, err
			}
		}
	}
	if err := checkAggs(b.aggs, true); err != nil {
		return nil, err
	}
	// SearchRequest.validate
	if len(b.searchAfter) > 0 && b.from != nil && *b.from > 0 {
		var v api.Validation
		v.Add("[from] parameter must be set to 0 when [search_after] is used")
		return nil, v.Err()
	}
	// The shard: query, aggregations, sort, search_after, result window.
	r := &Request{}
	r.From, r.Size = 0, DefaultSize
	if b.from != nil {
		r.From = *b.from
	}
	if b.size != nil {
		r.Size = *b.size
	}
	rs := &resolver{now: now}
	if b.query != nil {
		q, err := rs.query(b.query)
		if err != nil {
			return nil, err
		}
		r.Query = q
	}
	aggs, err := rs.aggs(b.aggs, nil)
	if err != nil {
		return nil, err
	}
	r.Aggs = aggs
	for _, s := range b.sort {
		rsort, err := rs.sort(s)
		if err != nil {
			return nil, err
		}
		r.Sort = append(r.Sort, rsort)
	}
	if len(b.searchAfter) > 0 {
		sa, err := rs.searchAfter(b.searchAfter, r.Sort)
		if err != nil {
			return nil, err
		}
		r.SearchAfter = sa
	}
	if window := int64(r.From) + int64(r.Size); window > MaxResultWindow {
		return nil, ShardFailure(invalid("Result window is too large, from + size must be less than or equal to: [%d] but was [%d]. "+
			"See the scroll api for a more efficient way to request large data sets. "+
			"This limit can be set by changing the [index.max_result_window] index level setting.", MaxResultWindow, window))
	}
	return r, nil
}

// rawBody is the request body as read, before translation.
type rawBody struct {
	query       dslQuery
	from, size  *int
	sort        []dslSort
	searchAfter []*strictjson.Node
	aggs        []*dslAgg
}

func (b *rawBody) read(root *strictjson.Node) error {
	aggsSeen := ""
	for _, m := range root.Members {
		v := m.Value
		switch m.Key {
		case "query":
			if v.Kind != strictjson.Object {
				return xcontentError(m.KeyPos, "[%s] query doesn't support values of type: %s", payloadParser, v.Kind.Token())
			}
			q, err := parseInnerQuery(v)
			if err != nil {
				return fieldFailure(payloadParser, m.Key, m.KeyPos, err)
			}
			b.query = q
		case "from", "size":
			if v.Kind != strictjson.Number && v.Kind != strictjson.String {
				return xcontentError(m.KeyPos, "[%s] %s doesn't support values of type: %s", payloadParser, m.Key, v.Kind.Token())
			}
			n, err := intValue(v)
			if err != nil {
				return fieldFailure(payloadParser, m.Key, m.KeyPos, err)
			}
			if m.Key == "from" {
				b.from = &n
			} else {
				b.size = &n
			}
		case "sort":
			s, err := parseSort(v)
			if err != nil {
				if e, ok := api.AsError(err); ok && e.Code == api.ParseFailed && strings.Contains(e.Reason, "["+payloadParser+"]") {
					return err
				}
				return fieldFailure(payloadParser, m.Key, m.KeyPos, err)
			}
			b.sort = s
		case "search_after":
			sa, err := parseSearchAfter(v)
			if err != nil {
				if e, ok := api.AsError(err); ok && e.Code == api.ParseFailed {
					return err
				}
				return fieldFailure(payloadParser, m.Key, m.KeyPos, err)
			}
			b.searchAfter = sa
		case "aggs", "aggregations":
			if aggsSeen != "" {
				return fieldFailure(payloadParser, m.Key, m.KeyPos, invalid("Can't repeat param [aggs]"))
			}
			aggsSeen = m.Key
			a, err := parseAggs(v)
			if err != nil {
				if e, ok := api.AsError(err); ok && e.Code == api.ParseFailed && strings.Contains(e.Reason, "["+payloadParser+"]") {
					return err
				}
				return fieldFailure(payloadParser, m.Key, m.KeyPos, err)
			}
			b.aggs = a
		default:
			return xcontentError(m.KeyPos, "[%s] unknown field [%s]", payloadParser, m.Key)
		}
	}
	return nil
}

// checkQuery translates the field names of a query and refuses the query
// types the API key query does not support, as Elasticsearch's
// FieldNameTranslators does before running the search.
func checkQuery(q dslQuery) error {
	switch q := q.(type) {
	case dslOther:
		return invalid("Query type [%s] is not currently supported in this context", q.name)
	case *dslBool:
		for _, list := range [][]dslQuery{q.must, q.should, q.mustNot, q.filter} {
			for _, c := range list {
				if err := checkQuery(c); err != nil {
					return err
				}
			}
		}
	case *dslTerm:
		_, err := translate(q.field, false)
		return err
	case *dslTerms:
		if q.lookup {
			return invalid("terms query with terms lookup is not currently supported in this context")
		}
		_, err := translate(q.field, false)
		return err
	case *dslRange:
		if q.relation != nil {
			return invalid("range query with relation is not currently supported in this context")
		}
		_, err := translate(q.field, false)
		return err
	case *dslPrefix:
		_, err := translate(q.field, false)
		return err
	case *dslWildcard:
		_, err := translate(q.field, false)
		return err
	case *dslExists:
		_, err := translate(q.field, false)
		return err
	case *dslMatch:
		_, err := translate(q.field, false)
		return err
	}
	return nil
}

// resolver turns translated dsl values into the tree, with the errors of
// the shard.
type resolver struct {
	now time.Time
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
		f, _ := translate(q.field, false)
		return rs.term(f, []*strictjson.Node{q.value}, q.caseInsensitive)
	case *dslTerms:
		f, _ := translate(q.field, false)
		if len(q.values) == 0 {
			return MatchNone{}, nil
		}
		return rs.term(f, q.values, false)
	case *dslRange:
		f, _ := translate(q.field, false)
		return rs.rangeQuery(f, q)
	case *dslPrefix:
		f, _ := translate(q.field, false)
		if err := stringOnly(f, "prefix"); err != nil {
			return nil, err
		}
		return &Prefix{Field: f, Value: q.value, CaseInsensitive: q.caseInsensitive}, nil
	case *dslWildcard:
		f, _ := translate(q.field, false)
		if err := stringOnly(f, "wildcard"); err != nil {
			return nil, err
		}
		return &Wildcard{Field: f, Pattern: q.value, CaseInsensitive: q.caseInsensitive}, nil
	case *dslExists:
		f, _ := translate(q.field, false)
		return &Exists{Field: f}, nil
	case *dslMatch:
		f, _ := translate(q.field, false)
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
	f, _ := translate(s.field, true)
	out := Sort{Field: f, Desc: s.desc, Max: s.desc}
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
