package query

import (
	"bytes"
	"math"
	"sort"
	"strconv"
)

// This file evaluates the bucket aggregations: terms, composite, range and filters.

type termsBucket struct {
	key   any
	docs  []*Doc
	count int64 // the docs in the bucket: len(docs), or a store's count
}

func (a *Agg) writeTerms(b *bytes.Buffer, docs []*Doc, typedKeys bool) {
	buckets, total := a.termsBuckets(docs)
	a.writeTermsBuckets(b, buckets, total, typedKeys)
}

// writeTermsBuckets sorts the buckets, keeps the first size, and writes
// them; total is the number of values counted in any bucket.
func (a *Agg) writeTermsBuckets(b *bytes.Buffer, buckets []*termsBucket, total int64, typedKeys bool) {
	a.sortTermsBuckets(buckets)
	if len(buckets) > a.size {
		buckets = buckets[:a.size]
	}
	for _, tb := range buckets {
		total -= tb.count
	}
	b.WriteString(`"doc_count_error_upper_bound":0,"sum_other_doc_count":`)
	writeInt(b, total)
	b.WriteString(`,"buckets":[`)
	for i, tb := range buckets {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"key":`)
		writeValue(b, tb.key)
		switch a.Field.Kind() {
		case Date:
			b.WriteString(`,"key_as_string":`)
			writeString(b, a.format.Format(tb.key.(int64), nil))
		case Boolean:
			b.WriteString(`,"key_as_string":`)
			writeString(b, strconv.FormatBool(tb.key.(int64) == 1))
		}
		b.WriteString(`,"doc_count":`)
		writeInt(b, tb.count)
		writeAggs(b, a.Subs, tb.docs, typedKeys, true)
		b.WriteByte('}')
	}
	b.WriteString(`]`)
}

// termsBuckets groups docs by the values include and exclude let through,
// in first-seen order, dropping buckets under min_doc_count; total counts
// every value, kept or not.
func (a *Agg) termsBuckets(docs []*Doc) (buckets []*termsBucket, total int64) {
	index := map[any]*termsBucket{}
	for _, d := range docs {
		for _, v := range a.values(d) {
			if a.include != nil && !a.include.match(v) {
				continue
			}
			if a.exclude != nil && a.exclude.match(v) {
				continue
			}
			tb := index[v]
			if tb == nil {
				tb = &termsBucket{key: v}
				index[v] = tb
				buckets = append(buckets, tb)
			}
			tb.docs = append(tb.docs, d)
			tb.count++
			total++
		}
	}
	return a.keepMinDocCount(buckets), total
}

// keepMinDocCount drops the buckets under min_doc_count.
func (a *Agg) keepMinDocCount(buckets []*termsBucket) []*termsBucket {
	kept := buckets[:0]
	for _, tb := range buckets {
		if tb.count >= int64(a.minDocCount) {
			kept = append(kept, tb)
		}
	}
	return kept
}

// sortTermsBuckets sorts by the aggregation's order (count descending by
// default), ties broken by key.
func (a *Agg) sortTermsBuckets(buckets []*termsBucket) {
	order := a.order
	if len(order) == 0 {
		order = []termsOrder{{path: "_count", desc: true}}
	}
	if last := order[len(order)-1].path; last != "_key" && last != "_term" {
		order = append(append([]termsOrder{}, order...), termsOrder{path: "_key"})
	}
	// order values of sub-aggregation paths, computed once per bucket
	cache := map[*termsBucket]map[string]float64{}
	value := func(tb *termsBucket, path string) float64 {
		m := cache[tb]
		if m == nil {
			m = map[string]float64{}
			cache[tb] = m
		}
		v, ok := m[path]
		if !ok {
			v = a.orderValue(path, tb.docs)
			m[path] = v
		}
		return v
	}
	sort.SliceStable(buckets, func(i, j int) bool {
		x, y := buckets[i], buckets[j]
		for _, o := range order {
			var c int
			switch o.path {
			case "_key", "_term":
				c = Compare(x.key, y.key)
			case "_count":
				c = cmpInt(x.count, y.count)
			default:
				c = cmpFloat(value(x, o.path), value(y, o.path))
			}
			if o.desc {
				c = -c
			}
			if c != 0 {
				return c < 0
			}
		}
		return false
	})
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

type compositeBucket struct {
	key  []any
	docs []*Doc
}

// compareKeys orders composite keys by the sources' orders; a missing
// value (nil) goes where the source's missing_order puts it.
func (a *Agg) compareKeys(x, y []any) int {
	for i, s := range a.sources {
		var c int
		switch {
		case x[i] == nil && y[i] == nil:
			c = 0
		case x[i] == nil:
			if s.missingFirst {
				c = -1
			} else {
				c = 1
			}
		case y[i] == nil:
			if s.missingFirst {
				c = 1
			} else {
				c = -1
			}
		default:
			c = Compare(x[i], y[i])
			if s.desc {
				c = -c
			}
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

func (a *Agg) writeComposite(b *bytes.Buffer, docs []*Doc, typedKeys bool) {
	index := map[string]*compositeBucket{}
	var buckets []*compositeBucket
	for _, d := range docs {
		combos := [][]any{{}}
		for _, s := range a.sources {
			vs := d.Values(s.field)
			if len(vs) == 0 {
				if !s.missingBkt {
					combos = nil
					break
				}
				vs = []any{nil}
			}
			var next [][]any
			for _, c := range combos {
				for _, v := range vs {
					next = append(next, append(append([]any{}, c...), v))
				}
			}
			combos = next
		}
		for _, key := range combos {
			id := compositeID(key)
			cb := index[id]
			if cb == nil {
				cb = &compositeBucket{key: key}
				index[id] = cb
				buckets = append(buckets, cb)
			}
			cb.docs = append(cb.docs, d)
		}
	}
	sort.Slice(buckets, func(i, j int) bool { return a.compareKeys(buckets[i].key, buckets[j].key) < 0 })
	if a.hasAfter {
		kept := buckets[:0]
		for _, cb := range buckets {
			if a.compareKeys(cb.key, a.after) > 0 {
				kept = append(kept, cb)
			}
		}
		buckets = kept
	}
	if len(buckets) > a.size {
		buckets = buckets[:a.size]
	}
	if len(buckets) > 0 {
		b.WriteString(`"after_key":`)
		a.writeCompositeKey(b, buckets[len(buckets)-1].key)
		b.WriteByte(',')
	}
	b.WriteString(`"buckets":[`)
	for i, cb := range buckets {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"key":`)
		a.writeCompositeKey(b, cb.key)
		b.WriteString(`,"doc_count":`)
		writeInt(b, int64(len(cb.docs)))
		writeAggs(b, a.Subs, cb.docs, typedKeys, true)
		b.WriteByte('}')
	}
	b.WriteByte(']')
}

