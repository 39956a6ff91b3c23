package query

import (
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/strictjson"
)

// dslAgg is one aggregation as Elasticsearch's parsers read it.
type dslAgg struct {
	name string
	typ  string
	at   strictjson.Pos
	meta *strictjson.Node
	subs []*dslAgg

	field    string
	hasField bool
	script   bool
	missing  *strictjson.Node
	format   *string
	timeZone *string

	// terms
	size, shardSize, minDocCount int
	order                        []dslOrder
	include, exclude             *strictjson.Node

	// composite
	sources []*dslSource
	after   *strictjson.Node

	// range and date_range
	ranges []dslRangeBucket
	keyed  *bool

	// filter and filters
	filter         dslQuery
	filters        []dslKeyedFilter
	namedFilters   bool
	otherBucket    bool
	otherBucketKey string

	// pipeline marks a pipeline aggregation.
	pipeline bool
}

type dslOrder struct {
	path string
	desc bool
}

type dslSource struct {
	name         string
	typ          string
	field        string
	hasField     bool
	script       bool
	desc         bool
	missingBkt   bool
	missingFirst *bool
	format       *string
}

type dslRangeBucket struct {
	key      *string
	from, to *strictjson.Node
}

type dslKeyedFilter struct {
	key   string
	query dslQuery
}

// bucketAggs, metricAggs and pipelineAggs are Elasticsearch's aggregation
// types; of these the API key query supports terms, composite, range,
// date_range, filter, filters, missing, value_count and cardinality.
var bucketAggs = []string{
	"adjacency_matrix", "auto_date_histogram", "categorize_text", "children", "composite", "date_histogram",
	"date_range", "diversified_sampler", "filter", "filters", "frequent_item_sets", "geohash_grid",
	"geohex_grid", "geotile_grid", "global", "histogram", "ip_prefix", "ip_range", "missing", "multi_terms",
	"nested", "parent", "random_sampler", "range", "rare_terms", "reverse_nested", "sampler",
	"significant_terms", "significant_text", "terms", "time_series", "variable_width_histogram",
}

var metricAggs = []string{
	"avg", "boxplot", "cardinality", "extended_stats", "geo_bounds", "geo_centroid", "geo_line",
	"matrix_stats", "max", "median_absolute_deviation", "min", "percentile_ranks", "percentiles", "rate",
	"scripted_metric", "stats", "string_stats", "sum", "t_test", "top_hits", "top_metrics", "value_count",
	"weighted_avg",
}

