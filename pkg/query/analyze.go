package query

import (
	"strconv"
	"strings"
	"unicode"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/strictjson"
)

// analyzers are the built-in analyzers apikeyd applies to match and
// simple_query_string text; keyword is what a keyword field uses by
// default: the whole text is one term.
var analyzers = map[string]func(string) []string{
	"keyword":    func(s string) []string { return []string{s} },
	"whitespace": strings.Fields,
	"standard":   standardTokens,
	"simple":     letterTokens,
	"stop":       stopTokens,
}

// standardTokens approximates the standard analyzer: words of letters and
// digits (dots and apostrophes inside a word kept, as UAX#29 keeps them),
// lower-cased, at most 255 characters.
func standardTokens(s string) []string {
	var out []string
	r := []rune(s)
	word := func(c rune) bool {
		return unicode.IsLetter(c) || unicode.IsDigit(c) || c == '_' || unicode.Is(unicode.Mn, c)
	}
	for i := 0; i < len(r); {
		if !word(r[i]) {
			i++
			continue
		}
		j := i
		for j < len(r) {
			if word(r[j]) {
				j++
				continue
			}
			if (r[j] == '.' || r[j] == '\'' || r[j] == ',') && j+1 < len(r) && word(r[j+1]) && j > i {
				j++
				continue
			}
			break
		}
		for k := i; k < j; k += 255 {
			out = append(out, strings.ToLower(string(r[k:min(j, k+255)])))
		}
		i = j
	}
	return out
}

// letterTokens is the simple analyzer: runs of letters, lower-cased.
func letterTokens(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(c rune) bool { return !unicode.IsLetter(c) })
}

var englishStopWords = map[string]bool{
	"a": true, "an": true, "and": true, "are": true, "as": true, "at": true, "be": true, "but": true, "by": true,
	"for": true, "if": true, "in": true, "into": true, "is": true, "it": true, "no": true, "not": true, "of": true,
	"on": true, "or": true, "such": true, "that": true, "the": true, "their": true, "then": true, "there": true,
	"these": true, "they": true, "this": true, "to": true, "was": true, "will": true, "with": true,
}

func stopTokens(s string) []string {
	var out []string
	for _, t := range letterTokens(s) {
		if !englishStopWords[t] {
			out = append(out, t)
		}
	}
	return out
}

// analyzer returns the named analyzer, keyword when name is empty.
func analyzer(qname, name string) (func(string) []string, error) {
	if name == "" {
		name = "keyword"
	}
	a, ok := analyzers[name]
	if !ok {
		return nil, ShardFailure(typed("query_shard_exception", "[%s] analyzer [%s] not found", qname, name))
	}
	return a, nil
}

// fieldAnalyzer is the analyzer a query on f uses: the named one, or the
// field's own (keyword, or a text field's analyzer) when name is empty.
func fieldAnalyzer(f Field, qname, name string) (func(string) []string, error) {
	if name == "" && f.Kind() == Text {
		return textAnalyzer(f), nil
	}
	return analyzer(qname, name)
}

// fuzziness is the number of edits a fuzziness value allows for a term.
func fuzziness(spec, term string) (int, error) {
	up := strings.ToUpper(strings.TrimSpace(spec))
	if strings.HasPrefix(up, "AUTO") {
		lo, hi := 3, 6
		if rest, ok := strings.CutPrefix(up, "AUTO:"); ok {
			l, h, found := strings.Cut(rest, ",")
			a, err1 := strconv.Atoi(l)
			b, err2 := strconv.Atoi(h)
			if !found || err1 != nil || err2 != nil || a < 0 || b < a {
				return 0, invalid("failed to find low and high distance values")
			}
			lo, hi = a, b
		} else if up != "AUTO" {
			return 0, invalid("failed to parse [%s] as a fuzziness value", spec)
		}
		n := runeLen(term)
		switch {
		case n < lo:
			return 0, nil
		case n < hi:
			return 1, nil
		}
		return 2, nil
	}
	f, err := strconv.ParseFloat(up, 64)
	if err != nil || f < 0 || f != float64(int(f)) {
		return 0, invalid("Invalid fuzziness value: %s", spec)
	}
	if f > 2 {
		return 0, ShardFailure(invalid("Valid edit distances are [0, 1, 2] but was [%d]", int(f)))
	}
	return int(f), nil
}

// fuzzyQuery builds a fuzzy query on f, refusing the fields Elasticsearch
// refuses.
func fuzzyQuery(f Field, term string, edits, prefixLength int, transpositions bool) (Query, *api.Error) {
	if f.Numeric() {
		return nil, typed("illegal_argument_exception", "Can only use fuzzy queries on keyword and text fields - not on [%s] which is of type [%s]", f.IndexName(), f.typeName())
	}
	if f.Keyed {
		return nil, typed("unsupported_operation_exception", "[fuzzy] queries are not currently supported on keyed [flattened] fields.")
	}
	if edits == 0 {
		return &Term{Field: f, Values: []any{term}}, nil
	}
	return &Fuzzy{Field: f, Value: term, MaxEdits: edits, PrefixLength: prefixLength, Transpositions: transpositions}, nil
}

// fieldTerm is the query for one analysed term on f: a term query, whose
// value a date or boolean field must be able to parse.
func (rs *resolver) fieldTerm(f Field, text string) (Query, error) {
	return rs.term(f, []*strictjson.Node{{Kind: strictjson.String, Text: text}}, false)
}

// match resolves a match query: the text is analysed (keyword: one
// term), each term becomes a term or fuzzy query, combined by operator.
func (rs *resolver) match(f Field, q *dslMatch) (Query, error) {
	text := keywordText(q.query)
	lenientNone := func(err error) (Query, error) {
		if q.lenient {
			return MatchNone{}, nil
		}
		return nil, err
	}
	if f.Numeric() {
		if q.fuzziness != nil {
			if _, err := fuzziness(*q.fuzziness, text); err != nil {
				return nil, err
			}
			_, ferr := fuzzyQuery(f, text, 1, 0, true)
			return lenientNone(queryShardError(ferr))
		}
		t, err := rs.fieldTerm(f, text)
		if err != nil {
			return lenientNone(err)
		}
		return t, nil
	}
	an, err := fieldAnalyzer(f, "match", q.analyzer)
	if err != nil {
		return nil, err
	}
	tokens := an(text)
	if len(tokens) == 0 {
		if q.zeroTermsAll {
			return MatchAll{}, nil
		}
		return MatchNone{}, nil
	}
	clauses := make([]Query, 0, len(tokens))
	for _, t := range tokens {
		var c Query
		if q.fuzziness != nil {
			edits, err := fuzziness(*q.fuzziness, t)
			if err != nil {
				return nil, err
			}
			fq, ferr := fuzzyQuery(f, t, edits, q.prefixLength, q.transpositions)
			if ferr != nil {
				return lenientNone(queryShardError(ferr))
			}
			c = fq
		} else {
			c = &Term{Field: f, Values: []any{t}}
		}
		clauses = append(clauses, c)
	}
	if len(clauses) == 1 {
		return clauses[0], nil
	}
	if q.operatorAnd {
		return &Bool{Must: clauses}, nil
	}
	n := 1
	if q.msm != nil {
		m, err := minShouldMatch(len(clauses), *q.msm)
		if err != nil {
			return nil, err
		}
		n = max(m, 1)
	}
	return &Bool{Should: clauses, MinShould: n}, nil
}
