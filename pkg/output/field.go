package output

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"strconv"
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/orderedjson"
)

// writeField prints the value at path, one raw value per line: for a list
// response the value of every item (an empty line where an item lacks it),
// otherwise the response's value, with an array printed one element per
// line. Strings are raw, numbers and booleans as in JSON, objects and
// arrays nested in a line as compact JSON, a missing or null value as an
// empty line.
//
// A path is checked against the response's type first, so a misspelt field
// is an error that lists the fields there are, while a field the type has
// but this response left out (expiration of a key that never expires, a
// metadata key) is simply empty.
func writeField(w io.Writer, v any, path string) error {
	segs := strings.Split(path, ".")
	for _, s := range segs {
		if s == "" {
			return usageErrorf("invalid --field %q: empty name between dots", path)
		}
	}
	items, itemType, isList, err := listItems(v)
	if err != nil {
		return err
	}
	if err := checkPath(itemType, segs); err != nil {
		return err
	}
	var buf bytes.Buffer
	for _, it := range items {
		tree, err := decodeOrdered(it)
		if err != nil {
			return err
		}
		val := lookup(tree, segs)
		if arr, ok := val.([]any); ok && !isList {
			for _, e := range arr {
				buf.WriteString(rawValue(e))
				buf.WriteByte('\n')
			}
			continue
		}
		buf.WriteString(rawValue(val))
		buf.WriteByte('\n')
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// rawValue is how --field prints one value.
func rawValue(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case json.Number:
		return t.String()
	case bool:
		return strconv.FormatBool(t)
	default:
		return compactJSON(t)
	}
}

// lookup follows segs through a decoded value; a missing step is nil.
func lookup(v any, segs []string) any {
	for i := 0; i < len(segs); i++ {
		s := segs[i]
		switch t := v.(type) {
		case orderedjson.Object:
			var ok bool
			if v, ok = t.Get(s); ok {
				continue
			}
			// A name that holds dots, as the audit log's event.action,
			// is matched whole.
			for j := i + 1; j < len(segs); j++ {
				if v, ok = t.Get(strings.Join(segs[i:j+1], ".")); ok {
					i = j
					break
				}
			}
		case []any:
			i, err := strconv.Atoi(s)
			if err != nil || i < 0 || i >= len(t) {
				return nil
			}
			v = t[i]
		default:
			return nil
		}
	}
	return v
}

var (
	roleDescriptorsType = reflect.TypeFor[api.RoleDescriptors]()
	metadataType        = reflect.TypeFor[api.Metadata]()
	errorType           = reflect.TypeFor[api.Error]()
)

// checkPath checks segs against the JSON shape of type t: struct fields by
// their json names, map keys and role descriptor names freely, array
// elements by index. Values of type any and metadata accept any path.
func checkPath(t reflect.Type, segs []string) error {
	for i, s := range segs {
		for t != nil && t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t == nil || t.Kind() == reflect.Interface {
			return nil
		}
		where := strings.Join(segs[:i], ".")
		switch {
		case t == roleDescriptorsType:
			t = reflect.TypeFor[api.RoleDescriptor]()
		case t == metadataType:
			// Metadata is an object of any keys and values.
			return nil
		case t == errorType:
			// An error's fields are not its Go fields; see api.Error.MarshalJSON.
			return nil
		case t.Kind() == reflect.Map:
			t = t.Elem()
		case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
			if _, err := strconv.Atoi(s); err != nil {
				return usageErrorf("unknown field %q: %s is a list, pick an element by number (%s.0)", s, where, where)
			}
			t = t.Elem()
		case t.Kind() == reflect.Struct:
			names, types := jsonFields(t)
			ft, ok := types[s]
			if !ok {
				in := ""
				if where != "" {
					in = " in " + where
				}
				return usageErrorf("unknown field %q%s; available fields: %s", s, in, strings.Join(names, ", "))
			}
			t = ft
		default:
			return usageErrorf("unknown field %q: %s has no fields", s, where)
		}
	}
	return nil
}

// jsonFields lists the JSON field names of struct type t in order, with
// their types, following encoding/json's rules for tags and embedded
// structs.
func jsonFields(t reflect.Type) (names []string, types map[string]reflect.Type) {
	types = map[string]reflect.Type{}
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		for f := range t.Fields() {
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			if f.Anonymous && name == "" {
				ft := f.Type
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					walk(ft)
					continue
				}
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if _, dup := types[name]; dup {
				continue
			}
			names = append(names, name)
			types[name] = f.Type
		}
	}
	walk(t)
	return names, types
}