func compositeID(key []any) string {
	var b bytes.Buffer
	for _, v := range key {
		switch v := v.(type) {
		case nil:
			b.WriteString("n;")
		case int64:
			b.WriteString("i" + strconv.FormatInt(v, 10) + ";")
		case string:
			b.WriteString("s" + strconv.Itoa(len(v)) + ":" + v + ";")
		}
	}
	return b.String()
}

func (a *Agg) writeCompositeKey(b *bytes.Buffer, key []any) {
	b.WriteByte('{')
	for i, s := range a.sources {
		if i > 0 {
			b.WriteByte(',')
		}
		writeString(b, s.name)
		b.WriteByte(':')
		v := key[i]
		switch {
		case v == nil:
			b.WriteString("null")
		case s.field.Kind() == Boolean:
			b.WriteString(strconv.FormatBool(v.(int64) == 1))
		case s.field.Kind() == Date && s.format != nil:
			writeString(b, s.format.Format(v.(int64), nil))
		default:
			writeValue(b, v)
		}
	}
	b.WriteByte('}')
}

// formatBound prints a range bound: with the date format for dates,
// as Java prints a double otherwise.
func (a *Agg) formatBound(v float64) string {
	if a.Field.Kind() == Date {
		return a.format.Format(int64(v), nil)
	}
	return JavaDouble(v)
}

