package query

import (
	"bytes"
	"encoding/json"
)

// This file answers aggregations from groups a store computes (a GROUP BY
// over its indexes) rather than from every matching key: a terms,
// value_count, cardinality or missing aggregation without
// sub-aggregations needs nothing but the number of matching keys per value
// of its field, and the number without one. The rendering is the
// in-memory evaluator's own, so both answer byte for byte alike.

// Groups are the matching keys of a search counted by the values of a
// field: each distinct value with the number of keys that have it, in any
// order, and the number of keys that have none.
type Groups struct {
	Values  []GroupCount
	Missing int64
}

// GroupCount is one value of a field and the number of keys that have it,
// typed as Doc.Values types it (string, or int64 for dates and booleans).
type GroupCount struct {
	Value any
	Count int64
}

// GroupField returns the field whose Groups answer a, when its result
// depends on nothing else: a terms aggregation ordered by count or key,
// value_count, cardinality or missing, without sub-aggregations.
func (a *Agg) GroupField() (Field, bool) {
	if len(a.Subs) > 0 {
		return Field{}, false
	}
	switch a.Type {
	case "terms":
		for _, o := range a.order {
			if o.path != "_key" && o.path != "_term" && o.path != "_count" {
				return Field{}, false
			}
		}
		return a.Field, true
	case "value_count", "cardinality", "missing":
		return a.Field, true
	}
	return Field{}, false
}

// AggregateGroups is Aggregate where groups[i], when not nil, answers
// aggs[i] (which GroupField accepts) and docs the others.
func AggregateGroups(aggs []*Agg, groups []*Groups, docs []*Doc, typedKeys bool) json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, a := range aggs {
		if i > 0 {
			b.WriteByte(',')
		}
		name := a.Name
		if typedKeys {
			name = a.typedName() + "#" + name
		}
		writeString(&b, name)
		b.WriteByte(':')
		if i < len(groups) && groups[i] != nil {
			a.writeGroups(&b, groups[i])
		} else {
			a.write(&b, docs, typedKeys)
		}
	}
	b.WriteByte('}')
	return b.Bytes()
}

// writeGroups writes the result object of a from g.
func (a *Agg) writeGroups(b *bytes.Buffer, g *Groups) {
	b.WriteByte('{')
	if a.meta != nil {
		b.WriteString(`"meta":`)
		writeNode(b, a.meta)
		b.WriteByte(',')
	}
	values := a.groupValues(g)
	switch a.Type {
	case "terms":
		var (
			buckets []*termsBucket
			total   int64
		)
		for _, v := range values {
			if (a.include != nil && !a.include.match(v.Value)) || (a.exclude != nil && a.exclude.match(v.Value)) {
				continue
			}
			buckets = append(buckets, &termsBucket{key: v.Value, count: v.Count})
			total += v.Count
		}
		a.writeTermsBuckets(b, a.keepMinDocCount(buckets), total, false)
	case "missing":
		b.WriteString(`"doc_count":`)
		writeInt(b, g.Missing)
	case "value_count":
		var n int64
		for _, v := range values {
			n += v.Count
		}
		b.WriteString(`"value":`)
		writeInt(b, n)
	case "cardinality":
		b.WriteString(`"value":`)
		writeInt(b, int64(len(values)))
	}
	b.WriteByte('}')
}

// groupValues are the values of g as the aggregation counts them: keys
// without a value count as its missing value, when it has one.
func (a *Agg) groupValues(g *Groups) []GroupCount {
	if a.missing == nil || g.Missing == 0 {
		return g.Values
	}
	out := make([]GroupCount, 0, len(g.Values)+1)
	merged := false
	for _, v := range g.Values {
		if v.Value == a.missing {
			v.Count += g.Missing
			merged = true
		}
		out = append(out, v)
	}
	if !merged {
		out = append(out, GroupCount{Value: a.missing, Count: g.Missing})
	}
	return out
}

// CountGroups counts docs by the values of f, as Doc.Values gives them:
// the in-memory reference of a store's groups (storetest checks every
// store against it).
func CountGroups(docs []*Doc, f Field) *Groups {
	g := &Groups{Values: []GroupCount{}}
	index := map[any]int{}
	for _, d := range docs {
		vs := d.Values(f)
		if len(vs) == 0 {
			g.Missing++
			continue
		}
		for _, v := range vs {
			i, ok := index[v]
			if !ok {
				i = len(g.Values)
				index[v] = i
				g.Values = append(g.Values, GroupCount{Value: v})
			}
			g.Values[i].Count++
		}
	}
	return g
}
