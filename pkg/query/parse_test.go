package query

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

var testNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// TestParseErrors pins the error of every mistake the parser knows: its
// HTTP status, Elasticsearch type, root cause type and reason.
func TestParseErrors(t *testing.T) {
	const sp = "search_phase_execution_exception"
	tests := []struct {
		name   string
		body   string
		typ    string // the top exception's type
		root   string // the root cause's type, when it differs
		reason string // a fragment of the root cause's reason
	}{
		// the body
		{"not JSON", `{"query":`, "x_content_parse_exception", "", "Unexpected end-of-input"},
		{"trailing data", `{} {}`, "x_content_parse_exception", "", "[1:4] Unexpected character ('{' (code 123)): expected end of input"},
		{"duplicate field", `{"size":1,"size":2}`, "x_content_parse_exception", "", "[1:11] Duplicate field 'size'"},
		{"not an object", `[1]`, "x_content_parse_exception", "", "[1:1] [query_api_key_request_payload] Expected START_OBJECT but was: START_ARRAY"},
		{"unknown field", `{"track_total_hits":true}`, "x_content_parse_exception", "", "[1:2] [query_api_key_request_payload] unknown field [track_total_hits]"},
		{"size wrong type", `{"size":true}`, "x_content_parse_exception", "", "[query_api_key_request_payload] size doesn't support values of type: VALUE_BOOLEAN"},
		{"size not a number", `{"size":"ten"}`, "x_content_parse_exception", "", "[query_api_key_request_payload] failed to parse field [size]"},
		{"query not an object", `{"query":"x"}`, "x_content_parse_exception", "", "query doesn't support values of type: VALUE_STRING"},
		{"from negative", `{"from":-1}`, "action_request_validation_exception", "", "Validation Failed: 1: [from] parameter cannot be negative but was [-1];"},
		{"size negative", `{"size":-2}`, "action_request_validation_exception", "", "[size] parameter cannot be negative but was [-2]"},
		{"result window", `{"from":9000,"size":1001}`, sp, "illegal_argument_exception", "Result window is too large, from + size must be less than or equal to: [10000] but was [10001]"},
		{"size over the maximum", `{"size":10001}`, sp, "illegal_argument_exception", "but was [10001]"},

		// queries
		{"unknown query", `{"query":{"foo":{}}}`, "x_content_parse_exception", "", "[1:11] [query_api_key_request_payload] failed to parse field [query]"},
		{"unknown query suggestion", `{"query":{"trem":{"name":"x"}}}`, "x_content_parse_exception", "", ""},
		{"empty clause", `{"query":{}}`, "x_content_parse_exception", "", "failed to parse field [query]"},
		{"two query types", `{"query":{"term":{"name":"a"},"match_all":{}}}`, "x_content_parse_exception", "", "failed to parse field [query]"},
		{"unsupported query type", `{"query":{"regexp":{"name":"a.*"}}}`, "illegal_argument_exception", "", "Query type [regexp] is not currently supported in this context"},
		{"match_none unsupported", `{"query":{"match_none":{}}}`, "illegal_argument_exception", "", "Query type [match_none] is not currently supported in this context"},
		{"nested unsupported", `{"query":{"bool":{"should":[{"nested":{"path":"a","query":{"match_all":{}}}}]}}}`, "illegal_argument_exception", "", "Query type [nested] is not currently supported in this context"},
		{"field not allowed", `{"query":{"term":{"doc_type":"api_key"}}}`, "illegal_argument_exception", "", "Field [doc_type] is not allowed for querying or aggregation"},
		{"id is not a field", `{"query":{"term":{"id":"x"}}}`, "illegal_argument_exception", "", "Field [id] is not allowed for querying or aggregation"},
		{"creator field not allowed", `{"query":{"wildcard":{"creator.realm":"x"}}}`, "illegal_argument_exception", "", "Field [creator.realm] is not allowed for querying or aggregation"},
		{"field pattern", `{"query":{"exists":{"field":"meta*"}}}`, "illegal_argument_exception", "", "Field name pattern [meta*] is not allowed for querying or aggregation"},
		{"terms lookup", `{"query":{"terms":{"name":{"index":"i","id":"1","path":"p"}}}}`, "illegal_argument_exception", "", "terms query with terms lookup is not currently supported in this context"},
		{"range relation", `{"query":{"range":{"creation":{"gte":1,"relation":"contains"}}}}`, "illegal_argument_exception", "", "range query with relation is not currently supported in this context"},
		{"term multiple fields", `{"query":{"term":{"name":"a","type":"rest"}}}`, "x_content_parse_exception", "", "failed to parse field [query]"},
		{"term array", `{"query":{"term":{"name":["a"]}}}`, "x_content_parse_exception", "", "failed to parse field [query]"},
		{"term null", `{"query":{"term":{"name":null}}}`, "x_content_parse_exception", "", "failed to parse field [query]"},
		{"term unknown option", `{"query":{"term":{"name":{"value":"a","fuzzy":1}}}}`, "x_content_parse_exception", "", "failed to parse field [query]"},
		{"bool unknown clause", `{"query":{"bool":{"maybe":[]}}}`, "x_content_parse_exception", "", "failed to parse field [query]"},
		{"exists without field", `{"query":{"exists":{}}}`, "x_content_parse_exception", "", "failed to parse field [query]"},
		{"ids unknown field", `{"query":{"ids":{"value":["a"]}}}`, "x_content_parse_exception", "", "failed to parse field [query]"},
		{"simple query string without query", `{"query":{"simple_query_string":{"fields":["name"]}}}`, "x_content_parse_exception", "", "failed to parse field [query]"},
		{"simple query string bad flag", `{"query":{"simple_query_string":{"query":"a","flags":"AND|MAYBE"}}}`, "x_content_parse_exception", "", "failed to parse field [query]"},
		{"match bad operator", `{"query":{"match":{"name":{"query":"a","operator":"xor"}}}}`, "x_content_parse_exception", "", "failed to parse field [query]"},
		{"range bad time zone", `{"query":{"range":{"creation":{"gte":1,"time_zone":"Mars/Olympus"}}}}`, "x_content_parse_exception", "", "failed to parse field [query]"},

		// values, on the shard
		{"bad date", `{"query":{"range":{"creation":{"gte":"yesterday"}}}}`, sp, "parse_exception", "failed to parse date field [yesterday] with format [epoch_millis]: [failed to parse date field [yesterday] with format [epoch_millis]]"},
		{"bad date with format", `{"query":{"range":{"creation":{"gte":"2025-13-01","format":"yyyy-MM-dd"}}}}`, sp, "parse_exception", "failed to parse date field [2025-13-01] with format [yyyy-MM-dd]"},
		{"bad date format", `{"query":{"range":{"creation":{"gte":"2025","format":"yyyy-QQ"}}}}`, "x_content_parse_exception", "", "Invalid format: [yyyy-QQ]: Unknown pattern letter: Q"},
		{"bad date math operator", `{"query":{"range":{"expiration":{"lt":"now*2"}}}}`, sp, "parse_exception", "operator not supported for date math [*2]"},
		{"truncated date math", `{"query":{"range":{"expiration":{"lt":"now-"}}}}`, sp, "parse_exception", "truncated date math [-]"},
		{"bad date math unit", `{"query":{"range":{"expiration":{"lt":"now+1q"}}}}`, sp, "parse_exception", "unit [q] not supported for date math [+1q]"},
		{"date math rounding", `{"query":{"range":{"expiration":{"lt":"now/2d"}}}}`, sp, "parse_exception", "rounding `/` can only be used on single unit types [/2d]"},
		{"bad date term", `{"query":{"term":{"creation":"2025-01-01"}}}`, sp, "parse_exception", "failed to parse date field [2025-01-01]"},
		{"bad boolean", `{"query":{"term":{"invalidated":"yes"}}}`, sp, "query_shard_exception", "failed to create query: Can't parse boolean value [yes], expected [true] or [false]"},
		{"prefix on a date", `{"query":{"prefix":{"creation":"17"}}}`, sp, "query_shard_exception", "Can only use prefix queries on keyword, text and wildcard fields - not on [creation_time] which is of type [date]"},
		{"wildcard on a boolean", `{"query":{"wildcard":{"invalidated":"t*"}}}`, sp, "query_shard_exception", "Can only use wildcard queries on keyword, text and wildcard fields - not on [api_key_invalidated] which is of type [boolean]"},
		{"case insensitive date", `{"query":{"term":{"expiration":{"value":1,"case_insensitive":true}}}}`, sp, "query_shard_exception", "does not support case insensitive term queries"},
		{"time zone on keyword", `{"query":{"range":{"name":{"gte":"a","time_zone":"UTC"}}}}`, sp, "query_shard_exception", "[range] time_zone can not be applied to non date field [name]"},
		{"unknown analyzer", `{"query":{"match":{"name":{"query":"a","analyzer":"klingon"}}}}`, sp, "query_shard_exception", "[match] analyzer [klingon] not found"},
		{"fuzzy on a date", `{"query":{"match":{"creation":{"query":"1","fuzziness":1}}}}`, sp, "query_shard_exception", "Can only use fuzzy queries on keyword and text fields - not on [creation_time] which is of type [date]"},
		{"fuzzy on keyed metadata", `{"query":{"match":{"metadata.env":{"query":"prod","fuzziness":1}}}}`, sp, "query_shard_exception", "[fuzzy] queries are not currently supported on keyed [flattened] fields."},
		{"too many edits", `{"query":{"match":{"name":{"query":"abcd","fuzziness":3}}}}`, sp, "illegal_argument_exception", "Valid edit distances are [0, 1, 2] but was [3]"},
		{"bad minimum_should_match", `{"query":{"bool":{"should":[{"match_all":{}}],"minimum_should_match":"most"}}}`, sp, "number_format_exception", "For input string: \"most\""},

		// sort and search_after
		{"sort not an array", `{"sort":"name"}`, "x_content_parse_exception", "", "[query_api_key_request_payload] sort doesn't support values of type: VALUE_STRING"},
		{"malformed sort", `{"sort":[1]}`, "x_content_parse_exception", "", "failed to parse field [sort]"},
		{"sort unknown option", `{"sort":[{"name":{"order":"asc","reverse":true}}]}`, "x_content_parse_exception", "", "failed to parse field [sort]"},
		{"sort bad order", `{"sort":[{"name":"up"}]}`, "x_content_parse_exception", "", "failed to parse field [sort]"},
		{"sort field not allowed", `{"sort":["api_key_invalidated"]}`, "illegal_argument_exception", "", "Field [api_key_invalidated] is not allowed for querying or aggregation"},
		{"sort flattened index name", `{"sort":["metadata_flattened.letter"]}`, "illegal_argument_exception", "", "Field [metadata_flattened.letter] is not allowed for querying or aggregation"},
		{"sort by id", `{"sort":["id"]}`, "illegal_argument_exception", "", "Field [id] is not allowed for querying or aggregation"},
		{"nested sort", `{"sort":[{"name":{"nested":{"path":"a"}}}]}`, "illegal_argument_exception", "", "nested sorting is not currently supported in this context"},
		{"sort mode on keyword", `{"sort":[{"name":{"mode":"avg"}}]}`, sp, "query_shard_exception", "we only support AVG, MEDIAN and SUM on number based fields"},
		{"sort format on keyword", `{"sort":[{"username":{"format":"date_time"}}]}`, sp, "illegal_argument_exception", "Field [creator.principal] of type [keyword] does not support custom formats"},
		{"sort numeric type on keyword", `{"sort":[{"name":{"numeric_type":"long"}}]}`, sp, "query_shard_exception", "[numeric_type] option cannot be set on a non-numeric field, got keyword"},
		{"search_after not an array", `{"sort":["name"],"search_after":"x"}`, "x_content_parse_exception", "", "search_after doesn't support values of type: VALUE_STRING"},
		{"search_after object", `{"sort":["name"],"search_after":[{}]}`, "x_content_parse_exception", "", "failed to parse field [search_after]"},
		{"search_after without sort", `{"search_after":["x"]}`, sp, "illegal_argument_exception", "Sort must contain at least one field."},
		{"search_after count", `{"sort":["name","creation"],"search_after":["x"]}`, sp, "illegal_argument_exception", "search_after has 1 value(s) but sort has 2."},
		{"search_after type", `{"sort":["creation"],"search_after":[true]}`, sp, "illegal_argument_exception", "Failed to parse search_after value for field [creation_time]."},
		{"search_after with from", `{"sort":["name"],"search_after":["x"],"from":5}`, "action_request_validation_exception", "", "[from] parameter must be set to 0 when [search_after] is used"},

		// aggregations
		{"aggs not an object", `{"aggs":[]}`, "x_content_parse_exception", "", "aggs doesn't support values of type: START_ARRAY"},
		{"aggs and aggregations", `{"aggs":{},"aggregations":{}}`, "x_content_parse_exception", "", "failed to parse field [aggregations]"},
		{"unknown agg type", `{"aggs":{"a":{"termz":{"field":"name"}}}}`, "x_content_parse_exception", "", "failed to parse field [aggs]"},
		{"agg without type", `{"aggs":{"a":{"aggs":{}}}}`, "x_content_parse_exception", "", "failed to parse field [aggs]"},
		{"agg two types", `{"aggs":{"a":{"terms":{"field":"name"},"missing":{"field":"name"}}}}`, "x_content_parse_exception", "", "failed to parse field [aggs]"},
		{"agg bad name", `{"aggs":{"a>b":{"terms":{"field":"name"}}}}`, "x_content_parse_exception", "", "failed to parse field [aggs]"},
		{"terms size zero", `{"aggs":{"a":{"terms":{"field":"name","size":0}}}}`, "x_content_parse_exception", "", "failed to parse field [aggs]"},
		{"terms unknown option", `{"aggs":{"a":{"terms":{"field":"name","sizes":1}}}}`, "x_content_parse_exception", "", "failed to parse field [aggs]"},
		{"unsupported agg", `{"aggs":{"a":{"avg":{"field":"creation"}}}}`, "illegal_argument_exception", "", "Unsupported API Keys agg [a] of type [avg]"},
		{"global agg", `{"aggs":{"a":{"global":{}}}}`, "illegal_argument_exception", "", "Unsupported API Keys agg [a] of type [global]"},
		{"unsupported sub agg", `{"aggs":{"a":{"terms":{"field":"name"},"aggs":{"b":{"top_hits":{}}}}}}`, "illegal_argument_exception", "", "Unsupported API Keys agg [b] of type [top_hits]"},
		{"pipeline agg", `{"aggs":{"a":{"terms":{"field":"name"}},"b":{"max_bucket":{"buckets_path":"a>_count"}}}}`, "illegal_argument_exception", "", "Unsupported aggregation of type [max_bucket]"},
		{"pipeline sub agg", `{"aggs":{"a":{"terms":{"field":"name"},"aggs":{"s":{"bucket_sort":{}}}}}}`, "illegal_argument_exception", "", "Unsupported aggregation of type [bucket_sort]"},
		{"script agg", `{"aggs":{"a":{"cardinality":{"script":"1"}}}}`, "illegal_argument_exception", "", "Unsupported script value source for [a] agg"},
		{"composite script", `{"aggs":{"a":{"composite":{"sources":[{"s":{"terms":{"script":"1"}}}]}}}}`, "illegal_argument_exception", "", "Unsupported script value source for [s] of composite agg [a]"},
		{"composite histogram", `{"aggs":{"a":{"composite":{"sources":[{"h":{"date_histogram":{"field":"creation"}}}]}}}}`, "illegal_argument_exception", "", "Unsupported value source type for [h] of composite agg [a].Only [terms] value sources are allowed."},
		{"agg field not allowed", `{"aggs":{"a":{"terms":{"field":"creator"}}}}`, "illegal_argument_exception", "", "Field [creator] is not allowed for querying or aggregation"},
		{"filter agg field not allowed", `{"aggs":{"a":{"filters":{"filters":{"x":{"term":{"api_key_invalidated":false}}}}}}}`, "illegal_argument_exception", "", "Field [api_key_invalidated] is not allowed for querying or aggregation"},
		{"agg without field", `{"aggs":{"a":{"terms":{}}}}`, sp, "illegal_argument_exception", "Required one of fields [field, script], but none were specified."},
		{"range agg on keyword", `{"aggs":{"a":{"range":{"field":"name","ranges":[{"to":1}]}}}}`, sp, "illegal_argument_exception", "Field [name] of type [keyword] is not supported for aggregation [range]"},
		{"date_range agg on metadata", `{"aggs":{"a":{"date_range":{"field":"metadata.x","ranges":[{"to":"now"}]}}}}`, sp, "illegal_argument_exception", "Field [metadata_flattened.x] of type [flattened] is not supported for aggregation [date_range]"},
		{"range without ranges", `{"aggs":{"a":{"range":{"field":"creation"}}}}`, sp, "illegal_argument_exception", "No [ranges] specified for the [a] aggregation"},
		{"date_range bad date", `{"aggs":{"a":{"date_range":{"field":"creation","ranges":[{"to":"soon"}]}}}}`, sp, "parse_exception", "failed to parse date field [soon] with format [epoch_millis]"},
		{"metric with sub aggs", `{"aggs":{"a":{"cardinality":{"field":"name"},"aggs":{"b":{"missing":{"field":"name"}}}}}}`, sp, "aggregation_initialization_exception", "Aggregator [a] of type [cardinality] cannot accept sub-aggregations"},
		{"composite under terms", `{"aggs":{"a":{"terms":{"field":"name"},"aggs":{"c":{"composite":{"sources":[{"s":{"terms":{"field":"name"}}}]}}}}}}`, sp, "illegal_argument_exception", "[composite] aggregation cannot be used with a parent aggregation of type: [TermsAggregatorFactory]"},
		{"composite after count", `{"aggs":{"a":{"composite":{"sources":[{"s":{"terms":{"field":"name"}}}],"after":{"s":"a","t":"b"}}}}}`, sp, "illegal_argument_exception", "[after] has 2 value(s) but [sources] has 1"},
		{"composite after missing", `{"aggs":{"a":{"composite":{"sources":[{"s":{"terms":{"field":"name"}}}],"after":{"t":"b"}}}}}`, sp, "illegal_argument_exception", "Missing value for [after.s]"},
		{"terms order unknown", `{"aggs":{"a":{"terms":{"field":"name","order":{"nope":"asc"}}}}}`, sp, "aggregation_execution_exception", "Invalid aggregation order path [nope]. Unknown aggregation [nope]"},
		{"terms regex on date", `{"aggs":{"a":{"terms":{"field":"creation","include":"1.*"}}}}`, sp, "aggregation_execution_exception", "cannot support regular expression style include/exclude settings"},
		{"filters empty", `{"aggs":{"a":{"filters":{"filters":{}}}}}`, "x_content_parse_exception", "", "failed to parse field [aggs]"},
		{"filters unknown key", `{"aggs":{"a":{"filters":{"filter":{}}}}}`, "x_content_parse_exception", "", "failed to parse field [aggs]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.body), Options{Now: testNow})
			if err == nil {
				t.Fatalf("%s: no error", tt.body)
			}
			var e *api.Error
			if !errors.As(err, &e) {
				t.Fatalf("%s: not an api.Error: %v", tt.body, err)
			}
			if e.Code.Status() != 400 {
				t.Errorf("status %d, want 400", e.Code.Status())
			}
			if e.ErrType() != tt.typ {
				t.Errorf("type %q, want %q (%v)", e.ErrType(), tt.typ, err)
			}
			root := e
			if len(e.RootCause) > 0 {
				root = e.RootCause[0]
			}
			if tt.root != "" && root.ErrType() != tt.root {
				t.Errorf("root cause type %q, want %q (%v)", root.ErrType(), tt.root, err)
			}
			if !strings.Contains(e.Error(), tt.reason) {
				t.Errorf("reason %q does not contain %q", e.Error(), tt.reason)
			}
		})
	}
}

