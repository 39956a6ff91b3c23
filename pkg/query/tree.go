package query

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Query is a node of a parsed query. Values in nodes are typed by their
// field's Kind: string for Keyword and Flattened fields, int64 for Date
// (epoch milliseconds) and Boolean (0 or 1) fields.
type Query interface{ isQuery() }

// MatchAll matches every key.
type MatchAll struct{}

// MatchNone matches no key.
type MatchNone struct{}

// Bool combines clauses: a key matches when it matches every Must and
// Filter clause, no MustNot clause, and at least MinShould of the Should
// clauses. MinShould is resolved at parse time from minimum_should_match
// and the bool's shape (1 for a bool of only should clauses).
type Bool struct {
	Must, Filter, Should, MustNot []Query
	MinShould                     int
}

// IDs matches the keys with one of the ids.
type IDs struct{ Values []string }

// Term matches the keys with a value of Field equal to one of Values (a
// term query has one, a terms query several). CaseInsensitive compares
// strings after Fold.
type Term struct {
	Field           Field
	Values          []any
	CaseInsensitive bool
}

// Range matches the keys with a value of Field between the bounds; a nil
// bound is open.
type Range struct {
	Field                  Field
	From, To               any
	IncludeFrom, IncludeTo bool
}

// Prefix matches the keys with a value of Field (a string field) that
// starts with Value.
type Prefix struct {
	Field           Field
	Value           string
	CaseInsensitive bool
}

// Wildcard matches the keys with a value of Field matching Pattern: * any
// run of characters, ? one character, \ escapes the next one.
type Wildcard struct {
	Field           Field
	Pattern         string
	CaseInsensitive bool
}

// Exists matches the keys that have a value of Field.
type Exists struct{ Field Field }

// Fuzzy matches the keys with a value of Field within MaxEdits edits of
// Value, whose first PrefixLength characters equal Value's.
// Transpositions count a swap of adjacent characters as one edit.
type Fuzzy struct {
	Field          Field
	Value          string
	MaxEdits       int
	PrefixLength   int
	Transpositions bool
}

func (MatchAll) isQuery()  {}
func (MatchNone) isQuery() {}
func (*Bool) isQuery()     {}
func (*IDs) isQuery()      {}
func (*Term) isQuery()     {}
func (*Range) isQuery()    {}
func (*Prefix) isQuery()   {}
func (*Wildcard) isQuery() {}
func (*Exists) isQuery()   {}
func (*Fuzzy) isQuery()    {}

// Doc is what the evaluator knows of an API key (or, with Fields, of a
// user or a role): its queryable fields and
// its position in index order (Seq, the _doc sort).
type Doc struct {
	Seq          int64
	ID           string
	Name         string
	Type         string
	Username     string
	Realm        string
	Creation     int64
	Expiration   *int64
	Invalidated  bool
	Invalidation *int64
	// LastUsed is when the key last authenticated, nil for never.
	LastUsed *int64
	// Metadata are the leaves of the metadata object (see Flatten).
	Metadata []Leaf
	// Fields are the values of a user's or a role's fields by name (see
	// NewDoc); nil for an API key.
	Fields map[string][]any
}

// Values returns the doc's values of f: none, one, or for metadata any
// number.
func (d *Doc) Values(f Field) []any {
	if d.Fields != nil && f.Name != FieldMetadata {
		return d.Fields[f.Name]
	}
	switch f.Name {
	case FieldUsername:
		return []any{d.Username}
	case FieldRealm:
		return []any{d.Realm}
	case FieldName:
		return []any{d.Name}
	case FieldType:
		return []any{d.Type}
	case FieldCreation:
		return []any{d.Creation}
	case FieldExpiration:
		if d.Expiration == nil {
			return nil
		}
		return []any{*d.Expiration}
	case FieldInvalidation:
		if d.Invalidation == nil {
			return nil
		}
		return []any{*d.Invalidation}
	case FieldLastUsed:
		if d.LastUsed == nil {
			return nil
		}
		return []any{*d.LastUsed}
	case FieldInvalidated:
		if d.Invalidated {
			return []any{int64(1)}
		}
		return []any{int64(0)}
	case FieldMetadata:
		// Doc values are a set: each distinct value once.
		var out []any
		seen := map[string]bool{}
		for _, l := range d.Metadata {
			if (!f.Keyed || l.Path == f.Key) && !seen[l.Value] {
				seen[l.Value] = true
				out = append(out, l.Value)
			}
		}
		return out
	}
	return nil
}

// Uses reports whether the search filters or sorts on the field named
// name.
func (s Search) Uses(name string) bool {
	for _, c := range s.Sort {
		if !c.Doc && c.Field.Name == name {
			return true
		}
	}
	return uses(s.Query, name)
}

// uses reports whether q tests the field named name.
func uses(q Query, name string) bool {
	var f Field
	switch q := q.(type) {
	case *Bool:
		for _, list := range [][]Query{q.Must, q.Filter, q.Should, q.MustNot} {
			for _, c := range list {
				if uses(c, name) {
					return true
				}
			}
		}
		return false
	case *Term:
		f = q.Field
	case *Range:
		f = q.Field
	case *Prefix:
		f = q.Field
	case *Wildcard:
		f = q.Field
	case *Exists:
		f = q.Field
	case *Fuzzy:
		f = q.Field
	default:
		return false
	}
	return f.Name == name
}

