package output

import (
	"encoding/json"
	"fmt"
	"strconv"
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
// them: by_user[alice].expiring. Type prefixes (sterms#) are left out.
// Buckets of date fields keyed in epoch milliseconds (as Elasticsearch
// keys creation and expiration) are named by their dates: a date_range
// bucket "* to 2026-12-01 12:00:00 UTC" rather than "*-1796126400000". On
// a pipe the rows are tab-separated, dates in RFC 3339.
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
	aggRows("", obj, t.msDate, &rows)
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

// msDate shows a bucket's time in epoch milliseconds: as a card does on a
// terminal, in RFC 3339 on a pipe.
func (t *Terminal) msDate(ms int64) string {
	if !t.TTY {
		return pipeTime(Millis(ms))
	}
	return absTime(Millis(ms), t.Now)
}

// aggRows appends the rows of the aggregations in obj, named under prefix,
// times in epoch milliseconds shown with date.
func aggRows(prefix string, obj orderedjson.Object, date func(int64) string, rows *[][]string) {
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
					key := bucketKey(bo, date)
					if key == "" {
						key = fmt.Sprint(i)
					}
					bucketRow(name, key, bo, date, rows)
				}
			case orderedjson.Object:
				for _, b := range bs {
					bo, _ := b.Value.(orderedjson.Object)
					key := b.Key
					if r, ok := rangeDates(bo, key, date); ok {
						key = r
					}
					bucketRow(name, key, bo, date, rows)
				}
			}
		case has(body, "value"):
			v, _ := body.Get("value")
			*rows = append(*rows, []string{name, "", scalarText(v)})
		case has(body, "doc_count"):
			v, _ := body.Get("doc_count")
			*rows = append(*rows, []string{name, "", scalarText(v)})
			aggRows(name, subAggs(body), date, rows)
		}
	}
}

func bucketRow(name, key string, b orderedjson.Object, date func(int64) string, rows *[][]string) {
	count, _ := b.Get("doc_count")
	*rows = append(*rows, []string{name, key, scalarText(count)})
	aggRows(name+"["+key+"]", subAggs(b), date, rows)
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

// bucketKey is how a bucket is named: key_as_string (a date when it is
// the key in epoch milliseconds), key (a range of dates for a date_range
// bucket keyed in epoch milliseconds), or for a composite bucket its key's
// values as name=value pairs.
func bucketKey(b orderedjson.Object, date func(int64) string) string {
	k, ok := b.Get("key")
	if s, ok := b.Get("key_as_string"); ok {
		text := scalarText(s)
		if ms, isMs := epochMillis(text); isMs && text == scalarText(k) {
			return date(ms)
		}
		return text
	}
	if !ok {
		return ""
	}
	if ks, isString := k.(string); isString {
		if r, isRange := rangeDates(b, ks, date); isRange {
			return r
		}
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

// rangeDates names a range bucket of a date field, "FROM to TO" with *
// for an open end, when its key is the one Elasticsearch makes from
// bounds formatted as epoch milliseconds; a key the request named is
// kept.
func rangeDates(b orderedjson.Object, key string, date func(int64) string) (string, bool) {
	bound := func(name string) (text, shown string, ok bool) {
		v, present := b.Get(name)
		if !present {
			return "*", "*", true
		}
		text = scalarText(v)
		ms, isMs := epochMillis(text)
		if !isMs {
			return "", "", false
		}
		return text, date(ms), true
	}
	if !has(b, "from_as_string") && !has(b, "to_as_string") {
		return "", false
	}
	from, fromShown, okFrom := bound("from_as_string")
	to, toShown, okTo := bound("to_as_string")
	if !okFrom || !okTo || key != from+"-"+to {
		return "", false
	}
	return fromShown + " to " + toShown, true
}

// epochMillis is s as epoch milliseconds, when it is a whole number.
func epochMillis(s string) (int64, bool) {
	if s == "" || strings.TrimLeft(s, "-0123456789") != "" {
		return 0, false
	}
	ms, err := strconv.ParseInt(s, 10, 64)
	return ms, err == nil
}

func has(o orderedjson.Object, key string) bool {
	_, ok := o.Get(key)
	return ok
}