func (a *Agg) writeRanges(b *bytes.Buffer, docs []*Doc, typedKeys bool) {
	if a.keyed {
		b.WriteString(`"buckets":{`)
	} else {
		b.WriteString(`"buckets":[`)
	}
	for i, r := range a.ranges {
		if i > 0 {
			b.WriteByte(',')
		}
		var in []*Doc
		for _, d := range docs {
			for _, v := range a.values(d) {
				x := float64(v.(int64))
				if x >= r.from && x < r.to {
					in = append(in, d)
					break
				}
			}
		}
		key := r.key
		if !r.hasKey {
			key = "*"
			if !math.IsInf(r.from, 0) {
				key = a.formatBound(r.from)
			}
			key += "-"
			if !math.IsInf(r.to, 0) {
				key += a.formatBound(r.to)
			} else {
				key += "*"
			}
		}
		if a.keyed {
			writeString(b, key)
			b.WriteString(`:{`)
		} else {
			b.WriteString(`{"key":`)
			writeString(b, key)
			b.WriteByte(',')
		}
		withString := a.Field.Kind() == Date
		if !math.IsInf(r.from, 0) {
			b.WriteString(`"from":` + JavaDouble(r.from) + `,`)
			if withString {
				b.WriteString(`"from_as_string":`)
				writeString(b, a.formatBound(r.from))
				b.WriteByte(',')
			}
		}
		if !math.IsInf(r.to, 0) {
			b.WriteString(`"to":` + JavaDouble(r.to) + `,`)
			if withString {
				b.WriteString(`"to_as_string":`)
				writeString(b, a.formatBound(r.to))
				b.WriteByte(',')
			}
		}
		b.WriteString(`"doc_count":`)
		writeInt(b, int64(len(in)))
		writeAggs(b, a.Subs, in, typedKeys, true)
		b.WriteByte('}')
	}
	if a.keyed {
		b.WriteByte('}')
	} else {
		b.WriteByte(']')
	}
}

func (a *Agg) writeFilters(b *bytes.Buffer, docs []*Doc, typedKeys bool) {
	type bucket struct {
		key  string
		docs []*Doc
	}
	var buckets []bucket
	matchedAny := map[*Doc]bool{}
	for _, f := range a.filters {
		var in []*Doc
		for _, d := range docs {
			if Match(f.query, d) {
				in = append(in, d)
				matchedAny[d] = true
			}
		}
		buckets = append(buckets, bucket{f.key, in})
	}
	if a.otherBucket {
		var in []*Doc
		for _, d := range docs {
			if !matchedAny[d] {
				in = append(in, d)
			}
		}
		buckets = append(buckets, bucket{a.otherBucketKey, in})
	}
	if a.keyed {
		b.WriteString(`"buckets":{`)
	} else {
		b.WriteString(`"buckets":[`)
	}
	for i, bk := range buckets {
		if i > 0 {
			b.WriteByte(',')
		}
		switch {
		case a.keyed:
			writeString(b, bk.key)
			b.WriteString(`:{`)
		case a.namedFilters:
			b.WriteString(`{"key":`)
			writeString(b, bk.key)
			b.WriteByte(',')
		default:
			b.WriteByte('{')
		}
		b.WriteString(`"doc_count":`)
		writeInt(b, int64(len(bk.docs)))
		writeAggs(b, a.Subs, bk.docs, typedKeys, true)
		b.WriteByte('}')
	}
	if a.keyed {
		b.WriteByte('}')
	} else {
		b.WriteByte(']')
	}
}
