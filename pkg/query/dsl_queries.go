package query

import (
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/strictjson"
)

// This file parses the compound and term-level queries.

func parseBool(body *strictjson.Node) (dslQuery, error) {
	q := &dslBool{}
	for _, m := range body.Members {
		var dst *[]dslQuery
		switch m.Key {
		case "must":
			dst = &q.must
		case "filter":
			dst = &q.filter
		case "should":
			dst = &q.should
		case "must_not", "mustNot":
			dst = &q.mustNot
		}
		switch m.Value.Kind {
		case strictjson.Object:
			if dst == nil {
				return nil, parsingError(m.Value.Pos, "[bool] query does not support [%s]", m.Key)
			}
			c, err := parseInnerQuery(m.Value)
			if err != nil {
				return nil, err
			}
			*dst = append(*dst, c)
		case strictjson.Array:
			if dst == nil {
				return nil, parsingError(m.Value.Pos, "bool query does not support [%s]", m.Key)
			}
			for _, e := range m.Value.Elems {
				c, err := parseInnerQuery(e)
				if err != nil {
					return nil, err
				}
				*dst = append(*dst, c)
			}
		default:
			if ok, err := common("bool", m.Key, m.Value); ok {
				if err != nil {
					return nil, err
				}
				continue
			}
			switch m.Key {
			case "minimum_should_match", "minimumShouldMatch":
				if m.Value.Kind == strictjson.Null {
					q.msm = nil
					continue
				}
				s, err := textValue("bool", m.Key, m.Value)
				if err != nil {
					return nil, err
				}
				q.msm = &s
			case "adjust_pure_negative":
				if _, err := boolValue(m.Value); err != nil {
					return nil, err
				}
			default:
				return nil, parsingError(m.Value.Pos, "[bool] query does not support [%s]", m.Key)
			}
		}
	}
	return q, nil
}

func parseMatchAll(body *strictjson.Node) (dslQuery, error) {
	for _, m := range body.Members {
		if ok, err := common("match_all", m.Key, m.Value); ok {
			if err != nil {
				return nil, fieldFailure("match_all", m.Key, m.KeyPos, err)
			}
			continue
		}
		return nil, xcontentError(m.KeyPos, "[match_all] unknown field [%s]", m.Key)
	}
	return dslMatchAll{}, nil
}

func parseIDs(body *strictjson.Node) (dslQuery, error) {
	q := &dslIDs{values: []string{}}
	for _, m := range body.Members {
		if ok, err := common("ids", m.Key, m.Value); ok {
			if err != nil {
				return nil, fieldFailure("ids", m.Key, m.KeyPos, err)
			}
			continue
		}
		if m.Key != "values" {
			return nil, xcontentError(m.KeyPos, "[ids] unknown field [%s]", m.Key)
		}
		elems := m.Value.Elems
		switch m.Value.Kind {
		case strictjson.Array:
		case strictjson.String, strictjson.Number:
			elems = []*strictjson.Node{m.Value}
		default:
			return nil, xcontentError(m.KeyPos, "[ids] values doesn't support values of type: %s", m.Value.Kind.Token())
		}
		for _, e := range elems {
			s, ok := scalar(e)
			if !ok || e.Kind == strictjson.True || e.Kind == strictjson.False {
				return nil, xcontentError(m.KeyPos, "[ids] failed to parse field [values]").Wrap(invalid("[values] must be an array of strings"))
			}
			q.values = append(q.values, s)
		}
	}
	return q, nil
}

