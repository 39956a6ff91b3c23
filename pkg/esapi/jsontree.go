package esapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
)

// This file holds the response body transformations Elasticsearch applies
// on request: filter_path and pretty. Both work on an ordered JSON tree so
// that fields keep the order the response gave them.

// node is a JSON value that keeps the order of object members.
type node struct {
	kind   byte // '{', '[', or 0 for a scalar
	keys   []string
	vals   []*node // object member values, or array elements
	scalar []byte  // the encoded scalar
}

// parseTree decodes one JSON document.
func parseTree(data []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n, err := parseNode(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON document")
	}
	return n, nil
}

func parseNode(dec *json.Decoder) (*node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := &node{kind: '{'}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, _ := kt.(string)
				v, err := parseNode(dec)
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, key)
				n.vals = append(n.vals, v)
			}
			_, err := dec.Token()
			return n, err
		case '[':
			n := &node{kind: '['}
			for dec.More() {
				v, err := parseNode(dec)
				if err != nil {
					return nil, err
				}
				n.vals = append(n.vals, v)
			}
			_, err := dec.Token()
			return n, err
		}
		return nil, errors.New("unexpected delimiter")
	case string:
		return &node{scalar: encodeString(t)}, nil
	case json.Number:
		return &node{scalar: []byte(t.String())}, nil
	case bool:
		if t {
			return &node{scalar: []byte("true")}, nil
		}
		return &node{scalar: []byte("false")}, nil
	case nil:
		return &node{scalar: []byte("null")}, nil
	}
	return nil, errors.New("unexpected token")
}

// encodeString encodes s as a JSON string without HTML escaping, as
// Elasticsearch does.
func encodeString(s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// write renders n compactly, or indented like Elasticsearch's pretty
// printer (two spaces, `"key" : value`, empty containers as `{ }` and `[ ]`).
func (n *node) write(b *bytes.Buffer, pretty bool, depth int) {
	switch n.kind {
	case 0:
		b.Write(n.scalar)
		return
	}
	open, end := byte('{'), byte('}')
	if n.kind == '[' {
		open, end = '[', ']'
	}
	b.WriteByte(open)
	if len(n.vals) == 0 {
		if pretty {
			b.WriteByte(' ')
		}
		b.WriteByte(end)
		return
	}
	for i, v := range n.vals {
		if i > 0 {
			b.WriteByte(',')
		}
		if pretty {
			b.WriteByte('\n')
			b.WriteString(strings.Repeat("  ", depth+1))
		}
		if n.kind == '{' {
			b.Write(encodeString(n.keys[i]))
			if pretty {
				b.WriteString(" : ")
			} else {
				b.WriteByte(':')
			}
		}
		v.write(b, pretty, depth+1)
	}
	if pretty {
		b.WriteByte('\n')
		b.WriteString(strings.Repeat("  ", depth))
	}
	b.WriteByte(end)
}

// render encodes n; a pretty rendering ends with a newline, as
// Elasticsearch's does.
func (n *node) render(pretty bool) []byte {
	var b bytes.Buffer
	n.write(&b, pretty, 0)
	if pretty {
		b.WriteByte('\n')
	}
	return b.Bytes()
}

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
func (fp *filterPath) apply(root *node) *node {
	if root.kind != '{' {
		return root
	}
	out := root
	if len(fp.include) > 0 {
		if kept := includeNode(root, start(fp.include)); kept != nil {
			out = kept
		} else {
			out = &node{kind: '{'}
		}
	}
	if len(fp.exclude) > 0 {
		out = excludeNode(out, start(fp.exclude))
	}
	return out
}

// includeNode returns the part of n that the positions select, or nil when
// nothing in it is selected.
func includeNode(n *node, ps []position) *node {
	switch n.kind {
	case '{':
		out := &node{kind: '{'}
		for i, k := range n.keys {
			next, full := step(ps, k)
			var v *node
			switch {
			case full:
				v = n.vals[i]
			case len(next) > 0:
				v = includeNode(n.vals[i], next)
			}
			if v != nil {
				out.keys = append(out.keys, k)
				out.vals = append(out.vals, v)
			}
		}
		if len(out.vals) == 0 {
			return nil
		}
		return out
	case '[':
		out := &node{kind: '['}
		for _, e := range n.vals {
			if v := includeNode(e, ps); v != nil {
				out.vals = append(out.vals, v)
			}
		}
		if len(out.vals) == 0 {
			return nil
		}
		return out
	}
	// A scalar where the filter wanted to go deeper.
	return nil
}

// excludeNode returns n without the fields the positions select.
func excludeNode(n *node, ps []position) *node {
	switch n.kind {
	case '{':
		out := &node{kind: '{'}
		for i, k := range n.keys {
			next, full := step(ps, k)
			if full {
				continue
			}
			v := n.vals[i]
			if len(next) > 0 {
				v = excludeNode(v, next)
			}
			out.keys = append(out.keys, k)
			out.vals = append(out.vals, v)
		}
		return out
	case '[':
		out := &node{kind: '['}
		for _, e := range n.vals {
			out.vals = append(out.vals, excludeNode(e, ps))
		}
		return out
	}
	return n
}
