package query

import (
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/strictjson"
)

// This file parses the full-text queries: match and simple_query_string.

func parseMatch(body *strictjson.Node) (dslQuery, error) {
	q := &dslMatch{maxExpansions: 50, transpositions: true}
	seen := false
	for _, m := range body.Members {
		if seen {
			return nil, multipleFields("match", m.Value.Pos, q.field, m.Key)
		}
		seen, q.field = true, m.Key
		switch m.Value.Kind {
		case strictjson.Object:
			for _, in := range m.Value.Members {
				v := in.Value
				if v.Kind == strictjson.Object || v.Kind == strictjson.Array {
					return nil, parsingError(v.Pos, "[match] query does not support [%s]", in.Key)
				}
				var err error
				switch in.Key {
				case "query":
					if v.Kind != strictjson.Null {
						q.query = v
					}
				case "analyzer":
					q.analyzer, err = textValue("match", in.Key, v)
				case "operator":
					var s string
					if s, err = textValue("match", in.Key, v); err == nil {
						switch strings.ToLower(s) {
						case "or":
							q.operatorAnd = false
						case "and":
							q.operatorAnd = true
						default:
							err = invalid("No enum constant org.elasticsearch.index.query.Operator.%s", strings.ToUpper(s))
						}
					}
				case "fuzziness":
					var s string
					if s, err = textValue("match", in.Key, v); err == nil {
						q.fuzziness = &s
					}
				case "prefix_length":
					q.prefixLength, err = intValue(v)
				case "max_expansions":
					q.maxExpansions, err = intValue(v)
				case "fuzzy_transpositions":
					q.transpositions, err = boolValue(v)
				case "lenient":
					q.lenient, err = boolValue(v)
				case "minimum_should_match":
					var s string
					if s, err = textValue("match", in.Key, v); err == nil {
						q.msm = &s
					}
				case "zero_terms_query":
					var s string
					if s, err = textValue("match", in.Key, v); err == nil {
						switch strings.ToLower(s) {
						case "none":
						case "all":
							q.zeroTermsAll = true
						default:
							err = parsingError(v.Pos, "Unsupported zero_terms_query value [%s]", s)
						}
					}
				case "fuzzy_rewrite", "cutoff_frequency":
					if in.Key == "cutoff_frequency" {
						err = parsingError(v.Pos, "cutoff_frequency is not supported. The [match] query can skip block of documents efficiently if the total number of hits is not tracked")
					} else {
						_, err = textValue("match", in.Key, v)
					}
				case "auto_generate_synonyms_phrase_query":
					_, err = boolValue(v)
				default:
					if ok, cerr := common("match", in.Key, v); ok {
						err = cerr
						break
					}
					err = parsingError(v.Pos, "[match] query does not support [%s]", in.Key)
				}
				if err != nil {
					return nil, err
				}
			}
		case strictjson.Array:
			return nil, parsingError(m.Value.Pos, "[match] unknown token [START_ARRAY] after [%s]", m.Key)
		case strictjson.Null:
		default:
			q.query = m.Value
		}
	}
	if q.field == "" {
		return nil, invalid("[match] requires fieldName")
	}
	if q.query == nil {
		return nil, invalid("[match] requires query value")
	}
	return q, nil
}

// Simple query string flags, as Lucene's SimpleQueryParser numbers them.
const (
	flagAnd        = 1 << 0
	flagNot        = 1 << 1
	flagOr         = 1 << 2
	flagPrefix     = 1 << 3
	flagPhrase     = 1 << 4
	flagPrecedence = 1 << 5
	flagEscape     = 1 << 6
	flagWhitespace = 1 << 7
	flagFuzzy      = 1 << 8
	flagNear       = 1 << 9
	flagAll        = -1
)

var flagNames = map[string]int{
	"ALL": flagAll, "NONE": 0, "AND": flagAnd, "NOT": flagNot, "OR": flagOr, "PREFIX": flagPrefix,
	"PHRASE": flagPhrase, "PRECEDENCE": flagPrecedence, "ESCAPE": flagEscape, "WHITESPACE": flagWhitespace,
	"FUZZY": flagFuzzy, "NEAR": flagNear, "SLOP": flagNear,
}

func parseSimpleQueryString(body *strictjson.Node) (dslQuery, error) {
	q := &dslSimpleQueryString{flags: flagAll, fuzzyTranspose: true}
	hasText := false
	for _, m := range body.Members {
		v := m.Value
		if v.Kind == strictjson.Array {
			if m.Key != "fields" {
				return nil, parsingError(v.Pos, "[simple_query_string] query does not support [%s]", m.Key)
			}
			for _, e := range v.Elems {
				s, ok := scalar(e)
				if !ok {
					return nil, parsingError(e.Pos, "[simple_query_string] query does not support [%s]", m.Key)
				}
				name, _, _ := strings.Cut(s, "^")
				q.fields = append(q.fields, name)
			}
			continue
		}
		if v.Kind == strictjson.Object {
			return nil, parsingError(v.Pos, "[simple_query_string] query does not support [%s]", m.Key)
		}
		var err error
		switch m.Key {
		case "query":
			var s string
			if s, err = textValue("simple_query_string", m.Key, v); err == nil {
				q.text, hasText = s, true
			}
		case "analyzer":
			q.analyzer, err = textValue("simple_query_string", m.Key, v)
		case "default_operator":
			var s string
			if s, err = textValue("simple_query_string", m.Key, v); err == nil {
				switch strings.ToLower(s) {
				case "or":
				case "and":
					q.operatorAnd = true
				default:
					err = parsingError(v.Pos, "[simple_query_string] default operator [%s] is not allowed", s)
				}
			}
		case "flags":
			if v.Kind == strictjson.Number {
				var n int
				n, err = intValue(v)
				q.flags = n
				break
			}
			var s string
			if s, err = textValue("simple_query_string", m.Key, v); err == nil {
				q.flags = 0
				for _, f := range strings.Split(s, "|") {
					f = strings.ToUpper(strings.TrimSpace(f))
					if f == "" {
						continue
					}
					bit, ok := flagNames[f]
					if !ok {
						return nil, invalid("Unknown simple_query_string flag [%s]", f)
					}
					if bit == flagAll {
						q.flags = flagAll
					} else if q.flags != flagAll {
						q.flags |= bit
					}
				}
			}
		case "lenient":
			var b bool
			if b, err = boolValue(v); err == nil {
				q.lenient = &b
			}
		case "minimum_should_match":
			var s string
			if s, err = textValue("simple_query_string", m.Key, v); err == nil {
				q.msm = &s
			}
		case "fuzzy_prefix_length":
			q.fuzzyPrefixLength, err = intValue(v)
		case "fuzzy_max_expansions":
			_, err = intValue(v)
		case "fuzzy_transpositions":
			q.fuzzyTranspose, err = boolValue(v)
		case "analyze_wildcard", "auto_generate_synonyms_phrase_query":
			_, err = boolValue(v)
		case "quote_field_suffix":
			_, err = textValue("simple_query_string", m.Key, v)
		default:
			if ok, cerr := common("simple_query_string", m.Key, v); ok {
				err = cerr
				break
			}
			err = parsingError(v.Pos, "[simple_query_string] unsupported field [%s]", m.Key)
		}
		if err != nil {
			return nil, err
		}
	}
	if !hasText {
		return nil, parsingError(body.Pos, "[simple_query_string] query text missing")
	}
	return q, nil
}
