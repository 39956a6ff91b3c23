package query

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/strictjson"
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
	value           *strictjson.Node
	caseInsensitive bool
}

type dslTerms struct {
	field  string
	values []*strictjson.Node
	lookup bool
}

type dslRange struct {
	field                  string
	from, to               *strictjson.Node
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
	query          *strictjson.Node
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
	switch like := api.Similar(name, candidates, 0.7); len(like) {
	case 0:
		return ""
	case 1:
		return " did you mean [" + like[0] + "]?"
	default:
		return " did you mean any of [" + strings.Join(like, ", ") + "]?"
	}
}

// parseInnerQuery reads {"<type>": {...}}, as AbstractQueryBuilder's
// parseInnerQueryBuilder does.
func parseInnerQuery(n *strictjson.Node) (dslQuery, error) {
	if n.Kind != strictjson.Object {
		return nil, parsingError(n.Pos, "[_na] query malformed, must start with start_object")
	}
	if len(n.Members) == 0 {
		return nil, invalid("query malformed, empty clause found at %s", strictjson.Pos{Line: n.Pos.Line, Col: n.Pos.Col + 1})
	}
	m := n.Members[0]
	if m.Value.Kind != strictjson.Object {
		return nil, parsingError(m.Value.Pos, "[%s] query malformed, no start_object after query name", m.Key)
	}
	q, err := parseQueryType(m.Key, m.KeyPos, m.Value)
	if err != nil {
		return nil, err
	}
	if len(n.Members) > 1 {
		return nil, parsingError(n.Members[1].KeyPos, "[%s] malformed query, expected [END_OBJECT] but found [FIELD_NAME]", m.Key)
	}
	return q, nil
}

