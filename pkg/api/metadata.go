package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/apikeyctl/apikeyctl/pkg/strictjson"
)

// Metadata is a JSON object that keeps its members in the order they were
// written: the metadata of API keys, users, role descriptors and
// application privileges. It is rendered in the order Elasticsearch
// returns such an object (MarshalJSON). Like a map, nil is absent (it encodes
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

// MarshalJSON renders the members in the order Elasticsearch returns them,
// a Java HashMap's (see javaHashOrder; members that tie keep the order
// they were written in); nil renders as null. Strings
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
	keys := make([]string, len(m))
	for i, mb := range m {
		keys[i] = mb.Key
	}
	for i, at := range javaHashOrder(keys) {
		mb := m[at]
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
		if !validNumber([]byte(t)) {
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

// maxMetadataDepth is the deepest nesting UnmarshalJSON reads, the limit
// of request bodies (Elasticsearch's).
const maxMetadataDepth = 1000

// ParseMetadata reads metadata a user wrote (not a checked request body):
// with the strict reader's rules on duplicate fields, depth and UTF-8,
// then as UnmarshalJSON.
func ParseMetadata(data []byte) (Metadata, error) {
	if _, err := strictjson.Parse(data); err != nil {
		return nil, err
	}
	var m Metadata
	if err := m.UnmarshalJSON(data); err != nil {
		return nil, err
	}
	return m, nil
}

// UnmarshalJSON reads an object keeping the order of its members, nested
// objects included, and numbers as written; null is nil. It reads JSON
// that was checked already: request bodies pass the strict reader
// (duplicate fields, depth, UTF-8) before their fields are decoded, and
// stored rows were written by MarshalJSON. It does not look for duplicate
// fields; ParseMetadata does.
func (m *Metadata) UnmarshalJSON(data []byte) error {
	p := metadataParser{data: data}
	p.space()
	if p.literal("null") {
		p.space()
		if p.off != len(p.data) {
			return p.fail("unexpected data after the value")
		}
		*m = nil
		return nil
	}
	if p.peek() != '{' {
		return wrongType{jsonKind(data)}
	}
	v, err := p.object()
	if err != nil {
		return err
	}
	p.space()
	if p.off != len(p.data) {
		return p.fail("unexpected data after the value")
	}
	*m = v
	return nil
}

// metadataParser is a small recursive descent JSON reader that builds
// Metadata directly, without the intermediate tree of the strict reader.
type metadataParser struct {
	data  []byte
	off   int
	depth int
}

func (p *metadataParser) fail(msg string) error {
	return fmt.Errorf("metadata: %s at offset %d", msg, p.off)
}

func (p *metadataParser) peek() byte {
	if p.off < len(p.data) {
		return p.data[p.off]
	}
	return 0
}

func (p *metadataParser) space() {
	for p.off < len(p.data) {
		switch p.data[p.off] {
		case ' ', '\t', '\n', '\r':
			p.off++
		default:
			return
		}
	}
}

func (p *metadataParser) literal(word string) bool {
	if bytes.HasPrefix(p.data[p.off:], []byte(word)) {
		p.off += len(word)
		return true
	}
	return false
}

func (p *metadataParser) value() (any, error) {
	switch c := p.peek(); {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		return p.str()
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case p.literal("true"):
		return true, nil
	case p.literal("false"):
		return false, nil
	case p.literal("null"):
		return nil, nil
	}
	return nil, p.fail("expected a value")
}

func (p *metadataParser) enter() error {
	p.depth++
	if p.depth > maxMetadataDepth {
		return p.fail("nesting too deep")
	}
	p.off++
	p.space()
	return nil
}

func (p *metadataParser) object() (Metadata, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	out := Metadata{}
	if p.peek() == '}' {
		p.off++
		p.depth--
		return out, nil
	}
	for {
		if p.peek() != '"' {
			return nil, p.fail("expected a field name")
		}
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		p.space()
		if p.peek() != ':' {
			return nil, p.fail("expected ':'")
		}
		p.off++
		p.space()
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		out = append(out, MetadataMember{Key: key, Value: v})
		p.space()
		switch p.peek() {
		case ',':
			p.off++
			p.space()
		case '}':
			p.off++
			p.depth--
			return out, nil
		default:
			return nil, p.fail("expected ',' or '}'")
		}
	}
}

func (p *metadataParser) array() ([]any, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	out := []any{}
	if p.peek() == ']' {
		p.off++
		p.depth--
		return out, nil
	}
	for {
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		p.space()
		switch p.peek() {
		case ',':
			p.off++
			p.space()
		case ']':
			p.off++
			p.depth--
			return out, nil
		default:
			return nil, p.fail("expected ',' or ']'")
		}
	}
}

// str reads a string: printable ASCII without escapes as it is, anything
// else through encoding/json, which decodes escapes and replaces invalid
// UTF-8 as it always did.
func (p *metadataParser) str() (string, error) {
	start := p.off
	plain := true
	for i := start + 1; i < len(p.data); i++ {
		switch c := p.data[i]; {
		case c == '"':
			p.off = i + 1
			if plain {
				return string(p.data[start+1 : i]), nil
			}
			var s string
			if err := json.Unmarshal(p.data[start:i+1], &s); err != nil {
				return "", p.fail("invalid string")
			}
			return s, nil
		case c == '\\':
			plain = false
			i++
		case c < 0x20 || c >= 0x80:
			plain = false
		}
	}
	return "", p.fail("unterminated string")
}

// number reads a number as written, checking JSON's grammar.
func (p *metadataParser) number() (json.Number, error) {
	start := p.off
	for p.off < len(p.data) {
		c := p.data[p.off]
		if (c < '0' || c > '9') && c != '-' && c != '+' && c != '.' && c != 'e' && c != 'E' {
			break
		}
		p.off++
	}
	text := p.data[start:p.off]
	if !validNumber(text) {
		return "", p.fail("invalid number")
	}
	return json.Number(text), nil
}

// validNumber reports whether s is a JSON number:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func validNumber(s []byte) bool {
	i := 0
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}
