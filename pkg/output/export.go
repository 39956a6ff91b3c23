package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"sort"

	"gopkg.in/yaml.v3"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/orderedjson"
)

// marshal renders v as the REST API does: encoding/json with the api
// types' own MarshalJSON (role descriptors keep their order, limited_by
// only when set).
func marshal(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode response: %w", err)
	}
	return b, nil
}

// writeJSON writes v indented by two spaces, newline-terminated.
func writeJSON(w io.Writer, v any) error {
	b, err := marshal(v)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	buf.WriteByte('\n')
	_, err = w.Write(buf.Bytes())
	return err
}

// writeYAML writes the same data as writeJSON, in the same key order, as a
// block-style YAML document.
func writeYAML(w io.Writer, v any) error {
	b, err := marshal(v)
	if err != nil {
		return err
	}
	tree, err := decodeOrdered(b)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(yamlNode(tree)); err != nil {
		return fmt.Errorf("encode yaml: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("encode yaml: %w", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// writeJSONL writes every item of a list response as compact JSON, one per
// line; any other response is written whole on one line.
func writeJSONL(w io.Writer, v any) error {
	items, _, _, err := listItems(v)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	for _, it := range items {
		buf.Write(it)
		buf.WriteByte('\n')
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// roleItem describes, for --field, a role as an item of a roles list: its
// name, then the descriptor's fields.
type roleItem struct {
	Name string `json:"name"`
	api.RoleDescriptor
}

// queriedRoleItem describes a role of a query roles answer: a role item
// and its sort values.
type queriedRoleItem struct {
	roleItem
	Sort []any `json:"_sort"`
}

// listItems splits a list response into its items, each as the JSON the API
// gives for it, and returns the Go type that describes an item. Items of
// GetAPIKeysResponse and QueryAPIKeysResponse are their keys; of
// GetUsersResponse its users, by name; of GetRolesResponse its roles, by
// name, each as {"name":..., descriptor fields...} since a descriptor does
// not carry its name; of QueryUsersResponse and QueryRolesResponse their
// users and roles in the answer's order; of GetPrivilegesResponse its
// privileges, by application then name; of any other slice its elements. Any other value is
// one item, itself, described by its own type, and isList is false.
func listItems(v any) (items []json.RawMessage, itemType reflect.Type, isList bool, err error) {
	switch r := deref(v).(type) {
	case api.GetAPIKeysResponse:
		items, err = marshalEach(r.APIKeys)
		return items, reflect.TypeFor[api.APIKey](), true, err
	case api.QueryAPIKeysResponse:
		items, err = marshalEach(r.APIKeys)
		return items, reflect.TypeFor[api.APIKey](), true, err
	case api.GetUsersResponse:
		users := make([]api.User, 0, len(r))
		for _, name := range sortedKeys(r) {
			users = append(users, r[name])
		}
		items, err = marshalEach(users)
		return items, reflect.TypeFor[api.User](), true, err
	case api.GetRolesResponse:
		items, err = roleItems(r)
		return items, reflect.TypeFor[roleItem](), true, err
	case api.QueryUsersResponse:
		items, err = marshalEach(r.Users)
		return items, reflect.TypeFor[api.QueriedUser](), true, err
	case api.QueryRolesResponse:
		items, err = marshalEach(r.Roles)
		return items, reflect.TypeFor[queriedRoleItem](), true, err
	case api.EventsResponse:
		// Audit events are objects of flat, dotted names (event.action).
		return r.Events, reflect.TypeFor[map[string]any](), true, nil
	case api.GetPrivilegesResponse:
		items, err = marshalEach(privilegeItems(r))
		return items, reflect.TypeFor[api.ApplicationPrivilege](), true, err
	}
	// Any other slice (a command's own list, such as the contexts of
	// `config get-contexts`) is a list of its elements.
	if rv := reflect.ValueOf(deref(v)); rv.IsValid() && rv.Kind() == reflect.Slice && rv.Type().Elem().Kind() != reflect.Uint8 {
		elems := make([]any, rv.Len())
		for i := range elems {
			elems[i] = rv.Index(i).Interface()
		}
		items, err = marshalEach(elems)
		return items, rv.Type().Elem(), true, err
	}
	b, err := marshal(v)
	if err != nil {
		return nil, nil, false, err
	}
	return []json.RawMessage{b}, reflect.TypeOf(v), false, nil
}

// marshalEach renders every value of vs with marshal.
func marshalEach[T any](vs []T) ([]json.RawMessage, error) {
	var items []json.RawMessage
	for _, v := range vs {
		b, err := marshal(v)
		if err != nil {
			return nil, err
		}
		items = append(items, b)
	}
	return items, nil
}

// roleItems renders the roles of r by name, each as {"name":...,
// descriptor fields...}.
func roleItems(r api.GetRolesResponse) ([]json.RawMessage, error) {
	var items []json.RawMessage
	for _, name := range sortedKeys(r) {
		d, err := marshal(r[name])
		if err != nil {
			return nil, err
		}
		n, _ := json.Marshal(name)
		var b bytes.Buffer
		b.WriteString(`{"name":`)
		b.Write(n)
		if len(d) > 2 {
			b.WriteByte(',')
		}
		b.Write(d[1:])
		items = append(items, b.Bytes())
	}
	return items, nil
}

// deref returns what v points to, so that Write takes a response or a
// pointer to it alike.
func deref(v any) any {
	rv := reflect.ValueOf(v)
	for rv.IsValid() && rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil
		}
		rv = rv.Elem()
	}
	if !rv.IsValid() {
		return nil
	}
	return rv.Interface()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// decodeOrdered decodes a rendered response into an orderedjson tree.
func decodeOrdered(data []byte) (any, error) {
	v, err := orderedjson.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("decode response: %w", err)
	}
	return v, nil
}

// yamlNode builds the YAML node of a decoded JSON value, keeping key order
// and the JSON types (a string that looks like a number stays a string).
func yamlNode(v any) *yaml.Node {
	switch t := v.(type) {
	case orderedjson.Object:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for _, m := range t {
			n.Content = append(n.Content,
				&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: m.Key},
				yamlNode(m.Value))
		}
		return n
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, e := range t {
			n.Content = append(n.Content, yamlNode(e))
		}
		return n
	case string:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: t}
	case json.Number:
		tag := "!!float"
		if _, err := t.Int64(); err == nil {
			tag = "!!int"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: t.String()}
	case bool:
		if t {
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"}
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "false"}
	default:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	}
}

// compactJSON renders a decoded value as compact JSON, escaped as
// encoding/json escapes the rest of the output.
func compactJSON(v any) string {
	return string(orderedjson.Encode(v, orderedjson.Format{EscapeHTML: true}))
}
