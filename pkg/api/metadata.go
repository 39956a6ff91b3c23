package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"

	"github.com/apikeyctl/apikeyctl/pkg/strictjson"
)

// Metadata is a JSON object that keeps its members in the order they were
// written, as Elasticsearch returns an object's fields: the metadata of API
// keys, users and role descriptors. Like a map, nil is absent (it encodes
// as null) and an empty, non-nil Metadata is the empty object {}.
//
// A member's Value is nil (null), a bool, a string, a json.Number (the
// number as written), a []any, or a Metadata for a nested object, which
// keeps its order too.
type Metadata []MetadataMember

// MetadataMember is one member of a Metadata object.
type MetadataMember struct {
	Key   string
	Value any
}

// MetadataFromMap builds the Metadata of m, its keys (and those of nested
// maps) sorted, as encoding/json orders a map; nil stays nil.
func MetadataFromMap(m map[string]any) Metadata {
	if m == nil {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make(Metadata, 0, len(m))
	for _, k := range keys {
		out = append(out, MetadataMember{Key: k, Value: fromMapValue(m[k])})
	}
	return out
}

func fromMapValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		return MetadataFromMap(t)
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = fromMapValue(e)
		}
		return out
	}
	return v
}

// Map returns m as a map, nested objects as maps too, for code that
// looks values up by key; nil stays nil. The map has no order: render m
// itself.
func (m Metadata) Map() map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for _, mb := range m {
		out[mb.Key] = toMapValue(mb.Value)
	}
	return out
}

func toMapValue(v any) any {
	switch t := v.(type) {
	case Metadata:
		if t == nil {
			return nil
		}
		return t.Map()
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = toMapValue(e)
		}
		return out
	}
	return v
}

// Get returns the value of the member named key.
func (m Metadata) Get(key string) (any, bool) {
	for _, mb := range m {
		if mb.Key == key {
			return mb.Value, true
		}
	}
	return nil, false
}

// With returns m with the member key set to v: replaced where it is, or
// added last. m itself is left alone.
func (m Metadata) With(key string, v any) Metadata {
	out := append(make(Metadata, 0, len(m)+1), m...)
	for i, mb := range out {
		if mb.Key == key {
			out[i].Value = v
			return out
		}
	}
	return append(out, MetadataMember{Key: key, Value: v})
}

// MarshalJSON renders the members in order; nil renders as null. Strings
// are written without HTML escaping: the encoder that calls it escapes
// them when it is set to.
func (m Metadata) MarshalJSON() ([]byte, error) {
	if m == nil {
		return []byte("null"), nil
	}
	var b bytes.Buffer
	if err := m.write(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func (m Metadata) write(b *bytes.Buffer) error {
	b.WriteByte('{')
	for i, mb := range m {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := writeMetadataValue(b, mb.Key); err != nil {
			return err
		}
		b.WriteByte(':')
		if err := writeMetadataValue(b, mb.Value); err != nil {
			return err
		}
	}
	b.WriteByte('}')
	return nil
}

func writeMetadataValue(b *bytes.Buffer, v any) error {
	switch t := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if t {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case string:
		if safeASCII(t) {
			b.WriteByte('"')
			b.WriteString(t)
			b.WriteByte('"')
			return nil
		}
		return writeJSON(b, t)
	case json.Number:
		if t == "" {
			b.WriteByte('0')
			return nil
		}
		if !json.Valid([]byte(t)) {
			return errors.New("metadata: invalid number " + string(t))
		}
		b.WriteString(string(t))
	case Metadata:
		if t == nil {
			b.WriteString("null")
			return nil
		}
		return t.write(b)
	case []any:
		if t == nil {
			b.WriteString("null")
			return nil
		}
		b.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeMetadataValue(b, e); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case map[string]any:
		return writeMetadataValue(b, MetadataFromMap(t))
	default:
		return writeJSON(b, t)
	}
	return nil
}

// safeASCII reports whether s is printable ASCII that JSON writes as is
// between quotes.
func safeASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// UnmarshalJSON reads an object keeping the order of its members, nested
// objects included, and numbers as written; null is nil. Request bodies
// reach it through the strict reader, so the one rule on duplicate
// fields, depth and UTF-8 holds here too.
func (m *Metadata) UnmarshalJSON(data []byte) error {
	root, err := strictjson.Parse(data)
	if err != nil {
		return err
	}
	switch root.Kind {
	case strictjson.Null:
		*m = nil
		return nil
	case strictjson.Object:
		*m = metadataOf(root)
		return nil
	}
	return wrongType{root.Kind.Token()}
}

func metadataOf(n *strictjson.Node) Metadata {
	out := make(Metadata, len(n.Members))
	for i, mb := range n.Members {
		out[i] = MetadataMember{Key: mb.Key, Value: metadataValue(mb.Value)}
	}
	return out
}

func metadataValue(n *strictjson.Node) any {
	switch n.Kind {
	case strictjson.Object:
		return metadataOf(n)
	case strictjson.Array:
		out := make([]any, len(n.Elems))
		for i, e := range n.Elems {
			out[i] = metadataValue(e)
		}
		return out
	case strictjson.String:
		return n.Text
	case strictjson.Number:
		return json.Number(n.Text)
	case strictjson.True:
		return true
	case strictjson.False:
		return false
	}
	return nil
}
