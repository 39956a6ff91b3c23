package query

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/strictjson"
)

// Agg is one aggregation, resolved for the security index.
type Agg struct {
	Name string
	// Type is terms, composite, range, date_range, filter, filters,
	// missing, value_count or cardinality.
	Type  string
	Field Field
	Subs  []*Agg
	meta  *strictjson.Node

	// terms
	size        int
	minDocCount int
	order       []termsOrder
	include     *termFilter
	exclude     *termFilter
	// missing is the value keys without one count as (terms, range and
	// date_range), typed as the field's values.
	missing any
	// format prints dates (terms keys, range bounds).
	format *DateFormat

	// composite
	sources  []*compositeSource
	after    []any
	hasAfter bool

	// range and date_range
	ranges []rangeBucket
	keyed  bool

	// filter and filters
	filter         Query
	filters        []keyedFilter
	namedFilters   bool
	otherBucket    bool
	otherBucketKey string
}

type termsOrder struct {
	// path is _key, _count, or the name of a sub-aggregation.
	path string
	desc bool
}

type compositeSource struct {
	name         string
	field        Field
	desc         bool
	missingBkt   bool
	missingFirst bool
	format       *DateFormat
}

type rangeBucket struct {
	key      string
	hasKey   bool
	from, to float64 // ±Inf when open
}

type keyedFilter struct {
	key   string
	query Query
}

// supportedAggs are the aggregation types the API key query accepts.
var supportedAggs = []string{"terms", "composite", "range", "date_range", "filter", "filters", "missing", "value_count", "cardinality"}

// checkAggs translates the aggregations for the security index, as
// ApiKeyAggregationsBuilder does: pipeline aggregations, other types,
// scripts and fields that are not queryable are refused. Sub-aggregations
// are checked before their parent.
func checkAggs(aggs []*dslAgg, top bool) error {
	if top {
		for _, a := range aggs {
			if a.pipeline {
				return invalid("Unsupported aggregation of type [%s]", a.typ)
			}
		}
	}
	for _, a := range aggs {
		if a.pipeline {
			continue
		}
		if err := checkAggs(a.subs, false); err != nil {
			return err
		}
		for _, s := range a.subs {
			if s.pipeline {
				return invalid("Unsupported aggregation of type [%s]", s.typ)
			}
		}
		switch a.typ {
		case "terms", "range", "date_range", "missing", "value_count", "cardinality":
			if a.script {
				return invalid("Unsupported script value source for [%s] agg", a.name)
			}
			if a.hasField {
				if _, err := translate(a.field, false); err != nil {
					return err
				}
			}
		case "composite":
			for _, s := range a.sources {
				if s.script {
					return invalid("Unsupported script value source for [%s] of composite agg [%s]", s.name, a.name)
				}
				if s.hasField {
					if _, err := translate(s.field, false); err != nil {
						return err
					}
				}
				if s.typ != "terms" {
					return invalid("Unsupported value source type for [%s] of composite agg [%s].Only [terms] value sources are allowed.", s.name, a.name)
				}
			}
		case "filter":
			if err := checkQuery(APIKeys, a.filter); err != nil {
				return err
			}
		case "filters":
			for _, f := range a.filters {
				if err := checkQuery(APIKeys, f.query); err != nil {
					return err
				}
			}
		default:
			return invalid("Unsupported API Keys agg [%s] of type [%s]", a.name, a.typ)
		}
	}
	return nil
}

// aggFactoryNames are the factory classes Elasticsearch names when a
// composite aggregation has a parent it cannot have.
var aggFactoryNames = map[string]string{
	"terms": "TermsAggregatorFactory", "composite": "CompositeAggregationFactory", "range": "RangeAggregatorFactory",
	"date_range": "DateRangeAggregatorFactory", "filters": "FiltersAggregatorFactory", "missing": "MissingAggregatorFactory",
}

// aggs resolves aggregations on the shard.
func (rs *resolver) aggs(list []*dslAgg, parents []*dslAgg) ([]*Agg, error) {
	var out []*Agg
	for _, d := range list {
		a := &Agg{Name: d.name, Type: d.typ, meta: d.meta}
		if d.typ == "value_count" || d.typ == "cardinality" {
			if len(d.subs) > 0 {
				return nil, ShardFailure(typed("aggregation_initialization_exception", "Aggregator [%s] of type [%s] cannot accept sub-aggregations", d.name, d.typ))
			}
		}
		if d.typ == "composite" {
			for i := len(parents) - 1; i >= 0; i-- {
				if parents[i].typ != "filter" {
					return nil, ShardFailure(invalid("[composite] aggregation cannot be used with a parent aggregation of type: [%s]", aggFactoryNames[parents[i].typ]))
				}
			}
		}
		if err := rs.resolveAgg(a, d); err != nil {
			return nil, err
		}
		subs, err := rs.aggs(d.subs, append(parents, d))
		if err != nil {
			return nil, err
		}
		a.Subs = subs
		if d.typ == "terms" {
			if err := checkOrder(a); err != nil {
				return nil, err
			}
		}
		out = append(out, a)
	}
	return out, nil
}

