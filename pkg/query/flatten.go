package query

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Leaf is one leaf of a key's metadata as Elasticsearch's flattened field
// indexes it: the dotted path of object keys down to it (array positions
// left out) and its value as text. Strings are their value, numbers the
// text they were written with, booleans true or false; nulls, empty
// objects and empty arrays have no leaf.
type Leaf struct {
	Path  string
	Value string
}

// Flatten lists the leaves of a metadata object in document order. Empty
// input has none.
func Flatten(raw []byte) ([]Leaf, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	f := &flattener{data: raw}
	f.space()
	if err := f.value(""); err != nil {
		return nil, fmt.Errorf("flatten metadata: %w", err)
	}
	f.space()
	if f.i != len(f.data) {
		return nil, errors.New("flatten metadata: data after the object")
	}
	return f.leaves, nil
}

// flattener scans JSON once, without building it, emitting its leaves.
type flattener struct {
	data   []byte
	i      int
	leaves []Leaf
	depth  int
}

var errFlatten = errors.New("invalid JSON")

func (f *flattener) space() {
	for f.i < len(f.data) {
		switch f.data[f.i] {
		case ' ', '\t', '\r', '\n':
			f.i++
		default:
			return
		}
	}
}

func (f *flattener) value(path string) error {
	if f.i >= len(f.data) {
		return errFlatten
	}
	switch c := f.data[f.i]; {
	case c == '{':
		if f.depth++; f.depth > maxDepth {
			return errFlatten
		}
		f.i++
		f.space()
		if f.i < len(f.data) && f.data[f.i] == '}' {
			f.i++
			f.depth--
			return nil
		}
		for {
			f.space()
			key, err := f.str()
			if err != nil {
				return err
			}
			f.space()
			if f.i >= len(f.data) || f.data[f.i] != ':' {
				return errFlatten
			}
			f.i++
			f.space()
			p := key
			if path != "" {
				p = path + "." + key
			}
			if err := f.value(p); err != nil {
				return err
			}
			f.space()
			if f.i >= len(f.data) {
				return errFlatten
			}
			if f.data[f.i] == '}' {
				f.i++
				f.depth--
				return nil
			}
			if f.data[f.i] != ',' {
				return errFlatten
			}
			f.i++
		}
	case c == '[':
		if f.depth++; f.depth > maxDepth {
			return errFlatten
		}
		f.i++
		f.space()
		if f.i < len(f.data) && f.data[f.i] == ']' {
			f.i++
			f.depth--
			return nil
		}
		for {
			f.space()
			if err := f.value(path); err != nil {
				return err
			}
			f.space()
			if f.i >= len(f.data) {
				return errFlatten
			}
			if f.data[f.i] == ']' {
				f.i++
				f.depth--
				return nil
			}
			if f.data[f.i] != ',' {
				return errFlatten
			}
			f.i++
		}
	case c == '"':
		s, err := f.str()
		if err != nil {
			return err
		}
		f.leaves = append(f.leaves, Leaf{path, s})
	case c == 't' && bytes.HasPrefix(f.data[f.i:], []byte("true")):
		f.i += 4
		f.leaves = append(f.leaves, Leaf{path, "true"})
	case c == 'f' && bytes.HasPrefix(f.data[f.i:], []byte("false")):
		f.i += 5
		f.leaves = append(f.leaves, Leaf{path, "false"})
	case c == 'n' && bytes.HasPrefix(f.data[f.i:], []byte("null")):
		f.i += 4
	case c == '-' || (c >= '0' && c <= '9'):
		start := f.i
		for f.i < len(f.data) && strings.IndexByte("+-0123456789.eE", f.data[f.i]) >= 0 {
			f.i++
		}
		text := string(f.data[start:f.i])
		if !json.Valid([]byte(text)) {
			return errFlatten
		}
		f.leaves = append(f.leaves, Leaf{path, text})
	default:
		return errFlatten
	}
	return nil
}

// str reads a string; one without escapes is sliced as it is.
func (f *flattener) str() (string, error) {
	if f.i >= len(f.data) || f.data[f.i] != '"' {
		return "", errFlatten
	}
	start := f.i
	f.i++
	escaped := false
	for f.i < len(f.data) {
		switch f.data[f.i] {
		case '\\':
			escaped = true
			f.i += 2
			continue
		case '"':
			f.i++
			if !escaped {
				return string(f.data[start+1 : f.i-1]), nil
			}
			var s string
			if err := json.Unmarshal(f.data[start:f.i], &s); err != nil {
				return "", err
			}
			return s, nil
		}
		f.i++
	}
	return "", errFlatten
}
