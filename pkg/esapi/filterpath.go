package esapi

import (
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/orderedjson"
)

// This file holds filter_path, the response body filter Elasticsearch
// applies on request. It works on an orderedjson tree so that fields keep
// the order the response gave them.

// filterPath is a parsed filter_path parameter: dotted field paths whose
// segments may use * as a wildcard, ** for any number of levels, and a
// leading - for exclusion.
type filterPath struct {
	include [][]string
	exclude [][]string
}

// parseFilterPath parses the value of filter_path. An empty value filters
// nothing.
func parseFilterPath(value string) *filterPath {
	var fp filterPath
	for _, p := range strings.Split(value, ",") {
		p = strings.TrimSpace(p)
		exclude := strings.HasPrefix(p, "-")
		p = strings.TrimPrefix(p, "-")
		if p == "" {
			continue
		}
		segs := strings.Split(p, ".")
		if exclude {
			fp.exclude = append(fp.exclude, segs)
		} else {
			fp.include = append(fp.include, segs)
		}
	}
	if len(fp.include) == 0 && len(fp.exclude) == 0 {
		return nil
	}
	return &fp
}

// position is how far one filter has matched: the index of the next
// segment to match in filter f.
type position struct {
	f []string
	i int
}

// step advances every position over the field name and reports whether a
// filter matched completely.
func step(ps []position, name string) (next []position, full bool) {
	var add func(p position)
	add = func(p position) {
		if p.i == len(p.f) {
			full = true
			return
		}
		next = append(next, p)
	}
	for _, p := range ps {
		seg := p.f[p.i]
		if seg == "**" {
			// ** matches this field and stays, or matches no level at all.
			if p.i+1 == len(p.f) {
				full = true
				continue
			}
			add(p)
			if globMatch(p.f[p.i+1], name) {
				add(position{p.f, p.i + 2})
			}
			continue
		}
		if globMatch(seg, name) {
			add(position{p.f, p.i + 1})
		}
	}
	return next, full
}

// globMatch matches name against a segment in which * stands for any run
// of characters.
func globMatch(pattern, name string) bool {
	if !strings.Contains(pattern, "*") {
		return pattern == name
	}
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(name, parts[0]) {
		return false
	}
	name = name[len(parts[0]):]
	for i, part := range parts[1:] {
		if i == len(parts)-2 {
			return strings.HasSuffix(name, part)
		}
		idx := strings.Index(name, part)
		if idx < 0 {
			return false
		}
		name = name[idx+len(part):]
	}
	return true
}

func start(filters [][]string) []position {
	ps := make([]position, len(filters))
	for i, f := range filters {
		ps[i] = position{f: f}
	}
	return ps
}

// apply filters the document: it keeps the fields an include filter names
// (all of them when there is none) and then drops those an exclude filter
// names. The root object stays, possibly empty.
func (fp *filterPath) apply(root any) any {
	obj, ok := root.(orderedjson.Object)
	if !ok {
		return root
	}
	if len(fp.include) > 0 {
		obj = includeMembers(obj, start(fp.include))
	}
	if len(fp.exclude) > 0 {
		return excludeValue(obj, start(fp.exclude))
	}
	return obj
}

// includeMembers returns the members of obj that the positions select,
// each cut down to its selected part.
func includeMembers(obj orderedjson.Object, ps []position) orderedjson.Object {
	out := orderedjson.Object{}
	for _, m := range obj {
		next, full := step(ps, m.Key)
		switch {
		case full:
			out = append(out, m)
		case len(next) > 0:
			if v, ok := includeValue(m.Value, next); ok {
				out = append(out, orderedjson.Member{Key: m.Key, Value: v})
			}
		}
	}
	return out
}

// includeValue returns the part of v that the positions select; false
// when nothing in it is selected.
func includeValue(v any, ps []position) (any, bool) {
	switch t := v.(type) {
	case orderedjson.Object:
		out := includeMembers(t, ps)
		return out, len(out) > 0
	case []any:
		out := []any{}
		for _, e := range t {
			if kept, ok := includeValue(e, ps); ok {
				out = append(out, kept)
			}
		}
		return out, len(out) > 0
	}
	// A scalar where the filter wanted to go deeper.
	return nil, false
}

// excludeValue returns v without the fields the positions select.
func excludeValue(v any, ps []position) any {
	switch t := v.(type) {
	case orderedjson.Object:
		out := orderedjson.Object{}
		for _, m := range t {
			next, full := step(ps, m.Key)
			if full {
				continue
			}
			if len(next) > 0 {
				m.Value = excludeValue(m.Value, next)
			}
			out = append(out, m)
		}
		return out
	case []any:
		out := make([]any, 0, len(t))
		for _, e := range t {
			out = append(out, excludeValue(e, ps))
		}
		return out
	}
	return v
}