func (rs *resolver) resolveAgg(a *Agg, d *dslAgg) error {
	switch d.typ {
	case "terms", "range", "date_range", "missing", "value_count", "cardinality":
		return rs.resolveFieldAgg(a, d)
	case "composite":
		return resolveCompositeAgg(a, d)
	case "filter":
		q, err := rs.query(d.filter)
		if err != nil {
			return err
		}
		a.filter = q
	case "filters":
		return rs.resolveFiltersAgg(a, d)
	}
	return nil
}

// resolveFieldAgg resolves an aggregation over one field: its format,
// time zone and missing value, then what its type adds.
func (rs *resolver) resolveFieldAgg(a *Agg, d *dslAgg) error {
	if !d.hasField {
		return ShardFailure(invalid("Required one of fields [field, script], but none were specified."))
	}
	f, _ := translate(d.field, false)
	a.Field = f
	if d.format != nil {
		if !f.Numeric() && d.typ != "terms" {
			return ShardFailure(invalid("Field [%s] of type [%s] does not support custom formats", f.IndexName(), f.typeName()))
		}
		df, err := ParseDateFormat(*d.format)
		if err != nil {
			return ShardFailure(err.(*api.Error))
		}
		if f.Kind() == Date {
			a.format = df
		}
	}
	if a.format == nil && f.Kind() == Date {
		a.format = defaultDateFormat
	}
	var loc *time.Location
	if d.timeZone != nil {
		loc, _ = ParseTimeZone(*d.timeZone)
	}
	if d.missing != nil {
		v, err := rs.aggValue(f, d.missing, a.format, loc)
		if err != nil {
			return err
		}
		a.missing = v
	}
	switch d.typ {
	case "terms":
		return resolveTermsAgg(a, d)
	case "range", "date_range":
		return rs.resolveRangeAgg(a, d, loc)
	}
	return nil
}

// resolveTermsAgg adds a terms aggregation's size, order and filters.
func resolveTermsAgg(a *Agg, d *dslAgg) error {
	a.size, a.minDocCount = d.size, d.minDocCount
	for _, o := range d.order {
		a.order = append(a.order, termsOrder{path: o.path, desc: o.desc})
	}
	var err error
	if a.include, err = compileTermFilter(a, d.include); err != nil {
		return err
	}
	a.exclude, err = compileTermFilter(a, d.exclude)
	return err
}

// resolveRangeAgg adds a range or date_range aggregation's ranges, in
// order, their bounds read in loc.
func (rs *resolver) resolveRangeAgg(a *Agg, d *dslAgg, loc *time.Location) error {
	f := a.Field
	if !f.Numeric() {
		return ShardFailure(invalid("Field [%s] of type [%s] is not supported for aggregation [%s]", f.IndexName(), f.typeName(), d.typ))
	}
	if len(d.ranges) == 0 {
		return ShardFailure(invalid("No [ranges] specified for the [%s] aggregation", d.name))
	}
	a.keyed = d.keyed != nil && *d.keyed
	for _, r := range d.ranges {
		rb := rangeBucket{from: math.Inf(-1), to: math.Inf(1)}
		if r.key != nil {
			rb.key, rb.hasKey = *r.key, true
		}
		if r.from != nil {
			v, err := rs.rangeBound(d.typ, f, r.from, a.format, loc)
			if err != nil {
				return err
			}
			rb.from = v
		}
		if r.to != nil {
			v, err := rs.rangeBound(d.typ, f, r.to, a.format, loc)
			if err != nil {
				return err
			}
			rb.to = v
		}
		a.ranges = append(a.ranges, rb)
	}
	sort.SliceStable(a.ranges, func(i, j int) bool {
		if a.ranges[i].from != a.ranges[j].from {
			return a.ranges[i].from < a.ranges[j].from
		}
		return a.ranges[i].to < a.ranges[j].to
	})
	return nil
}