func parseTerm(body *strictjson.Node) (dslQuery, error) {
	q := &dslTerm{}
	seen := false
	for _, m := range body.Members {
		switch m.Value.Kind {
		case strictjson.Object:
			if seen {
				return nil, multipleFields("term", m.Value.Pos, q.field, m.Key)
			}
			seen, q.field = true, m.Key
			for _, in := range m.Value.Members {
				switch in.Key {
				case "value", "term":
					if in.Value.Kind == strictjson.Array {
						return nil, parsingError(in.Value.Pos, "[term] query does not support arrays for value - use a bool query with multiple term clauses in the should section or use a Terms query if scoring is not required")
					}
					if in.Value.Kind == strictjson.Object {
						return nil, parsingError(in.Value.Pos, "[term] query does not support [%s]", in.Key)
					}
					if in.Value.Kind == strictjson.Null {
						q.value = nil
						continue
					}
					q.value = in.Value
				case "case_insensitive":
					b, err := boolValue(in.Value)
					if err != nil {
						return nil, err
					}
					q.caseInsensitive = b
				default:
					if ok, err := common("term", in.Key, in.Value); ok {
						if err != nil {
							return nil, err
						}
						continue
					}
					return nil, parsingError(in.Value.Pos, "[term] query does not support [%s]", in.Key)
				}
			}
		case strictjson.Array:
			return nil, parsingError(m.Value.Pos, "[term] query does not support array of values")
		default:
			if seen {
				return nil, multipleFields("term", m.Value.Pos, q.field, m.Key)
			}
			seen, q.field = true, m.Key
			if m.Value.Kind != strictjson.Null {
				q.value = m.Value
			}
		}
	}
	if q.field == "" {
		return nil, invalid("field name is null or empty")
	}
	if q.value == nil {
		return nil, invalid("value cannot be null")
	}
	return q, nil
}

func parseTerms(body *strictjson.Node) (dslQuery, error) {
	q := &dslTerms{}
	seen := false
	for _, m := range body.Members {
		switch m.Value.Kind {
		case strictjson.Array:
			if seen {
				return nil, parsingError(m.Value.Pos, "[terms] query does not support multiple fields")
			}
			seen, q.field = true, m.Key
			for _, e := range m.Value.Elems {
				if e.Kind == strictjson.Null {
					return nil, parsingError(e.Pos, "No value specified for terms query")
				}
				if _, ok := scalar(e); !ok {
					return nil, parsingError(e.Pos, "Invalid value for terms query: %s", e.Kind.Token())
				}
				q.values = append(q.values, e)
			}
		case strictjson.Object:
			if seen {
				return nil, parsingError(m.Value.Pos, "[terms] query does not support more than one field. Already got: [%s] but also found [%s]", q.field, m.Key)
			}
			seen, q.field, q.lookup = true, m.Key, true
		default:
			if ok, err := common("terms", m.Key, m.Value); ok {
				if err != nil {
					return nil, err
				}
				continue
			}
			return nil, parsingError(m.Value.Pos, "[terms] query does not support [%s]", m.Key)
		}
	}
	if !seen {
		return nil, parsingError(body.Pos, "[terms] query requires a field name, followed by array of terms or a document lookup specification")
	}
	if q.field == "" {
		return nil, invalid("field name cannot be null.")
	}
	return q, nil
}

