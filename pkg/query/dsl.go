package query

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// This file reads the query DSL into dsl* values that mirror
// Elasticsearch's query builders, with the parse errors its parsers throw.
// Field names and query types are checked afterwards (checkQuery and
// checkAggs), and values resolved last (the resolver), in the order
// Elasticsearch meets the same mistakes: while reading the request, while
// translating it for the security index, and on the shard.

type dslQuery interface{}

type dslBool struct {
	must, filter, should, mustNot []dslQuery
	msm                           *string
}

type dslMatchAll struct{}

// dslOther is a query type Elasticsearch knows but the API key query
// refuses.
type dslOther struct{ name string }

type dslIDs struct{ values []string }

type dslTerm struct {
	field           string
	value           *node
	caseInsensitive bool
}

type dslTerms struct {
	field  string
	values []*node
	lookup bool
}

type dslRange struct {
	field                  string
	from, to               *node
	includeFrom, includeTo bool
	format, timeZone       *string
	relation               *string
}

type dslPrefix struct {
	field, value    string
	caseInsensitive bool
}

type dslWildcard struct {
	field, value    string
	caseInsensitive bool
}

type dslExists struct{ field string }

type dslMatch struct {
	field          string
	query          *node
	operatorAnd    bool
	analyzer       string
	fuzziness      *string
	prefixLength   int
	maxExpansions  int
	transpositions bool
	lenient        bool
	msm            *string
	zeroTermsAll   bool
}

type dslSimpleQueryString struct {
	text              string
	fields            []string
	operatorAnd       bool
	analyzer          string
	flags             int
	lenient           *bool
	msm               *string
	fuzzyPrefixLength int
	fuzzyTranspose    bool
}

// knownQueries are the query types of Elasticsearch that the API key query
// does not support: they are refused as unsupported, not as unknown.
var knownQueries = []string{
	"bool", "boosting", "combined_fields", "constant_score", "dis_max", "distance_feature", "exists",
	"function_score", "fuzzy", "geo_bounding_box", "geo_distance", "geo_grid", "geo_polygon", "geo_shape",
	"has_child", "has_parent", "ids", "intervals", "knn", "match", "match_all", "match_bool_prefix",
	"match_none", "match_phrase", "match_phrase_prefix", "more_like_this", "multi_match", "nested",
	"parent_id", "percolate", "pinned", "prefix", "query_string", "range", "rank_feature", "regexp",
	"rule", "script", "script_score", "semantic", "shape", "simple_query_string", "span_containing",
	"span_field_masking", "span_first", "span_gap", "span_multi", "span_near", "span_not", "span_or",
	"span_term", "span_within", "sparse_vector", "term", "terms", "terms_set", "text_expansion",
	"weighted_tokens", "wildcard", "wrapper",
}

// suggest is Elasticsearch's SuggestingErrorOnUnknown: " did you mean
// [x]?" for candidates that look like name.
func suggest(name string, candidates []string) string {
	type scored struct {
		s float64
		c string
	}
	var list []scored
	for _, c := range candidates {
		if s := similarity(name, c); s > 0.7 {
			list = append(list, scored{s, c})
		}
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].s != list[j].s {
			return list[i].s > list[j].s
		}
		return list[i].c < list[j].c
	})
	switch len(list) {
	case 0:
		return ""
	case 1:
		return " did you mean [" + list[0].c + "]?"
	}
	names := make([]string, len(list))
	for i, s := range list {
		names[i] = s.c
	}
	return " did you mean any of [" + strings.Join(names, ", ") + "]?"
}

// similarity is Lucene's LevenshteinDistance: 1 - distance / longer length.
func similarity(a, b string) float64 {
	ra, rb := []rune(a), []rune(b)
	if len(ra) == 0 || len(rb) == 0 {
		if len(ra) == len(rb) {
			return 1
		}
		return 0
	}
	d := editDistance(ra, rb, false)
	return 1 - float64(d)/float64(max(len(ra), len(rb)))
}

