package query

import (
	"bytes"
	"math"
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
	schema *Schema
	raw    rawBody
}

// Read parses the body of a query API keys request (empty: every key, the
// first ten) and validates from and size: the errors Elasticsearch
// answers before it checks the caller's privileges.
func Read(body []byte) (*Body, error) { return read(APIKeys, body) }

func read(schema *Schema, body []byte) (*Body, error) {
	b := &Body{schema: schema, raw: rawBody{schema: schema}}
	if len(bytes.TrimSpace(body)) > 0 {
		root, err := strictjson.Parse(body)
		if err != nil {
			if se, ok := err.(*strictjson.SyntaxError); ok {
				return nil, api.Errorf(api.ParseFailed, "%s", se.Error())
			}
			return nil, err
		}
		if root.Kind != strictjson.Object {
			return nil, xcontentError(root.Pos, "[%s] Expected START_OBJECT but was: %s", schema.parser, root.Kind.Token())
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
	schema := body.schema
	// The transport action translates the query, the sort and the
	// aggregations for the security index.
	if b.query != nil {
		if err := checkQuery(schema, b.query); err != nil {
			return nil, err
		}
	}
	for _, s := range b.sort {
		if s.nested {
			return nil, invalid("nested sorting is not currently supported in this context")
		}
		if s.field != "_doc" {
			if _, err := schema.translate(s.field, true); err != nil {
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
	rs := &resolver{now: now, schema: schema}
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
	schema      *Schema
	query       dslQuery
	from, size  *int
	sort        []dslSort
	searchAfter []*strictjson.Node
	aggs        []*dslAgg
}

func (b *rawBody) read(root *strictjson.Node) error {
	payloadParser := b.schema.parser
	aggsSeen := ""
	for _, m := range root.Members {
		v := m.Value
		key := m.Key
		if (key == "aggs" || key == "aggregations") && !b.schema.aggs {
			key = ""
		}
		switch key {
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
			s, err := parseSort(v, payloadParser)
			if err != nil {
				if e, ok := api.AsError(err); ok && e.Code == api.ParseFailed && strings.Contains(e.Reason, "["+payloadParser+"]") {
					return err
				}
				return fieldFailure(payloadParser, m.Key, m.KeyPos, err)
			}
			b.sort = s
		case "search_after":
			sa, err := parseSearchAfter(v, payloadParser)
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
func checkQuery(schema *Schema, q dslQuery) error {
	switch q := q.(type) {
	case dslOther:
		return invalid("Query type [%s] is not currently supported in this context", q.name)
	case *dslBool:
		for _, list := range [][]dslQuery{q.must, q.should, q.mustNot, q.filter} {
			for _, c := range list {
				if err := checkQuery(schema, c); err != nil {
					return err
				}
			}
		}
	case *dslTerm:
		_, err := schema.translate(q.field, false)
		return err
	case *dslTerms:
		if q.lookup {
			return invalid("terms query with terms lookup is not currently supported in this context")
		}
		_, err := schema.translate(q.field, false)
		return err
	case *dslRange:
		if q.relation != nil {
			return invalid("range query with relation is not currently supported in this context")
		}
		_, err := schema.translate(q.field, false)
		return err
	case *dslPrefix:
		_, err := schema.translate(q.field, false)
		return err
	case *dslWildcard:
		_, err := schema.translate(q.field, false)
		return err
	case *dslExists:
		_, err := schema.translate(q.field, false)
		return err
	case *dslMatch:
		_, err := schema.translate(q.field, false)
		return err
	}
	return nil
}