func parseRange(body *strictjson.Node) (dslQuery, error) {
	q := &dslRange{includeFrom: true, includeTo: true}
	seen := false
	for _, m := range body.Members {
		if m.Value.Kind != strictjson.Object {
			if ok, err := common("range", m.Key, m.Value); ok {
				if err != nil {
					return nil, err
				}
				continue
			}
			return nil, parsingError(m.Value.Pos, "[range] query does not support [%s]", m.Key)
		}
		if seen {
			return nil, multipleFields("range", m.Value.Pos, q.field, m.Key)
		}
		seen, q.field = true, m.Key
		for _, in := range m.Value.Members {
			v := in.Value
			if v.Kind == strictjson.Object || v.Kind == strictjson.Array {
				return nil, parsingError(v.Pos, "[range] query does not support [%s]", in.Key)
			}
			bound := v
			if v.Kind == strictjson.Null {
				bound = nil
			}
			switch in.Key {
			case "from":
				q.from = bound
			case "to":
				q.to = bound
			case "include_lower":
				b, err := boolValue(v)
				if err != nil {
					return nil, err
				}
				q.includeFrom = b
			case "include_upper":
				b, err := boolValue(v)
				if err != nil {
					return nil, err
				}
				q.includeTo = b
			case "gt":
				q.from, q.includeFrom = bound, false
			case "gte":
				q.from, q.includeFrom = bound, true
			case "lt":
				q.to, q.includeTo = bound, false
			case "lte":
				q.to, q.includeTo = bound, true
			case "format", "time_zone", "relation":
				s, ok := scalar(v)
				if !ok {
					return nil, parsingError(v.Pos, "[range] query does not support [%s]", in.Key)
				}
				switch in.Key {
				case "format":
					// RangeQueryBuilder.format checks the pattern at once.
					if _, err := ParseDateFormat(s); err != nil {
						return nil, err
					}
					q.format = &s
				case "time_zone":
					if _, err := ParseTimeZone(s); err != nil {
						return nil, err
					}
					q.timeZone = &s
				case "relation":
					switch strings.ToLower(s) {
					case "intersects", "contains", "within":
					default:
						return nil, parsingError(v.Pos, "[range] query does not support relation [%s]", s)
					}
					q.relation = &s
				}
			default:
				if ok, err := common("range", in.Key, v); ok {
					if err != nil {
						return nil, err
					}
					continue
				}
				return nil, parsingError(v.Pos, "[range] query does not support [%s]", in.Key)
			}
		}
	}
	if q.field == "" {
		return nil, invalid("[range] query requires field name")
	}
	return q, nil
}

func parsePrefixLike(body *strictjson.Node, qname string) (dslQuery, error) {
	var field, value string
	hasValue, seen, ci := false, false, false
	for _, m := range body.Members {
		if seen {
			return nil, multipleFields(qname, m.Value.Pos, field, m.Key)
		}
		seen, field = true, m.Key
		switch m.Value.Kind {
		case strictjson.Object:
			for _, in := range m.Value.Members {
				switch {
				case in.Key == "value" || in.Key == qname:
					if in.Value.Kind == strictjson.Null {
						hasValue = false
						continue
					}
					s, err := textValue(qname, in.Key, in.Value)
					if err != nil {
						return nil, err
					}
					value, hasValue = s, true
				case in.Key == "case_insensitive":
					b, err := boolValue(in.Value)
					if err != nil {
						return nil, err
					}
					ci = b
				case in.Key == "rewrite":
					if _, ok := scalar(in.Value); !ok {
						return nil, parsingError(in.Value.Pos, "[%s] query does not support [%s]", qname, in.Key)
					}
				default:
					if ok, err := common(qname, in.Key, in.Value); ok {
						if err != nil {
							return nil, err
						}
						continue
					}
					return nil, parsingError(in.Value.Pos, "[%s] query does not support [%s]", qname, in.Key)
				}
			}
		case strictjson.Array:
			return nil, parsingError(m.Value.Pos, "[%s] query does not support [%s]", qname, m.Key)
		case strictjson.Null:
		default:
			s, _ := scalar(m.Value)
			value, hasValue = s, true
		}
	}
	if field == "" {
		return nil, invalid("field name is null or empty")
	}
	if !hasValue {
		return nil, invalid("value cannot be null")
	}
	if qname == "prefix" {
		return &dslPrefix{field: field, value: value, caseInsensitive: ci}, nil
	}
	return &dslWildcard{field: field, value: value, caseInsensitive: ci}, nil
}

func parseExists(body *strictjson.Node) (dslQuery, error) {
	q := &dslExists{}
	hasField := false
	for _, m := range body.Members {
		if m.Key == "field" {
			s, err := textValue("exists", m.Key, m.Value)
			if err != nil {
				return nil, err
			}
			q.field, hasField = s, true
			continue
		}
		if ok, err := common("exists", m.Key, m.Value); ok {
			if err != nil {
				return nil, err
			}
			continue
		}
		return nil, parsingError(m.Value.Pos, "[exists] query does not support [%s]", m.Key)
	}
	if !hasField {
		return nil, parsingError(body.Pos, "[exists] must be provided with a [field]")
	}
	if q.field == "" {
		return nil, invalid("field name is null or empty")
	}
	return q, nil
}