// Match reports whether the doc matches q; a nil q matches every doc.
func Match(q Query, d *Doc) bool {
	switch q := q.(type) {
	case nil, MatchAll:
		return true
	case MatchNone:
		return false
	case *Bool:
		return matchBool(q, d)
	case *IDs:
		return slices.Contains(q.Values, d.ID)
	case *Term:
		return anyValue(d, q.Field, func(v any) bool {
			for _, w := range q.Values {
				if q.CaseInsensitive {
					if s, ok := v.(string); ok && Fold(s) == Fold(w.(string)) {
						return true
					}
				} else if Compare(v, w) == 0 {
					return true
				}
			}
			return false
		})
	case *Range:
		return anyValue(d, q.Field, q.contains)
	case *Prefix:
		return anyValue(d, q.Field, func(v any) bool {
			s, _ := v.(string)
			if q.CaseInsensitive {
				return strings.HasPrefix(Fold(s), Fold(q.Value))
			}
			return strings.HasPrefix(s, q.Value)
		})
	case *Wildcard:
		return anyValue(d, q.Field, func(v any) bool {
			s, _ := v.(string)
			if q.CaseInsensitive {
				return WildcardMatch(Fold(q.Pattern), Fold(s))
			}
			return WildcardMatch(q.Pattern, s)
		})
	case *Exists:
		return len(d.Values(q.Field)) > 0
	case *Fuzzy:
		return anyValue(d, q.Field, func(v any) bool {
			s, _ := v.(string)
			return FuzzyMatch(q.Value, s, q.MaxEdits, q.PrefixLength, q.Transpositions)
		})
	}
	panic("query: unknown node")
}

// anyValue reports whether one of d's values of f satisfies match.
func anyValue(d *Doc, f Field, match func(v any) bool) bool {
	return slices.ContainsFunc(d.Values(f), match)
}

// matchBool is a bool query: every must and filter clause, no must_not
// clause, and at least MinShould should clauses.
func matchBool(q *Bool, d *Doc) bool {
	for _, c := range q.Must {
		if !Match(c, d) {
			return false
		}
	}
	for _, c := range q.Filter {
		if !Match(c, d) {
			return false
		}
	}
	for _, c := range q.MustNot {
		if Match(c, d) {
			return false
		}
	}
	n := 0
	for _, c := range q.Should {
		if Match(c, d) {
			n++
		}
	}
	return n >= q.MinShould
}

func (q *Range) contains(v any) bool {
	if q.From != nil {
		c := Compare(v, q.From)
		if c < 0 || (c == 0 && !q.IncludeFrom) {
			return false
		}
	}
	if q.To != nil {
		c := Compare(v, q.To)
		if c > 0 || (c == 0 && !q.IncludeTo) {
			return false
		}
	}
	return true
}

// Compare orders two values of one kind: int64s numerically, strings byte
// by byte (as Lucene and SQLite's BINARY collation compare UTF-8).
func Compare(a, b any) int {
	switch a := a.(type) {
	case int64:
		b := b.(int64)
		switch {
		case a < b:
			return -1
		case a > b:
			return 1
		}
		return 0
	case string:
		return strings.Compare(a, b.(string))
	}
	panic("query: unknown value type")
}

// Fold maps s to a case-insensitive form: every character to the lower
// case of its upper case, as case_insensitive queries compare.
func Fold(s string) string {
	return strings.Map(func(r rune) rune { return unicode.ToLower(unicode.ToUpper(r)) }, s)
}

// WildcardMatch reports whether s matches pattern: * matches any run of
// characters, ? exactly one, and \ makes the next character literal.
func WildcardMatch(pattern, s string) bool {
	p := []rune(pattern)
	t := []rune(s)
	// Tokens: literal runes, or the two operators.
	type tok struct {
		r  rune
		op byte // 0 literal, '*' or '?'
	}
	var toks []tok
	for i := 0; i < len(p); i++ {
		switch {
		case p[i] == '\\' && i+1 < len(p):
			i++
			toks = append(toks, tok{r: p[i]})
		case p[i] == '*':
			toks = append(toks, tok{op: '*'})
		case p[i] == '?':
			toks = append(toks, tok{op: '?'})
		default:
			toks = append(toks, tok{r: p[i]})
		}
	}
	pi, ti := 0, 0
	star, mark := -1, 0
	for ti < len(t) {
		switch {
		case pi < len(toks) && toks[pi].op == '*':
			star, mark = pi, ti
			pi++
		case pi < len(toks) && (toks[pi].op == '?' || (toks[pi].op == 0 && toks[pi].r == t[ti])):
			pi++
			ti++
		case star >= 0:
			pi = star + 1
			mark++
			ti = mark
		default:
			return false
		}
	}
	for pi < len(toks) && toks[pi].op == '*' {
		pi++
	}
	return pi == len(toks)
}

// FuzzyMatch reports whether candidate is within maxEdits edits of term
// (Levenshtein distance over characters, or with transpositions the
// optimal string alignment distance), the first prefixLength characters
// of term being required exactly, as Lucene's FuzzyQuery matches.
func FuzzyMatch(term, candidate string, maxEdits, prefixLength int, transpositions bool) bool {
	a := []rune(term)
	b := []rune(candidate)
	if prefixLength > len(a) {
		prefixLength = len(a)
	}
	if len(b) < prefixLength {
		return false
	}
	for i := 0; i < prefixLength; i++ {
		if a[i] != b[i] {
			return false
		}
	}
	a, b = a[prefixLength:], b[prefixLength:]
	if d := len(a) - len(b); d > maxEdits || -d > maxEdits {
		return false
	}
	return editDistance(a, b, transpositions) <= maxEdits
}

func editDistance(a, b []rune, transpositions bool) int {
	n, m := len(a), len(b)
	prev2 := make([]int, m+1)
	prev := make([]int, m+1)
	cur := make([]int, m+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= n; i++ {
		cur[0] = i
		for j := 1; j <= m; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if transpositions && i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[m]
}

// runeLen is the number of characters of s.
func runeLen(s string) int { return utf8.RuneCountInString(s) }
