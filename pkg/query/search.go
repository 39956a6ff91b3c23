package query

import (
	"sort"
)

// Hit is a key a search returned, with its sort values (raw: int64,
// string or nil, one per Sort clause).
type Hit struct {
	Doc  *Doc
	Sort []any
}

// SortValue is the value d sorts by for s (raw: see Render): its index
// position for _doc; for a date or boolean its value, or
// NumericMissing; for a keyword its value, the smallest or with Max the
// largest of several, or the missing value, or nil.
func (s Sort) SortValue(d *Doc) any {
	if s.Doc {
		return d.Seq
	}
	vs := d.Values(s.Field)
	if len(vs) == 0 {
		if s.Field.Numeric() {
			return s.NumericMissing()
		}
		return s.Missing
	}
	best := vs[0]
	for _, v := range vs[1:] {
		c := Compare(v, best)
		if (s.Max && c > 0) || (!s.Max && c < 0) {
			best = v
		}
	}
	return best
}

// CompareSort orders two sort values of s as the search returns them:
// by value in the clause's direction, a nil (missing keyword) last, or
// first with MissingFirst.
func (s Sort) CompareSort(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		if s.MissingFirst {
			return -1
		}
		return 1
	case b == nil:
		if s.MissingFirst {
			return 1
		}
		return -1
	}
	c := Compare(a, b)
	if s.Desc {
		return -c
	}
	return c
}

// Render is a sort value as _sort shows it: dates printed when the clause
// has a format, converted for numeric_type double and date_nanos.
func (s Sort) Render(v any) any {
	n, ok := v.(int64)
	if !ok || s.Doc {
		return v
	}
	switch {
	case s.Format != nil:
		return s.Format.Format(n, nil)
	case s.NumericType == "double":
		return float64(n)
	case s.NumericType == "date_nanos" && s.Field.Kind() == Date:
		const limit = (1<<63 - 1) / 1_000_000
		if n > limit || n < -limit {
			return n
		}
		return n * 1_000_000
	}
	return n
}

// Apply runs the search over docs, as a store must: it returns the number
// of keys the query matches and the page of hits, ordered by the sort
// clauses and then by index order (Seq), after SearchAfter, From and Size.
func (s *Search) Apply(docs []*Doc) (int, []Hit) {
	var hits []Hit
	for _, d := range docs {
		if !Match(s.Query, d) {
			continue
		}
		h := Hit{Doc: d}
		for _, c := range s.Sort {
			h.Sort = append(h.Sort, c.SortValue(d))
		}
		hits = append(hits, h)
	}
	total := len(hits)
	sort.SliceStable(hits, func(i, j int) bool {
		if c := s.compareHits(hits[i].Sort, hits[j].Sort); c != 0 {
			return c < 0
		}
		return hits[i].Doc.Seq < hits[j].Doc.Seq
	})
	if s.SearchAfter != nil {
		kept := hits[:0]
		for _, h := range hits {
			if s.compareHits(h.Sort, s.SearchAfter) > 0 {
				kept = append(kept, h)
			}
		}
		hits = kept
	}
	if s.From >= len(hits) {
		return total, nil
	}
	hits = hits[s.From:]
	if len(hits) > s.Size {
		hits = hits[:s.Size]
	}
	return total, hits
}

func (s *Search) compareHits(a, b []any) int {
	for i, c := range s.Sort {
		if r := c.CompareSort(a[i], b[i]); r != 0 {
			return r
		}
	}
	return 0
}
