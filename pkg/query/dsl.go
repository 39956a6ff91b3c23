package query

import (
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