func parseQueryType(name string, at strictjson.Pos, body *strictjson.Node) (dslQuery, error) {
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
func scalar(n *strictjson.Node) (string, bool) { return n.ScalarText() }

// textValue is parser.text() of a value token; objects and arrays are
// refused with the query's message.
func textValue(qname, field string, n *strictjson.Node) (string, error) {
	s, ok := scalar(n)
	if !ok {
		if n.Kind == strictjson.Null {
			return "", invalid("[%s] %s doesn't support values of type: %s", qname, field, n.Kind.Token())
		}
		return "", parsingError(n.Pos, "[%s] query does not support [%s]", qname, field)
	}
	return s, nil
}

// boolValue reads a boolean as XContentParser.booleanValue does: JSON
// true or false, or the strings "true" and "false".
func boolValue(n *strictjson.Node) (bool, error) {
	switch n.Kind {
	case strictjson.True:
		return true, nil
	case strictjson.False:
		return false, nil
	case strictjson.String:
		switch n.Text {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return false, invalid("Failed to parse value [%s] as only [true] or [false] are allowed.", n.Text)
	}
	return false, parsingError(n.Pos, "Failed to parse boolean value of type [%s]", n.Kind.Token())
}

// intValue reads an int as XContentParser.intValue does: a number
// (truncated) or a numeric string.
func intValue(n *strictjson.Node) (int, error) {
	var text string
	switch n.Kind {
	case strictjson.Number, strictjson.String:
		text = strings.TrimSpace(n.Text)
	default:
		return 0, parsingError(n.Pos, "Current token (%s) not numeric, can not use numeric value accessors", n.Kind.Token())
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
func floatValue(n *strictjson.Node) error {
	if n.Kind != strictjson.Number && n.Kind != strictjson.String {
		return parsingError(n.Pos, "Current token (%s) not numeric, can not use numeric value accessors", n.Kind.Token())
	}
	if _, err := strconv.ParseFloat(strings.TrimSpace(n.Text), 64); err != nil {
		return typed("number_format_exception", "For input string: \"%s\"", n.Text)
	}
	return nil
}

// multipleFields is throwParsingExceptionOnMultipleFields.
func multipleFields(qname string, at strictjson.Pos, first, second string) error {
	return parsingError(at, "[%s] query doesn't support multiple fields, found [%s] and [%s]", qname, first, second)
}

// common handles boost and _name, accepted by every query.
func common(qname, key string, n *strictjson.Node) (bool, error) {
	switch key {
	case "boost":
		return true, floatValue(n)
	case "_name":
		if _, ok := scalar(n); !ok {
			return true, parsingError(n.Pos, "[%s] query does not support [%s]", qname, key)
		}
		return true, nil
	}
	return false, nil
}

func parseBool(body *strictjson.Node) (dslQuery, error) {
	q := &dslBool{}
	for _, m := range body.Members {
		var dst *[]dslQuery
		switch m.Key {
		case "must":
			dst = &q.must
		case "filter":
			dst = &q.filter
		case "should":
			dst = &q.should
		case "must_not", "mustNot":
			dst = &q.mustNot
		}
		switch m.Value.Kind {
		case strictjson.Object:
			if dst == nil {
				return nil, parsingError(m.Value.Pos, "[bool] query does not support [%s]", m.Key)
			}
			c, err := parseInnerQuery(m.Value)
			if err != nil {
				return nil, err
			}
			*dst = append(*dst, c)
		case strictjson.Array:
			if dst == nil {
				return nil, parsingError(m.Value.Pos, "bool query does not support [%s]", m.Key)
			}
			for _, e := range m.Value.Elems {
				c, err := parseInnerQuery(e)
				if err != nil {
					return nil, err
				}
				*dst = append(*dst, c)
			}
		default:
			if ok, err := common("bool", m.Key, m.Value); ok {
				if err != nil {
					return nil, err
				}
				continue
			}
			switch m.Key {
			case "minimum_should_match", "minimumShouldMatch":
				if m.Value.Kind == strictjson.Null {
					q.msm = nil
					continue
				}
				s, err := textValue("bool", m.Key, m.Value)
				if err != nil {
					return nil, err
				}
				q.msm = &s
			case "adjust_pure_negative":
				if _, err := boolValue(m.Value); err != nil {
					return nil, err
				}
			default:
				return nil, parsingError(m.Value.Pos, "[bool] query does not support [%s]", m.Key)
			}
		}
	}
	return q, nil
}

func parseMatchAll(body *strictjson.Node) (dslQuery, error) {
	for _, m := range body.Members {
		if ok, err := common("match_all", m.Key, m.Value); ok {
			if err != nil {
				return nil, fieldFailure("match_all", m.Key, m.KeyPos, err)
			}
			continue
		}
		return nil, xcontentError(m.KeyPos, "[match_all] unknown field [%s]", m.Key)
	}
	return dslMatchAll{}, nil
}

func parseIDs(body *strictjson.Node) (dslQuery, error) {
	q := &dslIDs{values: []string{}}
	for _, m := range body.Members {
		if ok, err := common("ids", m.Key, m.Value); ok {
			if err != nil {
				return nil, fieldFailure("ids", m.Key, m.KeyPos, err)
			}
			continue
		}
		if m.Key != "values" {
			return nil, xcontentError(m.KeyPos, "[ids] unknown field [%s]", m.Key)
		}
		elems := m.Value.Elems
		switch m.Value.Kind {
		case strictjson.Array:
		case strictjson.String, strictjson.Number:
			elems = []*strictjson.Node{m.Value}
		default:
			return nil, xcontentError(m.KeyPos, "[ids] values doesn't support values of type: %s", m.Value.Kind.Token())
		}
		for _, e := range elems {
			s, ok := scalar(e)
			if !ok || e.Kind == strictjson.True || e.Kind == strictjson.False {
				return nil, xcontentError(m.KeyPos, "[ids] failed to parse field [values]").Wrap(invalid("[values] must be an array of strings"))
			}
			q.values = append(q.values, s)
		}
	}
	return q, nil
}

func parseTerm(body *strictjson.Node) (dslQuery, error) {
	q := &dslTerm{}
	seen := false
	for _, m := range body.Members {
		switch m.Value.Kind {
		case strictjson.Object:
			if seen {
				return nil, multipleFields("term", m.Value.Pos, q.field, m.Key)
			}
			seen, q.field = true, m.Key
			for _, in := range m.Value.Members {
				switch in.Key {
				case "value", "term":
					if in.Value.Kind == strictjson.Array {
						return nil, parsingError(in.Value.Pos, "[term] query does not support arrays for value - use a bool query with multiple term clauses in the should section or use a Terms query if scoring is not required")
					}
					if in.Value.Kind == strictjson.Object {
						return nil, parsingError(in.Value.Pos, "[term] query does not support [%s]", in.Key)
					}
					if in.Value.Kind == strictjson.Null {
						q.value = nil
						continue
					}
					q.value = in.Value
				case "case_insensitive":
					b, err := boolValue(in.Value)
					if err != nil {
						return nil, err
					}
					q.caseInsensitive = b
				default:
					if ok, err := common("term", in.Key, in.Value); ok {
						if err != nil {
							return nil, err
						}
						continue
					}
					return nil, parsingError(in.Value.Pos, "[term] query does not support [%s]", in.Key)
				}
			}
		case strictjson.Array:
			return nil, parsingError(m.Value.Pos, "[term] query does not support array of values")
		default:
			if seen {
				return nil, multipleFields("term", m.Value.Pos, q.field, m.Key)
			}
			seen, q.field = true, m.Key
			if m.Value.Kind != strictjson.Null {
				q.value = m.Value
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

func parseTerms(body *strictjson.Node) (dslQuery, error) {
	q := &dslTerms{}
	seen := false
	for _, m := range body.Members {
		switch m.Value.Kind {
		case strictjson.Array:
			if seen {
				return nil, parsingError(m.Value.Pos, "[terms] query does not support multiple fields")
			}
			seen, q.field = true, m.Key
			for _, e := range m.Value.Elems {
				if e.Kind == strictjson.Null {
					return nil, parsingError(e.Pos, "No value specified for terms query")
				}
				if _, ok := scalar(e); !ok {
					return nil, parsingError(e.Pos, "Invalid value for terms query: %s", e.Kind.Token())
				}
				q.values = append(q.values, e)
			}
		case strictjson.Object:
			if seen {
				return nil, parsingError(m.Value.Pos, "[terms] query does not support more than one field. Already got: [%s] but also found [%s]", q.field, m.Key)
			}
			seen, q.field, q.lookup = true, m.Key, true
		default:
			if ok, err := common("terms", m.Key, m.Value); ok {
				if err != nil {
					return nil, err
				}
				continue
			}
			return nil, parsingError(m.Value.Pos, "[terms] query does not support [%s]", m.Key)
		}
	}
	if !seen {
		return nil, parsingError(body.Pos, "[terms] query requires a field name, followed by array of terms or a document lookup specification")
	}
	if q.field == "" {
		return nil, invalid("field name cannot be null.")
	}
	return q, nil
}

func parseRange(body *strictjson.Node) (dslQuery, error) {
	q := &dslRange{includeFrom: true, includeTo: true}
	seen := false
	for _, m := range body.Members {
		if m.Value.Kind != strictjson.Object {
			if ok, err := common("range", m.Key, m.Value); ok {
				if err != nil {
					return nil, err
				}
				continue
			}
			return nil, parsingError(m.Value.Pos, "[range] query does not support [%s]", m.Key)
		}
		if seen {
			return nil, multipleFields("range", m.Value.Pos, q.field, m.Key)
		}
		seen, q.field = true, m.Key
		for _, in := range m.Value.Members {
			v := in.Value
			if v.Kind == strictjson.Object || v.Kind == strictjson.Array {
				return nil, parsingError(v.Pos, "[range] query does not support [%s]", in.Key)
			}
			bound := v
			if v.Kind == strictjson.Null {
				bound = nil
			}
			switch in.Key {
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
					return nil, parsingError(v.Pos, "[range] query does not support [%s]", in.Key)
				}
				switch in.Key {
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
						return nil, parsingError(v.Pos, "[range] query does not support relation [%s]", s)
					}
					q.relation = &s
				}
			default:
				if ok, err := common("range", in.Key, v); ok {
					if err != nil {
						return nil, err
					}
					continue
				}
				return nil, parsingError(v.Pos, "[range] query does not support [%s]", in.Key)
			}
		}
	}
	if q.field == "" {
		return nil, invalid("[range] query requires field name")
	}
	return q, nil
}

func parsePrefixLike(body *strictjson.Node, qname string) (dslQuery, error) {
	var field, value string
	hasValue, seen, ci := false, false, false
	for _, m := range body.Members {
		if seen {
			return nil, multipleFields(qname, m.Value.Pos, field, m.Key)
		}
		seen, field = true, m.Key
		switch m.Value.Kind {
		case strictjson.Object:
			for _, in := range m.Value.Members {
				switch {
				case in.Key == "value" || in.Key == qname:
					if in.Value.Kind == strictjson.Null {
						hasValue = false
						continue
					}
					s, err := textValue(qname, in.Key, in.Value)
					if err != nil {
						return nil, err
					}
					value, hasValue = s, true
				case in.Key == "case_insensitive":
					b, err := boolValue(in.Value)
					if err != nil {
						return nil, err
					}
					ci = b
				case in.Key == "rewrite":
					if _, ok := scalar(in.Value); !ok {
						return nil, parsingError(in.Value.Pos, "[%s] query does not support [%s]", qname, in.Key)
					}
				default:
					if ok, err := common(qname, in.Key, in.Value); ok {
						if err != nil {
							return nil, err
						}
						continue
					}
					return nil, parsingError(in.Value.Pos, "[%s] query does not support [%s]", qname, in.Key)
				}
			}
		case strictjson.Array:
			return nil, parsingError(m.Value.Pos, "[%s] query does not support [%s]", qname, m.Key)
		case strictjson.Null:
		default:
			s, _ := scalar(m.Value)
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

func parseExists(body *strictjson.Node) (dslQuery, error) {
	q := &dslExists{}
	hasField := false
	for _, m := range body.Members {
		if m.Key == "field" {
			s, err := textValue("exists", m.Key, m.Value)
			if err != nil {
				return nil, err
			}
			q.field, hasField = s, true
			continue
		}
		if ok, err := common("exists", m.Key, m.Value); ok {
			if err != nil {
				return nil, err
			}
			continue
		}
		return nil, parsingError(m.Value.Pos, "[exists] query does not support [%s]", m.Key)
	}
	if !hasField {
		return nil, parsingError(body.Pos, "[exists] must be provided with a [field]")
	}
	if q.field == "" {
		return nil, invalid("field name is null or empty")
	}
	return q, nil
}

func parseMatch(body *strictjson.Node) (dslQuery, error) {
	q := &dslMatch{maxExpansions: 50, transpositions: true}
	seen := false
	for _, m := range body.Members {
		if seen {
			return nil, multipleFields("match", m.Value.Pos, q.field, m.Key)
		}
		seen, q.field = true, m.Key
		switch m.Value.Kind {
		case strictjson.Object:
			for _, in := range m.Value.Members {
				v := in.Value
				if v.Kind == strictjson.Object || v.Kind == strictjson.Array {
					return nil, parsingError(v.Pos, "[match] query does not support [%s]", in.Key)
				}
				var err error
				switch in.Key {
				case "query":
					if v.Kind != strictjson.Null {
						q.query = v
					}
				case "analyzer":
					q.analyzer, err = textValue("match", in.Key, v)
				case "operator":
					var s string
					if s, err = textValue("match", in.Key, v); err == nil {
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
					if s, err = textValue("match", in.Key, v); err == nil {
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
					if s, err = textValue("match", in.Key, v); err == nil {
						q.msm = &s
					}
				case "zero_terms_query":
					var s string
					if s, err = textValue("match", in.Key, v); err == nil {
						switch strings.ToLower(s) {
						case "none":
						case "all":
							q.zeroTermsAll = true
						default:
							err = parsingError(v.Pos, "Unsupported zero_terms_query value [%s]", s)
						}
					}
				case "fuzzy_rewrite", "cutoff_frequency":
					if in.Key == "cutoff_frequency" {
						err = parsingError(v.Pos, "cutoff_frequency is not supported. The [match] query can skip block of documents efficiently if the total number of hits is not tracked")
					} else {
						_, err = textValue("match", in.Key, v)
					}
				case "auto_generate_synonyms_phrase_query":
					_, err = boolValue(v)
				default:
					if ok, cerr := common("match", in.Key, v); ok {
						err = cerr
						break
					}
					err = parsingError(v.Pos, "[match] query does not support [%s]", in.Key)
				}
				if err != nil {
					return nil, err
				}
			}
		case strictjson.Array:
			return nil, parsingError(m.Value.Pos, "[match] unknown token [START_ARRAY] after [%s]", m.Key)
		case strictjson.Null:
		default:
			q.query = m.Value
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

func parseSimpleQueryString(body *strictjson.Node) (dslQuery, error) {
	q := &dslSimpleQueryString{flags: flagAll, fuzzyTranspose: true}
	hasText := false
	for _, m := range body.Members {
		v := m.Value
		if v.Kind == strictjson.Array {
			if m.Key != "fields" {
				return nil, parsingError(v.Pos, "[simple_query_string] query does not support [%s]", m.Key)
			}
			for _, e := range v.Elems {
				s, ok := scalar(e)
				if !ok {
					return nil, parsingError(e.Pos, "[simple_query_string] query does not support [%s]", m.Key)
				}
				name, _, _ := strings.Cut(s, "^")
				q.fields = append(q.fields, name)
			}
			continue
		}
		if v.Kind == strictjson.Object {
			return nil, parsingError(v.Pos, "[simple_query_string] query does not support [%s]", m.Key)
		}
		var err error
		switch m.Key {
		case "query":
			var s string
			if s, err = textValue("simple_query_string", m.Key, v); err == nil {
				q.text, hasText = s, true
			}
		case "analyzer":
			q.analyzer, err = textValue("simple_query_string", m.Key, v)
		case "default_operator":
			var s string
			if s, err = textValue("simple_query_string", m.Key, v); err == nil {
				switch strings.ToLower(s) {
				case "or":
				case "and":
					q.operatorAnd = true
				default:
					err = parsingError(v.Pos, "[simple_query_string] default operator [%s] is not allowed", s)
				}
			}
		case "flags":
			if v.Kind == strictjson.Number {
				var n int
				n, err = intValue(v)
				q.flags = n
				break
			}
			var s string
			if s, err = textValue("simple_query_string", m.Key, v); err == nil {
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
			if s, err = textValue("simple_query_string", m.Key, v); err == nil {
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
			_, err = textValue("simple_query_string", m.Key, v)
		default:
			if ok, cerr := common("simple_query_string", m.Key, v); ok {
				err = cerr
				break
			}
			err = parsingError(v.Pos, "[simple_query_string] unsupported field [%s]", m.Key)
		}
		if err != nil {
			return nil, err
		}
	}
	if !hasText {
		return nil, parsingError(body.Pos, "[simple_query_string] query text missing")
	}
	return q, nil
}

// dslSort is one sort clause as FieldSortBuilder reads it.
type dslSort struct {
	field       string
	desc        bool
	missing     *strictjson.Node
	mode        string
	format      *string
	numericType string
	nested      bool
}

// parseSort reads the sort array: field names, or {"field": "asc|desc"},
// or {"field": {options}}.
func parseSort(n *strictjson.Node) ([]dslSort, error) {
	elems := n.Elems
	switch n.Kind {
	case strictjson.Array:
	case strictjson.Object:
		elems = []*strictjson.Node{n}
	default:
		return nil, xcontentError(n.Pos, "[%s] sort doesn't support values of type: %s", payloadParser, n.Kind.Token())
	}
	out := []dslSort{}
	for _, e := range elems {
		switch e.Kind {
		case strictjson.String:
			out = append(out, dslSort{field: e.Text, desc: e.Text == "_score"})
		case strictjson.Object:
			if len(e.Members) == 0 {
				return nil, parsingError(e.Pos, "[%s] failed to parse field [sort]", payloadParser)
			}
			m := e.Members[0]
			s := dslSort{field: m.Key, desc: m.Key == "_score"}
			switch m.Value.Kind {
			case strictjson.String:
				d, err := sortOrder(m.Value.Text)
				if err != nil {
					return nil, err
				}
				s.desc = d
			case strictjson.Object:
				if err := parseSortOptions(&s, m.Value); err != nil {
					return nil, err
				}
			default:
				return nil, parsingError(m.Value.Pos, "expected [START_OBJECT] but found [%s]", m.Value.Kind.Token())
			}
			if len(e.Members) > 1 {
				return nil, parsingError(e.Members[1].KeyPos, "Failed to parse token [FIELD_NAME] expected [END_OBJECT]")
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

func parseSortOptions(s *dslSort, obj *strictjson.Node) error {
	for _, m := range obj.Members {
		v := m.Value
		fail := func(err error) error { return fieldFailure("field_sort", m.Key, m.KeyPos, err) }
		switch m.Key {
		case "order":
			t, ok := scalar(v)
			if !ok {
				return xcontentError(m.KeyPos, "[field_sort] order doesn't support values of type: %s", v.Kind.Token())
			}
			d, err := sortOrder(t)
			if err != nil {
				return fail(err)
			}
			s.desc = d
		case "missing":
			if v.Kind == strictjson.Object || v.Kind == strictjson.Array {
				return xcontentError(m.KeyPos, "[field_sort] missing doesn't support values of type: %s", v.Kind.Token())
			}
			if v.Kind != strictjson.Null {
				s.missing = v
			}
		case "mode":
			t, ok := scalar(v)
			if !ok {
				return xcontentError(m.KeyPos, "[field_sort] mode doesn't support values of type: %s", v.Kind.Token())
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
				return xcontentError(m.KeyPos, "[field_sort] %s doesn't support values of type: %s", m.Key, v.Kind.Token())
			}
			switch m.Key {
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
			return xcontentError(m.KeyPos, "[field_sort] unknown field [%s]", m.Key)
		}
	}
	return nil
}

// parseSearchAfter reads search_after: an array of strings, numbers,
// booleans and nulls.
func parseSearchAfter(n *strictjson.Node) ([]*strictjson.Node, error) {
	if n.Kind != strictjson.Array {
		return nil, xcontentError(n.Pos, "[%s] search_after doesn't support values of type: %s", payloadParser, n.Kind.Token())
	}
	for _, e := range n.Elems {
		if e.Kind == strictjson.Object || e.Kind == strictjson.Array {
			return nil, parsingError(e.Pos, "Expected [VALUE_STRING] or [VALUE_NUMBER] or [VALUE_BOOLEAN] or [VALUE_NULL] but found [%s] inside search_after.", e.Kind.Token())
		}
	}
	return n.Elems, nil
}

// describe renders a node for messages.
func describe(n *strictjson.Node) string {
	if s, ok := scalar(n); ok {
		return s
	}
	return fmt.Sprint(n.Kind.Token())
}