// parseInnerQuery reads {"<type>": {...}}, as AbstractQueryBuilder's
// parseInnerQueryBuilder does.
func parseInnerQuery(n *node) (dslQuery, error) {
	if n.kind != kObject {
		return nil, parsingError(n.pos, "[_na] query malformed, must start with start_object")
	}
	if len(n.members) == 0 {
		return nil, invalid("query malformed, empty clause found at %s", pos{n.pos.line, n.pos.col + 1})
	}
	m := n.members[0]
	if m.val.kind != kObject {
		return nil, parsingError(m.val.pos, "[%s] query malformed, no start_object after query name", m.key)
	}
	q, err := parseQueryType(m.key, m.keyPos, m.val)
	if err != nil {
		return nil, err
	}
	if len(n.members) > 1 {
		return nil, parsingError(n.members[1].keyPos, "[%s] malformed query, expected [END_OBJECT] but found [FIELD_NAME]", m.key)
	}
	return q, nil
}

func parseQueryType(name string, at pos, body *node) (dslQuery, error) {
	switch name {
	case "bool":
		return parseBool(body)
	case "match_all":
		return parseMatchAll(body)
	case "ids":
		return parseIDs(body)
	case "term":
		return parseTerm(body)
	case "terms":
		return parseTerms(body)
	case "range":
		return parseRange(body)
	case "prefix":
		return parsePrefixLike(body, "prefix")
	case "wildcard":
		return parsePrefixLike(body, "wildcard")
	case "exists":
		return parseExists(body)
	case "match":
		return parseMatch(body)
	case "simple_query_string":
		return parseSimpleQueryString(body)
	}
	for _, k := range knownQueries {
		if k == name {
			return dslOther{name: name}, nil
		}
	}
	return nil, parsingError(at, "unknown query [%s]%s", name, suggest(name, knownQueries))
}

// scalar is the text of a string, number or boolean node.
func scalar(n *node) (string, bool) { return n.scalarText() }

// textValue is parser.text() of a value token; objects and arrays are
// refused with the query's message.
func textValue(qname, field string, n *node) (string, error) {
	s, ok := scalar(n)
	if !ok {
		if n.kind == kNull {
			return "", invalid("[%s] %s doesn't support values of type: %s", qname, field, n.kind.token())
		}
		return "", parsingError(n.pos, "[%s] query does not support [%s]", qname, field)
	}
	return s, nil
}

