package query

import (
	"strings"
)

// dslAgg is one aggregation as Elasticsearch's parsers read it.
type dslAgg struct {
	name string
	typ  string
	at   pos
	meta *node
	subs []*dslAgg

	field    string
	hasField bool
	script   bool
	missing  *node
	format   *string
	timeZone *string

	// terms
	size, shardSize, minDocCount int
	order                        []dslOrder
	include, exclude             *node

	// composite
	sources []*dslSource
	after   *node

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
	from, to *node
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
func parseAggs(n *node) ([]*dslAgg, error) {
	if n.kind != kObject {
		return nil, xcontentError(n.pos, "[%s] aggs doesn't support values of type: %s", payloadParser, n.kind.token())
	}
	var out []*dslAgg
	for _, m := range n.members {
		if strings.ContainsAny(m.key, "[]>") || m.key == "" {
			return nil, parsingError(m.keyPos, "Invalid aggregation name [%s]. Aggregation names can contain any character except '[', ']', and '>'", m.key)
		}
		if m.val.kind != kObject {
			return nil, parsingError(m.val.pos, "Aggregation definition for [%s starts with a [%s], expected a [START_OBJECT].", m.key, m.val.kind.token())
		}
		a := &dslAgg{name: m.key, at: m.keyPos}
		var typeNode *node
		subsSeen := false
		for _, in := range m.val.members {
			if in.val.kind != kObject {
				return nil, parsingError(in.val.pos, "Expected [START_OBJECT] under [%s], but got a [%s] in [%s]", in.key, in.val.kind.token(), m.key)
			}
			switch in.key {
			case "meta":
				a.meta = in.val
			case "aggs", "aggregations":
				if subsSeen {
					return nil, parsingError(in.val.pos, "Found two sub aggregation definitions under [%s]", m.key)
				}
				subsSeen = true
				subs, err := parseAggs(in.val)
				if err != nil {
					return nil, err
				}
				a.subs = subs
			default:
				if typeNode != nil {
					return nil, parsingError(in.val.pos, "Found two aggregation type definitions in [%s]: [%s] and [%s]", m.key, a.typ, in.key)
				}
				if !contains(bucketAggs, in.key) && !contains(metricAggs, in.key) && !contains(pipelineAggs, in.key) {
					all := append(append(append([]string{}, bucketAggs...), metricAggs...), pipelineAggs...)
					return nil, parsingError(in.keyPos, "Unknown aggregation type [%s]%s", in.key, suggest(in.key, all))
				}
				a.typ, typeNode = in.key, in.val
				a.pipeline = contains(pipelineAggs, in.key)
			}
		}
		if typeNode == nil {
			return nil, parsingError(m.val.pos, "Missing definition for aggregation [%s]", m.key)
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
func parseAggBody(a *dslAgg, body *node) error {
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
func parseValuesSourceAgg(a *dslAgg, body *node) error {
	a.size, a.shardSize, a.minDocCount = 10, -1, 1
	for _, m := range body.members {
		v := m.val
		fail := func(err error) error { return fieldFailure(a.typ, m.key, m.keyPos, err) }
		wrongType := func() error {
			return xcontentError(m.keyPos, "[%s] %s doesn't support values of type: %s", a.typ, m.key, v.kind.token())
		}
		switch {
		case m.key == "field":
			s, ok := scalar(v)
			if !ok {
				return wrongType()
			}
			a.field, a.hasField = s, true
		case m.key == "script":
			a.script = true
		case m.key == "missing":
			if v.kind == kObject || v.kind == kArray {
				return wrongType()
			}
			if v.kind != kNull {
				a.missing = v
			}
		case m.key == "format":
			s, ok := scalar(v)
			if !ok {
				return wrongType()
			}
			a.format = &s
		case m.key == "value_type":
			if _, ok := scalar(v); !ok {
				return wrongType()
			}
		case m.key == "time_zone" && (a.typ == "date_range" || a.typ == "range"):
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
		case (a.typ == "range" || a.typ == "date_range") && m.key == "ranges":
			if v.kind != kArray {
				return wrongType()
			}
			for _, e := range v.elems {
				if e.kind != kObject {
					return fail(parsingError(e.pos, "[ranges] must be an array of objects"))
				}
				var rb dslRangeBucket
				for _, r := range e.members {
					switch r.key {
					case "key":
						s, ok := scalar(r.val)
						if !ok {
							return fail(xcontentError(r.keyPos, "[range] key doesn't support values of type: %s", r.val.kind.token()))
						}
						rb.key = &s
					case "from", "to":
						if r.val.kind == kObject || r.val.kind == kArray || r.val.kind == kTrue || r.val.kind == kFalse {
							return fail(xcontentError(r.keyPos, "[range] %s doesn't support values of type: %s", r.key, r.val.kind.token()))
						}
						if r.val.kind == kNull {
							continue
						}
						if r.key == "from" {
							rb.from = r.val
						} else {
							rb.to = r.val
						}
					default:
						return fail(xcontentError(r.keyPos, "[range] unknown field [%s]", r.key))
					}
				}
				a.ranges = append(a.ranges, rb)
			}
		case (a.typ == "range" || a.typ == "date_range") && m.key == "keyed":
			b, err := boolValue(v)
			if err != nil {
				return fail(err)
			}
			a.keyed = &b
		case a.typ == "cardinality" && (m.key == "precision_threshold" || m.key == "execution_hint"):
			if m.key == "precision_threshold" {
				n, err := intValue(v)
				if err != nil {
					return fail(err)
				}
				if n < 0 {
					return fail(invalid("[precisionThreshold] must be greater than or equal to 0. Found [%d] in [%s]", n, a.name))
				}
			}
		default:
			return xcontentError(m.keyPos, "[%s] unknown field [%s]", a.typ, m.key)
		}
	}
	return nil
}

func parseTermsOption(a *dslAgg, m member, fail func(error) error, wrongType func() error) error {
	v := m.val
	switch m.key {
	case "size", "shard_size", "min_doc_count", "shard_min_doc_count":
		n, err := intValue(v)
		if err != nil {
			return fail(err)
		}
		switch m.key {
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
		if m.key == "collect_mode" && s != "depth_first" && s != "breadth_first" {
			return fail(invalid("Unknown `collect_mode` value [%s]", s))
		}
	case "show_term_doc_count_error":
		if _, err := boolValue(v); err != nil {
			return fail(err)
		}
	case "order":
		elems := []*node{v}
		if v.kind == kArray {
			elems = v.elems
		}
		for _, e := range elems {
			if e.kind != kObject || len(e.members) != 1 {
				return fail(parsingError(e.pos, "Order elements must be of type object in [%s] found token of type [%s].", a.name, e.kind.token()))
			}
			om := e.members[0]
			dir, ok := scalar(om.val)
			if !ok {
				return fail(parsingError(om.val.pos, "Unexpected token [%s] for [order]", om.val.kind.token()))
			}
			var desc bool
			switch strings.ToLower(dir) {
			case "asc":
			case "desc":
				desc = true
			default:
				return fail(parsingError(om.val.pos, "Unknown terms order direction [%s] in terms aggregation [%s]", dir, a.name))
			}
			a.order = append(a.order, dslOrder{path: om.key, desc: desc})
		}
	case "include", "exclude":
		switch v.kind {
		case kString, kArray, kObject:
		default:
			return wrongType()
		}
		if m.key == "include" {
			a.include = v
		} else {
			a.exclude = v
		}
	default:
		return xcontentError(m.keyPos, "[terms] unknown field [%s]", m.key)
	}
	return nil
}

func parseComposite(a *dslAgg, body *node) error {
	a.size = 10
	hasSources := false
	for _, m := range body.members {
		v := m.val
		fail := func(err error) error { return fieldFailure("composite", m.key, m.keyPos, err) }
		switch m.key {
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
			if v.kind != kObject {
				return xcontentError(m.keyPos, "[composite] after doesn't support values of type: %s", v.kind.token())
			}
			a.after = v
		case "sources":
			if v.kind != kArray {
				return xcontentError(m.keyPos, "[composite] sources doesn't support values of type: %s", v.kind.token())
			}
			hasSources = true
			names := map[string]bool{}
			var dups []string
			for _, e := range v.elems {
				if e.kind != kObject || len(e.members) == 0 {
					return fail(parsingError(e.pos, "Expected START_OBJECT but got %s", e.kind.token()))
				}
				sm := e.members[0]
				if sm.val.kind != kObject || len(sm.val.members) == 0 {
					return fail(parsingError(sm.val.pos, "Expected START_OBJECT but got %s", sm.val.kind.token()))
				}
				tm := sm.val.members[0]
				src := &dslSource{name: sm.key, typ: tm.key}
				switch tm.key {
				case "terms":
					if err := parseSourceOptions(src, tm.val); err != nil {
						return fail(err)
					}
				case "histogram", "date_histogram", "geotile_grid":
				default:
					return fail(parsingError(tm.keyPos, "invalid source type: %s", tm.key))
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
			return xcontentError(m.keyPos, "[composite] unknown field [%s]", m.key)
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

func parseSourceOptions(src *dslSource, body *node) error {
	if body.kind != kObject {
		return parsingError(body.pos, "Expected START_OBJECT but got %s", body.kind.token())
	}
	for _, m := range body.members {
		v := m.val
		s, isScalar := scalar(v)
		switch m.key {
		case "field":
			if !isScalar {
				return xcontentError(m.keyPos, "[terms] field doesn't support values of type: %s", v.kind.token())
			}
			src.field, src.hasField = s, true
		case "script":
			src.script = true
		case "order":
			if !isScalar {
				return xcontentError(m.keyPos, "[terms] order doesn't support values of type: %s", v.kind.token())
			}
			d, err := sortOrder(s)
			if err != nil {
				return fieldFailure("terms", m.key, m.keyPos, err)
			}
			src.desc = d
		case "missing_bucket":
			b, err := boolValue(v)
			if err != nil {
				return fieldFailure("terms", m.key, m.keyPos, err)
			}
			src.missingBkt = b
		case "missing_order":
			if !isScalar {
				return xcontentError(m.keyPos, "[terms] missing_order doesn't support values of type: %s", v.kind.token())
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
				return fieldFailure("terms", m.key, m.keyPos, invalid("Unknown MissingOrder [%s]", s))
			}
		case "format":
			if !isScalar {
				return xcontentError(m.keyPos, "[terms] format doesn't support values of type: %s", v.kind.token())
			}
			src.format = &s
		case "value_type", "missing":
		default:
			return xcontentError(m.keyPos, "[terms] unknown field [%s]", m.key)
		}
	}
	return nil
}

func parseFilters(a *dslAgg, body *node) error {
	var filtersNode *node
	for _, m := range body.members {
		v := m.val
		switch m.key {
		case "filters":
			switch v.kind {
			case kObject:
				a.namedFilters = true
				for _, f := range v.members {
					q, err := parseInnerQuery(f.val)
					if err != nil {
						return err
					}
					a.filters = append(a.filters, dslKeyedFilter{key: f.key, query: q})
				}
			case kArray:
				for i, e := range v.elems {
					q, err := parseInnerQuery(e)
					if err != nil {
						return err
					}
					a.filters = append(a.filters, dslKeyedFilter{key: itoa(i), query: q})
				}
			default:
				return parsingError(v.pos, "Unknown key for a %s in [%s]: [%s].", v.kind.token(), a.name, m.key)
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
				return parsingError(v.pos, "Unknown key for a %s in [%s]: [%s].", v.kind.token(), a.name, m.key)
			}
			a.otherBucketKey, a.otherBucket = s, true
		case "keyed":
			b, err := boolValue(v)
			if err != nil {
				return err
			}
			a.keyed = &b
		default:
			return parsingError(v.pos, "Unknown key for a %s in [%s]: [%s].", v.kind.token(), a.name, m.key)
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
