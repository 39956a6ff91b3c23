package query

import (
	"fmt"
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/strictjson"
)

// This file parses sort and search_after.

// dslSort is one sort clause as FieldSortBuilder reads it.
type dslSort struct {
	field       string
	desc        bool
	missing     *strictjson.Node
	mode        string
	format      *string
	numericType string
	nested      bool
}

// parseSort reads the sort array: field names, or {"field": "asc|desc"},
// or {"field": {options}}.
func parseSort(n *strictjson.Node, payloadParser string) ([]dslSort, error) {
	elems := n.Elems
	switch n.Kind {
	case strictjson.Array:
	case strictjson.Object:
		elems = []*strictjson.Node{n}
	default:
		return nil, xcontentError(n.Pos, "[%s] sort doesn't support values of type: %s", payloadParser, n.Kind.Token())
	}
	out := []dslSort{}
	for _, e := range elems {
		switch e.Kind {
		case strictjson.String:
			out = append(out, dslSort{field: e.Text, desc: e.Text == "_score"})
		case strictjson.Object:
			if len(e.Members) == 0 {
				return nil, parsingError(e.Pos, "[%s] failed to parse field [sort]", payloadParser)
			}
			m := e.Members[0]
			s := dslSort{field: m.Key, desc: m.Key == "_score"}
			switch m.Value.Kind {
			case strictjson.String:
				d, err := sortOrder(m.Value.Text)
				if err != nil {
					return nil, err
				}
				s.desc = d
			case strictjson.Object:
				if err := parseSortOptions(&s, m.Value); err != nil {
					return nil, err
				}
			default:
				return nil, parsingError(m.Value.Pos, "expected [START_OBJECT] but found [%s]", m.Value.Kind.Token())
			}
			if len(e.Members) > 1 {
				return nil, parsingError(e.Members[1].KeyPos, "Failed to parse token [FIELD_NAME] expected [END_OBJECT]")
			}
			out = append(out, s)
		default:
			return nil, invalid("mal-formatted sort object")
		}
	}
	return out, nil
}

func sortOrder(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "asc":
		return false, nil
	case "desc":
		return true, nil
	}
	return false, invalid("Unknown SortOrder [%s]", s)
}

func parseSortOptions(s *dslSort, obj *strictjson.Node) error {
	for _, m := range obj.Members {
		v := m.Value
		fail := func(err error) error { return fieldFailure("field_sort", m.Key, m.KeyPos, err) }
		switch m.Key {
		case "order":
			t, ok := scalar(v)
			if !ok {
				return xcontentError(m.KeyPos, "[field_sort] order doesn't support values of type: %s", v.Kind.Token())
			}
			d, err := sortOrder(t)
			if err != nil {
				return fail(err)
			}
			s.desc = d
		case "missing":
			if v.Kind == strictjson.Object || v.Kind == strictjson.Array {
				return xcontentError(m.KeyPos, "[field_sort] missing doesn't support values of type: %s", v.Kind.Token())
			}
			if v.Kind != strictjson.Null {
				s.missing = v
			}
		case "mode":
			t, ok := scalar(v)
			if !ok {
				return xcontentError(m.KeyPos, "[field_sort] mode doesn't support values of type: %s", v.Kind.Token())
			}
			switch strings.ToLower(t) {
			case "min", "max", "sum", "avg", "median":
				s.mode = strings.ToLower(t)
			default:
				return fail(invalid("Unknown SortMode [%s]", t))
			}
		case "format", "unmapped_type", "numeric_type":
			t, ok := scalar(v)
			if !ok {
				return xcontentError(m.KeyPos, "[field_sort] %s doesn't support values of type: %s", m.Key, v.Kind.Token())
			}
			switch m.Key {
			case "format":
				s.format = &t
			case "numeric_type":
				switch strings.ToLower(t) {
				case "long", "double", "date", "date_nanos":
					s.numericType = strings.ToLower(t)
				default:
					return fail(invalid("invalid value for [numeric_type], must be [long, double, date, date_nanos], got %s", strings.ToLower(t)))
				}
			}
		case "nested", "nested_path", "nested_filter":
			s.nested = true
		default:
			return xcontentError(m.KeyPos, "[field_sort] unknown field [%s]", m.Key)
		}
	}
	return nil
}

// parseSearchAfter reads search_after: an array of strings, numbers,
// booleans and nulls.
func parseSearchAfter(n *strictjson.Node, payloadParser string) ([]*strictjson.Node, error) {
	if n.Kind != strictjson.Array {
		return nil, xcontentError(n.Pos, "[%s] search_after doesn't support values of type: %s", payloadParser, n.Kind.Token())
	}
	for _, e := range n.Elems {
		if e.Kind == strictjson.Object || e.Kind == strictjson.Array {
			return nil, parsingError(e.Pos, "Expected [VALUE_STRING] or [VALUE_NUMBER] or [VALUE_BOOLEAN] or [VALUE_NULL] but found [%s] inside search_after.", e.Kind.Token())
		}
	}
	return n.Elems, nil
}

// describe renders a node for messages.
func describe(n *strictjson.Node) string {
	if s, ok := scalar(n); ok {
		return s
	}
	return fmt.Sprint(n.Kind.Token())
}