// TestParseErrorDetails pins errors whose every part matters: the
// positions of parse errors and the wrapping of the query's parse error.
func TestParseErrorDetails(t *testing.T) {
	_, err := Parse([]byte("{\n  \"query\": {\n    \"termz\": {\"name\": \"x\"}\n  }\n}"), Options{})
	e, _ := api.AsError(err)
	if e == nil || e.Reason != "[3:5] [query_api_key_request_payload] failed to parse field [query]" {
		t.Fatalf("outer: %v", err)
	}
	c := e.Cause
	if c == nil || c.ErrType() != "parsing_exception" || c.Reason != "unknown query [termz] did you mean any of [term, terms]?" ||
		c.Fields["line"] != 3 || c.Fields["col"] != 5 {
		t.Fatalf("cause: %+v", c)
	}
	body := string(api.Envelope(e))
	if !strings.Contains(body, `"root_cause":[{"type":"x_content_parse_exception"`) {
		t.Fatalf("envelope: %s", body)
	}

	_, err = Parse([]byte(`{"query":{"range":{"creation":{"gte":"x"}}}}`), Options{})
	e, _ = api.AsError(err)
	body = string(api.Envelope(e))
	for _, want := range []string{
		`{"error":{"root_cause":[{"type":"parse_exception","reason":"failed to parse date field [x] with format [epoch_millis]: [failed to parse date field [x] with format [epoch_millis]]"}],`,
		`"type":"search_phase_execution_exception","reason":"all shards failed"`,
		`"failed_shards":[{"shard":0,"index":".security-7","reason":{"type":"parse_exception"`,
		`"status":400}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("envelope lacks %s:\n%s", want, body)
		}
	}
}

// TestParseDefaults pins what an empty body and the omitted parts mean.
func TestParseDefaults(t *testing.T) {
	for _, body := range []string{"", "  ", "{}"} {
		r, err := Parse([]byte(body), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if r.Query != nil || r.From != 0 || r.Size != DefaultSize || r.Sorted() || len(r.Aggs) != 0 || r.SearchAfter != nil {
			t.Fatalf("%q: %+v", body, r)
		}
	}
	r, err := Parse([]byte(`{"from":"5","size":2.9}`), Options{})
	if err != nil || r.From != 5 || r.Size != 2 {
		t.Fatalf("numeric strings and floats: %+v %v", r, err)
	}
}