// resolveCompositeAgg adds a composite aggregation's sources and after key.
func resolveCompositeAgg(a *Agg, d *dslAgg) error {
	a.size = d.size
	for _, s := range d.sources {
		if !s.hasField {
			return ShardFailure(invalid("Required one of fields [field, script], but none were specified."))
		}
		f, _ := translate(s.field, false)
		cs := &compositeSource{name: s.name, field: f, desc: s.desc, missingBkt: s.missingBkt, missingFirst: !s.desc}
		if s.missingFirst != nil {
			cs.missingFirst = *s.missingFirst
		}
		if s.format != nil {
			if f.Kind() != Date {
				return ShardFailure(invalid("Field [%s] of type [%s] does not support custom formats", f.IndexName(), f.typeName()))
			}
			df, err := ParseDateFormat(*s.format)
			if err != nil {
				return ShardFailure(err.(*api.Error))
			}
			cs.format = df
		}
		a.sources = append(a.sources, cs)
	}
	if d.after == nil {
		return nil
	}
	if len(d.after.Members) != len(a.sources) {
		return ShardFailure(invalid("[after] has %d value(s) but [sources] has %d", len(d.after.Members), len(a.sources)))
	}
	a.hasAfter = true
	for _, s := range a.sources {
		v := d.after.Get(s.name)
		if v == nil || v.Kind == strictjson.Null {
			if !s.missingBkt {
				return ShardFailure(invalid("Missing value for [after.%s]", s.name))
			}
			a.after = append(a.after, nil)
			continue
		}
		val, err := compositeAfterValue(s, v)
		if err != nil {
			return err
		}
		a.after = append(a.after, val)
	}
	return nil
}

// resolveFiltersAgg adds a filters aggregation's queries, keyed or not.
func (rs *resolver) resolveFiltersAgg(a *Agg, d *dslAgg) error {
	a.namedFilters = d.namedFilters
	a.keyed = d.namedFilters
	if d.keyed != nil {
		a.keyed = *d.keyed
	}
	a.otherBucket, a.otherBucketKey = d.otherBucket, d.otherBucketKey
	if a.otherBucketKey == "" {
		a.otherBucketKey = "_other_"
	}
	for _, f := range d.filters {
		q, err := rs.query(f.query)
		if err != nil {
			return err
		}
		a.filters = append(a.filters, keyedFilter{key: f.key, query: q})
	}
	if a.namedFilters {
		sort.SliceStable(a.filters, func(i, j int) bool { return a.filters[i].key < a.filters[j].key })
	}
	return nil
}

// aggValue types a value given for field f (a missing value).
func (rs *resolver) aggValue(f Field, n *strictjson.Node, format *DateFormat, loc *time.Location) (any, error) {
	switch f.Kind() {
	case Date:
		ms, err := parseDateMath(keywordText(n), format, loc, rs.now, false)
		if err != nil {
			return nil, dateError(err)
		}
		return ms, nil
	case Boolean:
		return booleanTerm(n)
	}
	return keywordText(n), nil
}

// rangeBound types the from or to of a range.
func (rs *resolver) rangeBound(typ string, f Field, n *strictjson.Node, format *DateFormat, loc *time.Location) (float64, error) {
	if n.Kind == strictjson.Number {
		v, err := strconv.ParseFloat(n.Text, 64)
		if err != nil {
			return 0, ShardFailure(typed("number_format_exception", "For input string: \"%s\"", n.Text))
		}
		return v, nil
	}
	if f.Kind() == Date {
		if v, err := strconv.ParseFloat(n.Text, 64); err == nil && typ == "range" {
			return v, nil
		}
		ms, err := parseDateMath(n.Text, format, loc, rs.now, false)
		if err != nil {
			return 0, dateError(err)
		}
		return float64(ms), nil
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(n.Text), 64)
	if err != nil {
		return 0, ShardFailure(typed("number_format_exception", "For input string: \"%s\"", n.Text))
	}
	return v, nil
}

func compositeAfterValue(s *compositeSource, v *strictjson.Node) (any, error) {
	bad := func() error {
		return ShardFailure(invalid("Invalid value for [after.%s], expected comparable, got [%s]", s.name, describe(v)))
	}
	switch s.field.Kind() {
	case Date:
		if v.Kind == strictjson.Number {
			n, err := strconv.ParseInt(v.Text, 10, 64)
			if err != nil {
				f, ferr := strconv.ParseFloat(v.Text, 64)
				if ferr != nil {
					return nil, bad()
				}
				n = int64(f)
			}
			return n, nil
		}
		if v.Kind == strictjson.String {
			format := s.format
			if format == nil {
				format = defaultDateFormat
			}
			ms, err := format.parse(v.Text, nil, false)
			if err != nil {
				return nil, ShardFailure(err.(*api.Error))
			}
			return ms, nil
		}
		return nil, bad()
	case Boolean:
		switch v.Kind {
		case strictjson.True:
			return int64(1), nil
		case strictjson.False:
			return int64(0), nil
		case strictjson.Number:
			if v.Text == "0" || v.Text == "1" {
				n, _ := strconv.ParseInt(v.Text, 10, 64)
				return n, nil
			}
		case strictjson.String:
			switch v.Text {
			case "true":
				return int64(1), nil
			case "false":
				return int64(0), nil
			}
		}
		return nil, bad()
	}
	if v.Kind == strictjson.Object || v.Kind == strictjson.Array {
		return nil, bad()
	}
	return keywordText(v), nil
}