// boolValue reads a boolean as XContentParser.booleanValue does: JSON
// true or false, or the strings "true" and "false".
func boolValue(n *node) (bool, error) {
	switch n.kind {
	case kTrue:
		return true, nil
	case kFalse:
		return false, nil
	case kString:
		switch n.text {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return false, invalid("Failed to parse value [%s] as only [true] or [false] are allowed.", n.text)
	}
	return false, parsingError(n.pos, "Failed to parse boolean value of type [%s]", n.kind.token())
}

// intValue reads an int as XContentParser.intValue does: a number
// (truncated) or a numeric string.
func intValue(n *node) (int, error) {
	var text string
	switch n.kind {
	case kNumber, kString:
		text = strings.TrimSpace(n.text)
	default:
		return 0, parsingError(n.pos, "Current token (%s) not numeric, can not use numeric value accessors", n.kind.token())
	}
	if v, err := strconv.ParseInt(text, 10, 64); err == nil {
		if v > 2147483647 || v < -2147483648 {
			return 0, invalid("Numeric value (%s) out of range of int (-2147483648 - 2147483647)", text)
		}
		return int(v), nil
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return 0, typed("number_format_exception", "For input string: \"%s\"", text)
	}
	if f > 2147483647 || f < -2147483648 {
		return 0, invalid("Numeric value (%s) out of range of int (-2147483648 - 2147483647)", text)
	}
	return int(f), nil
}

// floatValue checks a boost.
func floatValue(n *node) error {
	if n.kind != kNumber && n.kind != kString {
		return parsingError(n.pos, "Current token (%s) not numeric, can not use numeric value accessors", n.kind.token())
	}
	if _, err := strconv.ParseFloat(strings.TrimSpace(n.text), 64); err != nil {
		return typed("number_format_exception", "For input string: \"%s\"", n.text)
	}
	return nil
}

// multipleFields is throwParsingExceptionOnMultipleFields.
func multipleFields(qname string, at pos, first, second string) error {
	return parsingError(at, "[%s] query doesn't support multiple fields, found [%s] and [%s]", qname, first, second)
}

// common handles boost and _name, accepted by every query.
func common(qname, key string, n *node) (bool, error) {
	switch key {
	case "boost":
		return true, floatValue(n)
	case "_name":
		if _, ok := scalar(n); !ok {
			return true, parsingError(n.pos, "[%s] query does not support [%s]", qname, key)
		}
		return true, nil
	}
	return false, nil
}

func parseBool(body *node) (dslQuery, error) {
	q := &dslBool{}
	for _, m := range body.members {
		var dst *[]dslQuery
		switch m.key {
		case "must":
			dst = &q.must
		case "filter":
			dst = &q.filter
		case "should":
			dst = &q.should
		case "must_not", "mustNot":
			dst = &q.mustNot
		}
		switch m.val.kind {
		case kObject:
			if dst == nil {
				return nil, parsingError(m.val.pos, "[bool] query does not support [%s]", m.key)
			}
			c, err := parseInnerQuery(m.val)
			if err != nil {
				return nil, err
			}
			*dst = append(*dst, c)
		case kArray:
			if dst == nil {
				return nil, parsingError(m.val.pos, "bool query does not support [%s]", m.key)
			}
			for _, e := range m.val.elems {
				c, err := parseInnerQuery(e)
				if err != nil {
					return nil, err
				}
				*dst = append(*dst, c)
			}
		default:
			if ok, err := common("bool", m.key, m.val); ok {
				if err != nil {
					return nil, err
				}
				continue
			}
			switch m.key {
			case "minimum_should_match", "minimumShouldMatch":
				if m.val.kind == kNull {
					q.msm = nil
					continue
				}
				s, err := textValue("bool", m.key, m.val)
				if err != nil {
					return nil, err
				}
				q.msm = &s
			case "adjust_pure_negative":
				if _, err := boolValue(m.val); err != nil {
					return nil, err
				}
			default:
				return nil, parsingError(m.val.pos, "[bool] query does not support [%s]", m.key)
			}
		}
	}
	return q, nil
}

func parseMatchAll(body *node) (dslQuery, error) {
	for _, m := range body.members {
		if ok, err := common("match_all", m.key, m.val); ok {
			if err != nil {
				return nil, fieldFailure("match_all", m.key, m.keyPos, err)
			}
			continue
		}
		return nil, xcontentError(m.keyPos, "[match_all] unknown field [%s]", m.key)
	}
	return dslMatchAll{}, nil
}

func parseIDs(body *node) (dslQuery, error) {
	q := &dslIDs{values: []string{}}
	for _, m := range body.members {
		if ok, err := common("ids", m.key, m.val); ok {
			if err != nil {
				return nil, fieldFailure("ids", m.key, m.keyPos, err)
			}
			continue
		}
		if m.key != "values" {
			return nil, xcontentError(m.keyPos, "[ids] unknown field [%s]", m.key)
		}
		elems := m.val.elems
		switch m.val.kind {
		case kArray:
		case kString, kNumber:
			elems = []*node{m.val}
		default:
			return nil, xcontentError(m.keyPos, "[ids] values doesn't support values of type: %s", m.val.kind.token())
		}
		for _, e := range elems {
			s, ok := scalar(e)
			if !ok || e.kind == kTrue || e.kind == kFalse {
				return nil, xcontentError(m.keyPos, "[ids] failed to parse field [values]").Wrap(invalid("[values] must be an array of strings"))
			}
			q.values = append(q.values, s)
		}
	}
	return q, nil
}

func parseTerm(body *node) (dslQuery, error) {
	q := &dslTerm{}
	seen := false
	for _, m := range body.members {
		switch m.val.kind {
		case kObject:
			if seen {
				return nil, multipleFields("term", m.val.pos, q.field, m.key)
			}
			seen, q.field = true, m.key
			for _, in := range m.val.members {
				switch in.key {
				case "value", "term":
					if in.val.kind == kArray {
						return nil, parsingError(in.val.pos, "[term] query does not support arrays for value - use a bool query with multiple term clauses in the should section or use a Terms query if scoring is not required")
					}
					if in.val.kind == kObject {
						return nil, parsingError(in.val.pos, "[term] query does not support [%s]", in.key)
					}
					if in.val.kind == kNull {
						q.value = nil
						continue
					}
					q.value = in.val
				case "case_insensitive":
					b, err := boolValue(in.val)
					if err != nil {
						return nil, err
					}
					q.caseInsensitive = b
				default:
					if ok, err := common("term", in.key, in.val); ok {
						if err != nil {
							return nil, err
						}
						continue
					}
					return nil, parsingError(in.val.pos, "[term] query does not support [%s]", in.key)
				}
			}
		case kArray:
			return nil, parsingError(m.val.pos, "[term] query does not support array of values")
		default:
			if seen {
				return nil, multipleFields("term", m.val.pos, q.field, m.key)
			}
			seen, q.field = true, m.key
			if m.val.kind != kNull {
				q.value = m.val
			}
		}
	}
	if q.field == "" {
		return nil, invalid("field name is null or empty")
	}
	if q.value == nil {
		return nil, invalid("value cannot be null")
	}
	return q, nil
}

func parseTerms(body *node) (dslQuery, error) {
	q := &dslTerms{}
	seen := false
	for _, m := range body.members {
		switch m.val.kind {
		case kArray:
			if seen {
				return nil, parsingError(m.val.pos, "[terms] query does not support multiple fields")
			}
			seen, q.field = true, m.key
			for _, e := range m.val.elems {
				if e.kind == kNull {
					return nil, parsingError(e.pos, "No value specified for terms query")
				}
				if _, ok := scalar(e); !ok {
					return nil, parsingError(e.pos, "Invalid value for terms query: %s", e.kind.token())
				}
				q.values = append(q.values, e)
			}
		case kObject:
			if seen {
				return nil, parsingError(m.val.pos, "[terms] query does not support more than one field. Already got: [%s] but also found [%s]", q.field, m.key)
			}
			seen, q.field, q.lookup = true, m.key, true
		default:
			if ok, err := common("terms", m.key, m.val); ok {
				if err != nil {
					return nil, err
				}
				continue
			}
			return nil, parsingError(m.val.pos, "[terms] query does not support [%s]", m.key)
		}
	}
	if !seen {
		return nil, parsingError(body.pos, "[terms] query requires a field name, followed by array of terms or a document lookup specification")
	}
	if q.field == "" {
		return nil, invalid("field name cannot be null.")
	}
	return q, nil
}

func parseRange(body *node) (dslQuery, error) {
	q := &dslRange{includeFrom: true, includeTo: true}
	seen := false
	for _, m := range body.members {
		if m.val.kind != kObject {
			if ok, err := common("range", m.key, m.val); ok {
				if err != nil {
					return nil, err
				}
				continue
			}
			return nil, parsingError(m.val.pos, "[range] query does not support [%s]", m.key)
		}
		if seen {
			return nil, multipleFields("range", m.val.pos, q.field, m.key)
		}
		seen, q.field = true, m.key
		for _, in := range m.val.members {
			v := in.val
			if v.kind == kObject || v.kind == kArray {
				return nil, parsingError(v.pos, "[range] query does not support [%s]", in.key)
			}
			bound := v
			if v.kind == kNull {
				bound = nil
			}
			switch in.key {
			case "from":
				q.from = bound
			case "to":
				q.to = bound
			case "include_lower":
				b, err := boolValue(v)
				if err != nil {
					return nil, err
				}
				q.includeFrom = b
			case "include_upper":
				b, err := boolValue(v)
				if err != nil {
					return nil, err
				}
				q.includeTo = b
			case "gt":
				q.from, q.includeFrom = bound, false
			case "gte":
				q.from, q.includeFrom = bound, true
			case "lt":
				q.to, q.includeTo = bound, false
			case "lte":
				q.to, q.includeTo = bound, true
			case "format", "time_zone", "relation":
				s, ok := scalar(v)
				if !ok {
					return nil, parsingError(v.pos, "[range] query does not support [%s]", in.key)
				}
				switch in.key {
				case "format":
					// RangeQueryBuilder.format checks the pattern at once.
					if _, err := ParseDateFormat(s); err != nil {
						return nil, err
					}
					q.format = &s
				case "time_zone":
					if _, err := ParseTimeZone(s); err != nil {
						return nil, err
					}
					q.timeZone = &s
				case "relation":
					switch strings.ToLower(s) {
					case "intersects", "contains", "within":
					default:
						return nil, parsingError(v.pos, "[range] query does not support relation [%s]", s)
					}
					q.relation = &s
				}
			default:
				if ok, err := common("range", in.key, v); ok {
					if err != nil {
						return nil, err
					}
					continue
				}
				return nil, parsingError(v.pos, "[range] query does not support [%s]", in.key)
			}
		}
	}
	if q.field == "" {
		return nil, invalid("[range] query requires field name")
	}
	return q, nil
}

func parsePrefixLike(body *node, qname string) (dslQuery, error) {
	var field, value string
	hasValue, seen, ci := false, false, false
	for _, m := range body.members {
		if seen {
			return nil, multipleFields(qname, m.val.pos, field, m.key)
		}
		seen, field = true, m.key
		switch m.val.kind {
		case kObject:
			for _, in := range m.val.members {
				switch {
				case in.key == "value" || in.key == qname:
					if in.val.kind == kNull {
						hasValue = false
						continue
					}
					s, err := textValue(qname, in.key, in.val)
					if err != nil {
						return nil, err
					}
					value, hasValue = s, true
				case in.key == "case_insensitive":
					b, err := boolValue(in.val)
					if err != nil {
						return nil, err
					}
					ci = b
				case in.key == "rewrite":
					if _, ok := scalar(in.val); !ok {
						return nil, parsingError(in.val.pos, "[%s] query does not support [%s]", qname, in.key)
					}
				default:
					if ok, err := common(qname, in.key, in.val); ok {
						if err != nil {
							return nil, err
						}
						continue
					}
					return nil, parsingError(in.val.pos, "[%s] query does not support [%s]", qname, in.key)
				}
			}
		case kArray:
			return nil, parsingError(m.val.pos, "[%s] query does not support [%s]", qname, m.key)
		case kNull:
		default:
			s, _ := scalar(m.val)
			value, hasValue = s, true
		}
	}
	if field == "" {
		return nil, invalid("field name is null or empty")
	}
	if !hasValue {
		return nil, invalid("value cannot be null")
	}
	if qname == "prefix" {
		return &dslPrefix{field: field, value: value, caseInsensitive: ci}, nil
	}
	return &dslWildcard{field: field, value: value, caseInsensitive: ci}, nil
}

func parseExists(body *node) (dslQuery, error) {
	q := &dslExists{}
	hasField := false
	for _, m := range body.members {
		if m.key == "field" {
			s, err := textValue("exists", m.key, m.val)
			if err != nil {
				return nil, err
			}
			q.field, hasField = s, true
			continue
		}
		if ok, err := common("exists", m.key, m.val); ok {
			if err != nil {
				return nil, err
			}
			continue
		}
		return nil, parsingError(m.val.pos, "[exists] query does not support [%s]", m.key)
	}
	if !hasField {
		return nil, parsingError(body.pos, "[exists] must be provided with a [field]")
	}
	if q.field == "" {
		return nil, invalid("field name is null or empty")
	}
	return q, nil
}

func parseMatch(body *node) (dslQuery, error) {
	q := &dslMatch{maxExpansions: 50, transpositions: true}
	seen := false
	for _, m := range body.members {
		if seen {
			return nil, multipleFields("match", m.val.pos, q.field, m.key)
		}
		seen, q.field = true, m.key
		switch m.val.kind {
		case kObject:
			for _, in := range m.val.members {
				v := in.val
				if v.kind == kObject || v.kind == kArray {
					return nil, parsingError(v.pos, "[match] query does not support [%s]", in.key)
				}
				var err error
				switch in.key {
				case "query":
					if v.kind != kNull {
						q.query = v
					}
				case "analyzer":
					q.analyzer, err = textValue("match", in.key, v)
				case "operator":
					var s string
					if s, err = textValue("match", in.key, v); err == nil {
						switch strings.ToLower(s) {
						case "or":
							q.operatorAnd = false
						case "and":
							q.operatorAnd = true
						default:
							err = invalid("No enum constant org.elasticsearch.index.query.Operator.%s", strings.ToUpper(s))
						}
					}
				case "fuzziness":
					var s string
					if s, err = textValue("match", in.key, v); err == nil {
						q.fuzziness = &s
					}
				case "prefix_length":
					q.prefixLength, err = intValue(v)
				case "max_expansions":
					q.maxExpansions, err = intValue(v)
				case "fuzzy_transpositions":
					q.transpositions, err = boolValue(v)
				case "lenient":
					q.lenient, err = boolValue(v)
				case "minimum_should_match":
					var s string
					if s, err = textValue("match", in.key, v); err == nil {
						q.msm = &s
					}
				case "zero_terms_query":
					var s string
					if s, err = textValue("match", in.key, v); err == nil {
						switch strings.ToLower(s) {
						case "none":
						case "all":
							q.zeroTermsAll = true
						default:
							err = parsingError(v.pos, "Unsupported zero_terms_query value [%s]", s)
						}
					}
				case "fuzzy_rewrite", "cutoff_frequency":
					if in.key == "cutoff_frequency" {
						err = parsingError(v.pos, "cutoff_frequency is not supported. The [match] query can skip block of documents efficiently if the total number of hits is not tracked")
					} else {
						_, err = textValue("match", in.key, v)
					}
				case "auto_generate_synonyms_phrase_query":
					_, err = boolValue(v)
				default:
					if ok, cerr := common("match", in.key, v); ok {
						err = cerr
						break
					}
					err = parsingError(v.pos, "[match] query does not support [%s]", in.key)
				}
				if err != nil {
					return nil, err
				}
			}
		case kArray:
			return nil, parsingError(m.val.pos, "[match] unknown token [START_ARRAY] after [%s]", m.key)
		case kNull:
		default:
			q.query = m.val
		}
	}
	if q.field == "" {
		return nil, invalid("[match] requires fieldName")
	}
	if q.query == nil {
		return nil, invalid("[match] requires query value")
	}
	return q, nil
}

// Simple query string flags, as Lucene's SimpleQueryParser numbers them.
const (
	flagAnd        = 1 << 0
	flagNot        = 1 << 1
	flagOr         = 1 << 2
	flagPrefix     = 1 << 3
	flagPhrase     = 1 << 4
	flagPrecedence = 1 << 5
	flagEscape     = 1 << 6
	flagWhitespace = 1 << 7
	flagFuzzy      = 1 << 8
	flagNear       = 1 << 9
	flagAll        = -1
)

var flagNames = map[string]int{
	"ALL": flagAll, "NONE": 0, "AND": flagAnd, "NOT": flagNot, "OR": flagOr, "PREFIX": flagPrefix,
	"PHRASE": flagPhrase, "PRECEDENCE": flagPrecedence, "ESCAPE": flagEscape, "WHITESPACE": flagWhitespace,
	"FUZZY": flagFuzzy, "NEAR": flagNear, "SLOP": flagNear,
}

func parseSimpleQueryString(body *node) (dslQuery, error) {
	q := &dslSimpleQueryString{flags: flagAll, fuzzyTranspose: true}
	hasText := false
	for _, m := range body.members {
		v := m.val
		if v.kind == kArray {
			if m.key != "fields" {
				return nil, parsingError(v.pos, "[simple_query_string] query does not support [%s]", m.key)
			}
			for _, e := range v.elems {
				s, ok := scalar(e)
				if !ok {
					return nil, parsingError(e.pos, "[simple_query_string] query does not support [%s]", m.key)
				}
				name, _, _ := strings.Cut(s, "^")
				q.fields = append(q.fields, name)
			}
			continue
		}
		if v.kind == kObject {
			return nil, parsingError(v.pos, "[simple_query_string] query does not support [%s]", m.key)
		}
		var err error
		switch m.key {
		case "query":
			var s string
			if s, err = textValue("simple_query_string", m.key, v); err == nil {
				q.text, hasText = s, true
			}
		case "analyzer":
			q.analyzer, err = textValue("simple_query_string", m.key, v)
		case "default_operator":
			var s string
			if s, err = textValue("simple_query_string", m.key, v); err == nil {
				switch strings.ToLower(s) {
				case "or":
				case "and":
					q.operatorAnd = true
				default:
					err = parsingError(v.pos, "[simple_query_string] default operator [%s] is not allowed", s)
				}
			}
		case "flags":
			if v.kind == kNumber {
				var n int
				n, err = intValue(v)
				q.flags = n
				break
			}
			var s string
			if s, err = textValue("simple_query_string", m.key, v); err == nil {
				q.flags = 0
				for _, f := range strings.Split(s, "|") {
					f = strings.ToUpper(strings.TrimSpace(f))
					if f == "" {
						continue
					}
					bit, ok := flagNames[f]
					if !ok {
						return nil, invalid("Unknown simple_query_string flag [%s]", f)
					}
					if bit == flagAll {
						q.flags = flagAll
					} else if q.flags != flagAll {
						q.flags |= bit
					}
				}
			}
		case "lenient":
			var b bool
			if b, err = boolValue(v); err == nil {
				q.lenient = &b
			}
		case "minimum_should_match":
			var s string
			if s, err = textValue("simple_query_string", m.key, v); err == nil {
				q.msm = &s
			}
		case "fuzzy_prefix_length":
			q.fuzzyPrefixLength, err = intValue(v)
		case "fuzzy_max_expansions":
			_, err = intValue(v)
		case "fuzzy_transpositions":
			q.fuzzyTranspose, err = boolValue(v)
		case "analyze_wildcard", "auto_generate_synonyms_phrase_query":
			_, err = boolValue(v)
		case "quote_field_suffix":
			_, err = textValue("simple_query_string", m.key, v)
		default:
			if ok, cerr := common("simple_query_string", m.key, v); ok {
				err = cerr
				break
			}
			err = parsingError(v.pos, "[simple_query_string] unsupported field [%s]", m.key)
		}
		if err != nil {
			return nil, err
		}
	}
	if !hasText {
		return nil, parsingError(body.pos, "[simple_query_string] query text missing")
	}
	return q, nil
}

// dslSort is one sort clause as FieldSortBuilder reads it.
type dslSort struct {
	field       string
	desc        bool
	missing     *node
	mode        string
	format      *string
	numericType string
	nested      bool
}

// parseSort reads the sort array: field names, or {"field": "asc|desc"},
// or {"field": {options}}.
func parseSort(n *node) ([]dslSort, error) {
	elems := n.elems
	switch n.kind {
	case kArray:
	case kObject:
		elems = []*node{n}
	default:
		return nil, xcontentError(n.pos, "[%s] sort doesn't support values of type: %s", payloadParser, n.kind.token())
	}
	out := []dslSort{}
	for _, e := range elems {
		switch e.kind {
		case kString:
			out = append(out, dslSort{field: e.text, desc: e.text == "_score"})
		case kObject:
			if len(e.members) == 0 {
				return nil, parsingError(e.pos, "[%s] failed to parse field [sort]", payloadParser)
			}
			m := e.members[0]
			s := dslSort{field: m.key, desc: m.key == "_score"}
			switch m.val.kind {
			case kString:
				d, err := sortOrder(m.val.text)
				if err != nil {
					return nil, err
				}
				s.desc = d
			case kObject:
				if err := parseSortOptions(&s, m.val); err != nil {
					return nil, err
				}
			default:
				return nil, parsingError(m.val.pos, "expected [START_OBJECT] but found [%s]", m.val.kind.token())
			}
			if len(e.members) > 1 {
				return nil, parsingError(e.members[1].keyPos, "Failed to parse token [FIELD_NAME] expected [END_OBJECT]")
			}
			out = append(out, s)
		default:
			return nil, invalid("mal-formatted sort object")
		}
	}
	return out, nil
}

func sortOrder(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "asc":
		return false, nil
	case "desc":
		return true, nil
	}
	return false, invalid("Unknown SortOrder [%s]", s)
}

