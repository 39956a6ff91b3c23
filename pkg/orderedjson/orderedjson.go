// Package orderedjson decodes a JSON document into a tree that keeps the
// order of object members, and encodes such a tree back, compact or laid
// out as Elasticsearch's pretty printer does. It is the one reader of
// JSON for output: apikeyd applies filter_path and ?pretty with it,
// apikeyctl reads values for --field, YAML and tables. It imports nothing
// of this module, so both programs can use it.
//
// A decoded value is an Object, a []any, a string, a json.Number, a bool
// or nil (JSON null).
package orderedjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Object is a JSON object, its members in the order of the document.
type Object []Member

// Member is one member of an Object.
type Member struct {
	Key   string
	Value any
}

// Get returns the value of the first member named key.
func (o Object) Get(key string) (any, bool) {
	for _, m := range o {
		if m.Key == key {
			return m.Value, true
		}
	}
	return nil, false
}

// Decode decodes data, which must hold exactly one JSON document.
func Decode(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON document")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return tok, nil
	}
	switch delim {
	case '{':
		obj := Object{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			key, _ := kt.(string)
			val, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			obj = append(obj, Member{Key: key, Value: val})
		}
		_, err := dec.Token()
		return obj, err
	case '[':
		arr := []any{}
		for dec.More() {
			val, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			arr = append(arr, val)
		}
		_, err := dec.Token()
		return arr, err
	}
	return nil, fmt.Errorf("unexpected %v", delim)
}

// Format says how Encode lays a value out.
type Format struct {
	// Pretty indents by two spaces, writes members as `"key" : value` and
	// empty containers as `{ }` and `[ ]`, and ends with a newline, as
	// Elasticsearch's pretty printer does. Otherwise the encoding is
	// compact.
	Pretty bool
	// EscapeHTML escapes <, > and & in strings, as encoding/json.Marshal
	// does; Elasticsearch does not.
	EscapeHTML bool
}

// Encode encodes v, a value as Decode returns it.
func Encode(v any, f Format) []byte {
	var b bytes.Buffer
	f.write(&b, v, 0)
	if f.Pretty {
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func (f Format) write(b *bytes.Buffer, v any, depth int) {
	switch t := v.(type) {
	case Object:
		f.open(b, '{', len(t))
		for i, m := range t {
			f.next(b, i, depth)
			f.writeString(b, m.Key)
			if f.Pretty {
				b.WriteString(" : ")
			} else {
				b.WriteByte(':')
			}
			f.write(b, m.Value, depth+1)
		}
		f.close(b, '}', len(t), depth)
	case []any:
		f.open(b, '[', len(t))
		for i, e := range t {
			f.next(b, i, depth)
			f.write(b, e, depth+1)
		}
		f.close(b, ']', len(t), depth)
	case string:
		f.writeString(b, t)
	case json.Number:
		b.WriteString(t.String())
	case bool:
		if t {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case nil:
		b.WriteString("null")
	default:
		// Not a decoded value: encoding/json's rendering.
		data, _ := json.Marshal(t)
		b.Write(data)
	}
}

// open starts a container of n elements.
func (f Format) open(b *bytes.Buffer, delim byte, n int) {
	b.WriteByte(delim)
	if n == 0 && f.Pretty {
		b.WriteByte(' ')
	}
}

// next starts the i-th element of a container at depth.
func (f Format) next(b *bytes.Buffer, i, depth int) {
	if i > 0 {
		b.WriteByte(',')
	}
	if f.Pretty {
		b.WriteByte('\n')
		b.WriteString(strings.Repeat("  ", depth+1))
	}
}

// close ends a container of n elements at depth.
func (f Format) close(b *bytes.Buffer, delim byte, n, depth int) {
	if n > 0 && f.Pretty {
		b.WriteByte('\n')
		b.WriteString(strings.Repeat("  ", depth))
	}
	b.WriteByte(delim)
}

// writeString writes s as a JSON string.
func (f Format) writeString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(f.EscapeHTML)
	_ = enc.Encode(s)
	// Encoder.Encode ends with a newline.
	b.Truncate(b.Len() - 1)
}