var pipelineAggs = []string{
	"avg_bucket", "bucket_correlation", "bucket_count_ks_test", "bucket_script", "bucket_selector",
	"bucket_sort", "change_point", "cumulative_cardinality", "cumulative_sum", "derivative",
	"extended_stats_bucket", "inference", "max_bucket", "min_bucket", "moving_fn", "moving_percentiles",
	"normalize", "percentiles_bucket", "serial_diff", "stats_bucket", "sum_bucket",
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// parseAggs reads an aggregations object, as AggregatorFactories'
// parseAggregators does.
func parseAggs(n *strictjson.Node) ([]*dslAgg, error) {
	if n.Kind != strictjson.Object {
		return nil, xcontentError(n.Pos, "[%s] aggs doesn't support values of type: %s", payloadParser, n.Kind.Token())
	}
	var out []*dslAgg
	for _, m := range n.Members {
		if strings.ContainsAny(m.Key, "[]>") || m.Key == "" {
			return nil, parsingError(m.KeyPos, "Invalid aggregation name [%s]. Aggregation names can contain any character except '[', ']', and '>'", m.Key)
		}
		if m.Value.Kind != strictjson.Object {
			return nil, parsingError(m.Value.Pos, "Aggregation definition for [%s starts with a [%s], expected a [START_OBJECT].", m.Key, m.Value.Kind.Token())
		}
		a := &dslAgg{name: m.Key, at: m.KeyPos}
		var typeNode *strictjson.Node
		subsSeen := false
		for _, in := range m.Value.Members {
			if in.Value.Kind != strictjson.Object {
				return nil, parsingError(in.Value.Pos, "Expected [START_OBJECT] under [%s], but got a [%s] in [%s]", in.Key, in.Value.Kind.Token(), m.Key)
			}
			switch in.Key {
			case "meta":
				a.meta = in.Value
			case "aggs", "aggregations":
				if subsSeen {
					return nil, parsingError(in.Value.Pos, "Found two sub aggregation definitions under [%s]", m.Key)
				}
				subsSeen = true
				subs, err := parseAggs(in.Value)
				if err != nil {
					return nil, err
				}
				a.subs = subs
			default:
				if typeNode != nil {
					return nil, parsingError(in.Value.Pos, "Found two aggregation type definitions in [%s]: [%s] and [%s]", m.Key, a.typ, in.Key)
				}
				if !contains(bucketAggs, in.Key) && !contains(metricAggs, in.Key) && !contains(pipelineAggs, in.Key) {
					all := append(append(append([]string{}, bucketAggs...), metricAggs...), pipelineAggs...)
					return nil, parsingError(in.KeyPos, "Unknown aggregation type [%s]%s", in.Key, suggest(in.Key, all))
				}
				a.typ, typeNode = in.Key, in.Value
				a.pipeline = contains(pipelineAggs, in.Key)
			}
		}
		if typeNode == nil {
			return nil, parsingError(m.Value.Pos, "Missing definition for aggregation [%s]", m.Key)
		}
		if err := parseAggBody(a, typeNode); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// parseAggBody reads the body of a supported aggregation type; the bodies
// of other types are left unread, they are refused later.
func parseAggBody(a *dslAgg, body *strictjson.Node) error {
	switch a.typ {
	case "terms", "range", "date_range", "missing", "value_count", "cardinality":
		return parseValuesSourceAgg(a, body)
	case "composite":
		return parseComposite(a, body)
	case "filter":
		q, err := parseInnerQuery(body)
		if err != nil {
			return err
		}
		a.filter = q
	case "filters":
		return parseFilters(a, body)
	}
	return nil
}

// parseValuesSourceAgg reads the aggregations over one field's values.
func parseValuesSourceAgg(a *dslAgg, body *strictjson.Node) error {
	a.size, a.shardSize, a.minDocCount = 10, -1, 1
	for _, m := range body.Members {
		v := m.Value
		fail := func(err error) error { return fieldFailure(a.typ, m.Key, m.KeyPos, err) }
		wrongType := func() error {
			return xcontentError(m.KeyPos, "[%s] %s doesn't support values of type: %s", a.typ, m.Key, v.Kind.Token())
		}
		switch {
		case m.Key == "field":
			s, ok := scalar(v)
			if !ok {
				return wrongType()
			}
			a.field, a.hasField = s, true
		case m.Key == "script":
			a.script = true
		case m.Key == "missing":
			if v.Kind == strictjson.Object || v.Kind == strictjson.Array {
				return wrongType()
			}
			if v.Kind != strictjson.Null {
				a.missing = v
			}
		case m.Key == "format":
			s, ok := scalar(v)
			if !ok {
				return wrongType()
			}
			a.format = &s
		case m.Key == "value_type":
			if _, ok := scalar(v); !ok {
				return wrongType()
			}
		case m.Key == "time_zone" && (a.typ == "date_range" || a.typ == "range"):
			s, ok := scalar(v)
			if !ok {
				return wrongType()
			}
			if _, err := ParseTimeZone(s); err != nil {
				return fail(err)
			}
			a.timeZone = &s
		case a.typ == "terms":
			if err := parseTermsOption(a, m, fail, wrongType); err != nil {
				return err
			}
		case (a.typ == "range" || a.typ == "date_range") && m.Key == "ranges":
			if v.Kind != strictjson.Array {
				return wrongType()
			}
			for _, e := range v.Elems {
				if e.Kind != strictjson.Object {
					return fail(parsingError(e.Pos, "[ranges] must be an array of objects"))
				}
				var rb dslRangeBucket
				for _, r := range e.Members {
					switch r.Key {
					case "key":
						s, ok := scalar(r.Value)
						if !ok {
							return fail(xcontentError(r.KeyPos, "[range] key doesn't support values of type: %s", r.Value.Kind.Token()))
						}
						rb.key = &s
					case "from", "to":
						if r.Value.Kind == strictjson.Object || r.Value.Kind == strictjson.Array || r.Value.Kind == strictjson.True || r.Value.Kind == strictjson.False {
							return fail(xcontentError(r.KeyPos, "[range] %s doesn't support values of type: %s", r.Key, r.Value.Kind.Token()))
						}
						if r.Value.Kind == strictjson.Null {
							continue
						}
						if r.Key == "from" {
							rb.from = r.Value
						} else {
							rb.to = r.Value
						}
					default:
						return fail(xcontentError(r.KeyPos, "[range] unknown field [%s]", r.Key))
					}
				}
				a.ranges = append(a.ranges, rb)
			}
		case (a.typ == "range" || a.typ == "date_range") && m.Key == "keyed":
			b, err := boolValue(v)
			if err != nil {
				return fail(err)
			}
			a.keyed = &b
		case a.typ == "cardinality" && (m.Key == "precision_threshold" || m.Key == "execution_hint"):
			if m.Key == "precision_threshold" {
				n, err := intValue(v)
				if err != nil {
					return fail(err)
				}
				if n < 0 {
					return fail(invalid("[precisionThreshold] must be greater than or equal to 0. Found [%d] in [%s]", n, a.name))
				}
			}
		default:
			return xcontentError(m.KeyPos, "[%s] unknown field [%s]", a.typ, m.Key)
		}
	}
	return nil
}

func parseTermsOption(a *dslAgg, m strictjson.Member, fail func(error) error, wrongType func() error) error {
	v := m.Value
	switch m.Key {
	case "size", "shard_size", "min_doc_count", "shard_min_doc_count":
		n, err := intValue(v)
		if err != nil {
			return fail(err)
		}
		switch m.Key {
		case "size":
			if n <= 0 {
				return fail(invalid("[size] must be greater than 0. Found [%d] in [%s]", n, a.name))
			}
			a.size = n
		case "shard_size":
			if n <= 0 {
				return fail(invalid("[shardSize] must be greater than 0. Found [%d] in [%s]", n, a.name))
			}
			a.shardSize = n
		case "min_doc_count":
			if n < 0 {
				return fail(invalid("[minDocCount] must be greater than or equal to 0. Found [%d] in [%s]", n, a.name))
			}
			a.minDocCount = n
		case "shard_min_doc_count":
			if n < 0 {
				return fail(invalid("[shardMinDocCount] must be greater than or equal to 0. Found [%d] in [%s]", n, a.name))
			}
		}
	case "execution_hint", "collect_mode":
		s, ok := scalar(v)
		if !ok {
			return wrongType()
		}
		if m.Key == "collect_mode" && s != "depth_first" && s != "breadth_first" {
			return fail(invalid("Unknown `collect_mode` value [%s]", s))
		}
	case "show_term_doc_count_error":
		if _, err := boolValue(v); err != nil {
			return fail(err)
		}
	case "order":
		elems := []*strictjson.Node{v}
		if v.Kind == strictjson.Array {
			elems = v.Elems
		}
		for _, e := range elems {
			if e.Kind != strictjson.Object || len(e.Members) != 1 {
				return fail(parsingError(e.Pos, "Order elements must be of type object in [%s] found token of type [%s].", a.name, e.Kind.Token()))
			}
			om := e.Members[0]
			dir, ok := scalar(om.Value)
			if !ok {
				return fail(parsingError(om.Value.Pos, "Unexpected token [%s] for [order]", om.Value.Kind.Token()))
			}
			var desc bool
			switch strings.ToLower(dir) {
			case "asc":
			case "desc":
				desc = true
			default:
				return fail(parsingError(om.Value.Pos, "Unknown terms order direction [%s] in terms aggregation [%s]", dir, a.name))
			}
			a.order = append(a.order, dslOrder{path: om.Key, desc: desc})
		}
	case "include", "exclude":
		switch v.Kind {
		case strictjson.String, strictjson.Array, strictjson.Object:
		default:
			return wrongType()
		}
		if m.Key == "include" {
			a.include = v
		} else {
			a.exclude = v
		}
	default:
		return xcontentError(m.KeyPos, "[terms] unknown field [%s]", m.Key)
	}
	return nil
}

func parseComposite(a *dslAgg, body *strictjson.Node) error {
	a.size = 10
	hasSources := false
	for _, m := range body.Members {
		v := m.Value
		fail := func(err error) error { return fieldFailure("composite", m.Key, m.KeyPos, err) }
		switch m.Key {
		case "size":
			n, err := intValue(v)
			if err != nil {
				return fail(err)
			}
			if n <= 0 {
				return fail(invalid("[size] must be greater than 0. Found [%d] in [%s]", n, a.name))
			}
			a.size = n
		case "after":
			if v.Kind != strictjson.Object {
				return xcontentError(m.KeyPos, "[composite] after doesn't support values of type: %s", v.Kind.Token())
			}
			a.after = v
		case "sources":
			if v.Kind != strictjson.Array {
				return xcontentError(m.KeyPos, "[composite] sources doesn't support values of type: %s", v.Kind.Token())
			}
			hasSources = true
			names := map[string]bool{}
			var dups []string
			for _, e := range v.Elems {
				if e.Kind != strictjson.Object || len(e.Members) == 0 {
					return fail(parsingError(e.Pos, "Expected START_OBJECT but got %s", e.Kind.Token()))
				}
				sm := e.Members[0]
				if sm.Value.Kind != strictjson.Object || len(sm.Value.Members) == 0 {
					return fail(parsingError(sm.Value.Pos, "Expected START_OBJECT but got %s", sm.Value.Kind.Token()))
				}
				tm := sm.Value.Members[0]
				src := &dslSource{name: sm.Key, typ: tm.Key}
				switch tm.Key {
				case "terms":
					if err := parseSourceOptions(src, tm.Value); err != nil {
						return fail(err)
					}
				case "histogram", "date_histogram", "geotile_grid":
				default:
					return fail(parsingError(tm.KeyPos, "invalid source type: %s", tm.Key))
				}
				if names[src.name] {
					dups = append(dups, src.name)
				}
				names[src.name] = true
				a.sources = append(a.sources, src)
			}
			if len(dups) > 0 {
				return fail(invalid("Composite source names must be unique, found duplicates: [%s]", strings.Join(dups, ", ")))
			}
		default:
			return xcontentError(m.KeyPos, "[composite] unknown field [%s]", m.Key)
		}
	}
	if !hasSources {
		return invalid("Required [sources]")
	}
	if len(a.sources) == 0 {
		return invalid("Composite [sources] cannot be null or empty")
	}
	return nil
}

func parseSourceOptions(src *dslSource, body *strictjson.Node) error {
	if body.Kind != strictjson.Object {
		return parsingError(body.Pos, "Expected START_OBJECT but got %s", body.Kind.Token())
	}
	for _, m := range body.Members {
		v := m.Value
		s, isScalar := scalar(v)
		switch m.Key {
		case "field":
			if !isScalar {
				return xcontentError(m.KeyPos, "[terms] field doesn't support values of type: %s", v.Kind.Token())
			}
			src.field, src.hasField = s, true
		case "script":
			src.script = true
		case "order":
			if !isScalar {
				return xcontentError(m.KeyPos, "[terms] order doesn't support values of type: %s", v.Kind.Token())
			}
			d, err := sortOrder(s)
			if err != nil {
				return fieldFailure("terms", m.Key, m.KeyPos, err)
			}
			src.desc = d
		case "missing_bucket":
			b, err := boolValue(v)
			if err != nil {
				return fieldFailure("terms", m.Key, m.KeyPos, err)
			}
			src.missingBkt = b
		case "missing_order":
			if !isScalar {
				return xcontentError(m.KeyPos, "[terms] missing_order doesn't support values of type: %s", v.Kind.Token())
			}
			switch strings.ToLower(s) {
			case "first":
				t := true
				src.missingFirst = &t
			case "last":
				f := false
				src.missingFirst = &f
			case "default":
				src.missingFirst = nil
			default:
				return fieldFailure("terms", m.Key, m.KeyPos, invalid("Unknown MissingOrder [%s]", s))
			}
		case "format":
			if !isScalar {
				return xcontentError(m.KeyPos, "[terms] format doesn't support values of type: %s", v.Kind.Token())
			}
			src.format = &s
		case "value_type", "missing":
		default:
			return xcontentError(m.KeyPos, "[terms] unknown field [%s]", m.Key)
		}
	}
	return nil
}

func parseFilters(a *dslAgg, body *strictjson.Node) error {
	var filtersNode *strictjson.Node
	for _, m := range body.Members {
		v := m.Value
		switch m.Key {
		case "filters":
			switch v.Kind {
			case strictjson.Object:
				a.namedFilters = true
				for _, f := range v.Members {
					q, err := parseInnerQuery(f.Value)
					if err != nil {
						return err
					}
					a.filters = append(a.filters, dslKeyedFilter{key: f.Key, query: q})
				}
			case strictjson.Array:
				for i, e := range v.Elems {
					q, err := parseInnerQuery(e)
					if err != nil {
						return err
					}
					a.filters = append(a.filters, dslKeyedFilter{key: itoa(i), query: q})
				}
			default:
				return parsingError(v.Pos, "Unknown key for a %s in [%s]: [%s].", v.Kind.Token(), a.name, m.Key)
			}
			filtersNode = v
		case "other_bucket":
			b, err := boolValue(v)
			if err != nil {
				return err
			}
			a.otherBucket = b
		case "other_bucket_key":
			s, ok := scalar(v)
			if !ok {
				return parsingError(v.Pos, "Unknown key for a %s in [%s]: [%s].", v.Kind.Token(), a.name, m.Key)
			}
			a.otherBucketKey, a.otherBucket = s, true
		case "keyed":
			b, err := boolValue(v)
			if err != nil {
				return err
			}
			a.keyed = &b
		default:
			return parsingError(v.Pos, "Unknown key for a %s in [%s]: [%s].", v.Kind.Token(), a.name, m.Key)
		}
	}
	if filtersNode == nil {
		return invalid("[filters] cannot be null in filters aggregation [%s]", a.name)
	}
	if len(a.filters) == 0 {
		return invalid("[filters] cannot be empty.")
	}
	return nil
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}