func parseSortOptions(s *dslSort, obj *node) error {
	for _, m := range obj.members {
		v := m.val
		fail := func(err error) error { return fieldFailure("field_sort", m.key, m.keyPos, err) }
		switch m.key {
		case "order":
			t, ok := scalar(v)
			if !ok {
				return xcontentError(m.keyPos, "[field_sort] order doesn't support values of type: %s", v.kind.token())
			}
			d, err := sortOrder(t)
			if err != nil {
				return fail(err)
			}
			s.desc = d
		case "missing":
			if v.kind == kObject || v.kind == kArray {
				return xcontentError(m.keyPos, "[field_sort] missing doesn't support values of type: %s", v.kind.token())
			}
			if v.kind != kNull {
				s.missing = v
			}
		case "mode":
			t, ok := scalar(v)
			if !ok {
				return xcontentError(m.keyPos, "[field_sort] mode doesn't support values of type: %s", v.kind.token())
			}
			switch strings.ToLower(t) {
			case "min", "max", "sum", "avg", "median":
				s.mode = strings.ToLower(t)
			default:
				return fail(invalid("Unknown SortMode [%s]", t))
			}
		case "format", "unmapped_type", "numeric_type":
			t, ok := scalar(v)
			if !ok {
				return xcontentError(m.keyPos, "[field_sort] %s doesn't support values of type: %s", m.key, v.kind.token())
			}
			switch m.key {
			case "format":
				s.format = &t
			case "numeric_type":
				switch strings.ToLower(t) {
				case "long", "double", "date", "date_nanos":
					s.numericType = strings.ToLower(t)
				default:
					return fail(invalid("invalid value for [numeric_type], must be [long, double, date, date_nanos], got %s", strings.ToLower(t)))
				}
			}
		case "nested", "nested_path", "nested_filter":
			s.nested = true
		default:
			return xcontentError(m.keyPos, "[field_sort] unknown field [%s]", m.key)
		}
	}
	return nil
}

// parseSearchAfter reads search_after: an array of strings, numbers,
// booleans and nulls.
func parseSearchAfter(n *node) ([]*node, error) {
	if n.kind != kArray {
		return nil, xcontentError(n.pos, "[%s] search_after doesn't support values of type: %s", payloadParser, n.kind.token())
	}
	for _, e := range n.elems {
		if e.kind == kObject || e.kind == kArray {
			return nil, parsingError(e.pos, "Expected [VALUE_STRING] or [VALUE_NUMBER] or [VALUE_BOOLEAN] or [VALUE_NULL] but found [%s] inside search_after.", e.kind.token())
		}
	}
	return n.elems, nil
}

// describe renders a node for messages.
func describe(n *node) string {
	if s, ok := scalar(n); ok {
		return s
	}
	return fmt.Sprint(n.kind.token())
}
