package output

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/orderedjson"
)

// queryResult shows a query API keys answer: the keys as a table, then the
// aggregations, if any, as AggregationsTable shows them. On a terminal a
// hint on stderr says when the page holds fewer keys than matched.
func (t *Terminal) queryResult(r api.QueryAPIKeysResponse) error {
	if len(r.APIKeys) > 0 || len(r.Aggregations) == 0 {
		if err := t.keyTable(r.APIKeys); err != nil {
			return err
		}
	}
	if t.TTY && r.Count < r.Total && r.Count > 0 {
		t.Hint("Showing %d of %d matching API keys (--limit N for more, --all for every one).", r.Count, r.Total)
	}
	if len(r.Aggregations) > 0 {
		if len(r.APIKeys) > 0 && t.TTY {
			fmt.Fprintln(t.Out)
		}
		return t.AggregationsTable(r.Aggregations)
	}
	return nil
}

// NoAggregationsHint is written to stderr when an answer has no
// aggregations to show.
const NoAggregationsHint = "No aggregations in the answer."

// AggregationsTable shows an aggregations object as a table: AGGREGATION,
// KEY and COUNT, one row per bucket (its key and doc count) and per metric
// (its value). Sub-aggregations follow their bucket, named by the path to
// them: by_user[alice].expiring. Type prefixes (sterms#) are left out. On
// a pipe the rows are tab-separated.
func (t *Terminal) AggregationsTable(aggs json.RawMessage) error {
	if len(aggs) == 0 {
		t.Hint(NoAggregationsHint)
		return nil
	}
	tree, err := decodeOrdered(aggs)
	if err != nil {
		return err
	}
	obj, ok := tree.(orderedjson.Object)
	if !ok {
		return fmt.Errorf("aggregations: not an object")
	}
	var rows [][]string
	aggRows("", obj, &rows)
	if len(rows) == 0 {
		t.Hint(NoAggregationsHint)
		return nil
	}
	cols := []column{{header: "AGGREGATION", flex: true}, {header: "KEY", flex: true}, {header: "COUNT"}}
	cells := make([][]cell, len(rows))
	for i, r := range rows {
		cells[i] = []cell{{text: r[0]}, {text: r[1]}, {text: r[2]}}
	}
	return t.writeTable(cols, cells)
}

// aggRows appends the rows of the aggregations in obj, named under prefix.
func aggRows(prefix string, obj orderedjson.Object, rows *[][]string) {
	for _, m := range obj {
		body, ok := m.Value.(orderedjson.Object)
		if !ok {
			continue
		}
		name := m.Key
		if i := strings.Index(name, "#"); i >= 0 {
			name = name[i+1:]
		}
		if prefix != "" {
			name = prefix + "." + name
		}
		switch {
		case has(body, "buckets"):
			buckets, _ := body.Get("buckets")
			switch bs := buckets.(type) {
			case []any:
				for i, b := range bs {
					bo, _ := b.(orderedjson.Object)
					key := bucketKey(bo)
					if key == "" {
						key = fmt.Sprint(i)
					}
					bucketRow(name, key, bo, rows)
				}
			case orderedjson.Object:
				for _, b := range bs {
					bo, _ := b.Value.(orderedjson.Object)
					bucketRow(name, b.Key, bo, rows)
				}
			}
		case has(body, "value"):
			v, _ := body.Get("value")
			*rows = append(*rows, []string{name, "", scalarText(v)})
		case has(body, "doc_count"):
			v, _ := body.Get("doc_count")
			*rows = append(*rows, []string{name, "", scalarText(v)})
			aggRows(name, subAggs(body), rows)
		}
	}
}

func bucketRow(name, key string, b orderedjson.Object, rows *[][]string) {
	count, _ := b.Get("doc_count")
	*rows = append(*rows, []string{name, key, scalarText(count)})
	aggRows(name+"["+key+"]", subAggs(b), rows)
}

// subAggs are the members of a bucket that are aggregations.
func subAggs(b orderedjson.Object) orderedjson.Object {
	var out orderedjson.Object
	for _, m := range b {
		switch m.Key {
		case "key", "key_as_string", "doc_count", "from", "to", "from_as_string", "to_as_string",
			"doc_count_error_upper_bound", "sum_other_doc_count", "buckets", "after_key", "meta", "value":
			continue
		}
		if _, ok := m.Value.(orderedjson.Object); ok {
			out = append(out, m)
		}
	}
	return out
}

// bucketKey is how a bucket is named: key_as_string, key, or for a
// composite bucket its key's values as name=value pairs.
func bucketKey(b orderedjson.Object) string {
	if s, ok := b.Get("key_as_string"); ok {
		return scalarText(s)
	}
	k, ok := b.Get("key")
	if !ok {
		return ""
	}
	if ko, ok := k.(orderedjson.Object); ok {
		parts := make([]string, len(ko))
		for i, m := range ko {
			parts[i] = m.Key + "=" + scalarText(m.Value)
		}
		return strings.Join(parts, ",")
	}
	return scalarText(k)
}

func has(o orderedjson.Object, key string) bool {
	_, ok := o.Get(key)
	return ok
}
