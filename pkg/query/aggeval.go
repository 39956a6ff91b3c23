package query

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/apikeyctl/apikeyctl/pkg/strictjson"
)

// Aggregate computes the aggregations over the keys a query matched and
// renders them as the aggregations object of the response, in request
// order. With typedKeys each name is prefixed with its type as
// Elasticsearch names it (sterms#, lterms#, composite#, range#,
// date_range#, filter#, filters#, missing#, value_count#, cardinality#).
func Aggregate(aggs []*Agg, docs []*Doc, typedKeys bool) json.RawMessage {
	var b bytes.Buffer
	writeAggs(&b, aggs, docs, typedKeys, false)
	return b.Bytes()
}

// writeAggs writes the aggregations as members of an object: as a whole
// object, or (inner) as further members of an open bucket object.
func writeAggs(b *bytes.Buffer, aggs []*Agg, docs []*Doc, typedKeys, inner bool) {
	if !inner {
		b.WriteByte('{')
	}
	for i, a := range aggs {
		if i > 0 || inner {
			b.WriteByte(',')
		}
		name := a.Name
		if typedKeys {
			name = a.typedName() + "#" + name
		}
		writeString(b, name)
		b.WriteByte(':')
		a.write(b, docs, typedKeys)
	}
	if !inner {
		b.WriteByte('}')
	}
}

// typedName is the name of the aggregation's result type.
func (a *Agg) typedName() string {
	if a.Type == "terms" {
		if a.Field.Numeric() {
			return "lterms"
		}
		return "sterms"
	}
	return a.Type
}

func writeString(b *bytes.Buffer, s string) {
	data, _ := json.Marshal(s)
	// Elasticsearch does not escape <, > and & in JSON.
	data = bytes.ReplaceAll(data, []byte(`\u003c`), []byte("<"))
	data = bytes.ReplaceAll(data, []byte(`\u003e`), []byte(">"))
	data = bytes.ReplaceAll(data, []byte(`\u0026`), []byte("&"))
	b.Write(data)
}

func writeInt(b *bytes.Buffer, n int64) { b.WriteString(strconv.FormatInt(n, 10)) }

// writeValue writes a key: a string, or a number.
func writeValue(b *bytes.Buffer, v any) {
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		writeString(b, v)
	case int64:
		writeInt(b, v)
	case bool:
		b.WriteString(strconv.FormatBool(v))
	}
}

// writeNode writes a parsed JSON node back (meta).
func writeNode(b *bytes.Buffer, n *strictjson.Node) {
	switch n.Kind {
	case strictjson.Null:
		b.WriteString("null")
	case strictjson.True:
		b.WriteString("true")
	case strictjson.False:
		b.WriteString("false")
	case strictjson.Number:
		b.WriteString(n.Text)
	case strictjson.String:
		writeString(b, n.Text)
	case strictjson.Array:
		b.WriteByte('[')
		for i, e := range n.Elems {
			if i > 0 {
				b.WriteByte(',')
			}
			writeNode(b, e)
		}
		b.WriteByte(']')
	case strictjson.Object:
		b.WriteByte('{')
		for i, m := range n.Members {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, m.Key)
			b.WriteByte(':')
			writeNode(b, m.Value)
		}
		b.WriteByte('}')
	}
}

// write writes the result object of a over docs.
func (a *Agg) write(b *bytes.Buffer, docs []*Doc, typedKeys bool) {
	b.WriteByte('{')
	if a.meta != nil {
		b.WriteString(`"meta":`)
		writeNode(b, a.meta)
		b.WriteByte(',')
	}
	switch a.Type {
	case "terms":
		a.writeTerms(b, docs, typedKeys)
	case "composite":
		a.writeComposite(b, docs, typedKeys)
	case "range", "date_range":
		a.writeRanges(b, docs, typedKeys)
	case "filter":
		var in []*Doc
		for _, d := range docs {
			if Match(a.filter, d) {
				in = append(in, d)
			}
		}
		b.WriteString(`"doc_count":`)
		writeInt(b, int64(len(in)))
		writeAggs(b, a.Subs, in, typedKeys, true)
	case "filters":
		a.writeFilters(b, docs, typedKeys)
	case "missing":
		in := a.missingDocs(docs)
		b.WriteString(`"doc_count":`)
		writeInt(b, int64(len(in)))
		writeAggs(b, a.Subs, in, typedKeys, true)
	case "value_count", "cardinality":
		b.WriteString(`"value":`)
		writeInt(b, a.metric(docs))
	}
	b.WriteByte('}')
}

// values are a doc's values of the aggregation's field, or its missing
// value when it has none.
func (a *Agg) values(d *Doc) []any {
	vs := d.Values(a.Field)
	if len(vs) == 0 && a.missing != nil {
		return []any{a.missing}
	}
	return vs
}

func (a *Agg) missingDocs(docs []*Doc) []*Doc {
	var in []*Doc
	for _, d := range docs {
		if len(d.Values(a.Field)) == 0 {
			in = append(in, d)
		}
	}
	return in
}

// metric is the value of value_count (values counted) or cardinality
// (distinct values).
func (a *Agg) metric(docs []*Doc) int64 {
	if a.Type == "value_count" {
		n := 0
		for _, d := range docs {
			n += len(a.values(d))
		}
		return int64(n)
	}
	seen := map[any]bool{}
	for _, d := range docs {
		for _, v := range a.values(d) {
			seen[v] = true
		}
	}
	return int64(len(seen))
}

// orderValue is what a terms bucket is ordered by for a sub-aggregation
// path: a metric's value or a single-bucket aggregation's doc count.
func (a *Agg) orderValue(path string, docs []*Doc) float64 {
	for _, s := range a.Subs {
		if s.Name != pathHead(path) {
			continue
		}
		switch s.Type {
		case "filter":
			n := 0
			for _, d := range docs {
				if Match(s.filter, d) {
					n++
				}
			}
			return float64(n)
		case "missing":
			return float64(len(s.missingDocs(docs)))
		default:
			return float64(s.metric(docs))
		}
	}
	return 0
}

func pathHead(p string) string {
	for i := 0; i < len(p); i++ {
		if p[i] == '.' || p[i] == '>' {
			return p[:i]
		}
	}
	return p
}
