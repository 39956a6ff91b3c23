package query

import (
	"strconv"
	"strings"
)

// This file is Lucene's SimpleQueryParser as Elasticsearch's
// simple_query_string runs it over the API key fields: the same operators
// (+ | - " * ( ) ~N \), the same precedence quirks, and each term searched
// in every selected field, a field that cannot take the term being skipped
// when lenient.

// sqNode is a node of the tree the parser builds: a leaf query, or a
// boolean of clauses.
type sqNode interface{}

type sqClause struct {
	node  sqNode
	occur byte // 'M' must, 'S' should, 'N' must not
}

type sqBool struct {
	clauses   []sqClause
	minShould int
}

type sqState struct {
	data          []rune
	index, length int
	top           sqNode
	current, prev byte // 0 when unset
	not           int
}

type sqParser struct {
	rs       *resolver
	fields   []Field
	flags    int
	defOp    byte
	analyze  func(string) []string
	analyzer string
	lenient  bool
	fuzzyPfx int
	fuzzyTr  bool
	err      error
}

func (p *sqParser) has(flag int) bool { return p.flags&flag != 0 }

func (rs *resolver) simpleQueryString(q *dslSimpleQueryString) (Query, error) {
	requested := q.fields
	if len(requested) == 0 {
		requested = []string{"*"}
	}
	lenient := q.lenient != nil && *q.lenient
	var fields []Field
	seen := map[string]bool{}
	for _, name := range requested {
		if name == "*" {
			lenient = true
		}
		for _, f := range rs.schema.translatePattern(name) {
			if !seen[f.IndexName()] {
				seen[f.IndexName()] = true
				fields = append(fields, f)
			}
		}
	}
	if len(fields) == 0 {
		return MatchNone{}, nil
	}
	an, err := analyzer("simple_query_string", q.analyzer)
	if err != nil {
		return nil, err
	}
	p := &sqParser{rs: rs, fields: fields, flags: q.flags, defOp: 'S', analyze: an, analyzer: q.analyzer,
		lenient: lenient, fuzzyPfx: q.fuzzyPrefixLength, fuzzyTr: q.fuzzyTranspose}
	if q.operatorAnd {
		p.defOp = 'M'
	}
	data := []rune(q.text)
	st := &sqState{data: data, length: len(data)}
	p.parseSub(st)
	if p.err != nil {
		return nil, p.err
	}
	if st.top == nil {
		return MatchNone{}, nil
	}
	if b, ok := st.top.(*sqBool); ok && q.msm != nil {
		optional := 0
		for _, c := range b.clauses {
			if c.occur == 'S' {
				optional++
			}
		}
		n, err := minShouldMatch(optional, *q.msm)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			b.minShould = n
		}
	}
	return toQuery(st.top), nil
}

// toQuery converts the parser's tree to the query tree.
func toQuery(n sqNode) Query {
	switch n := n.(type) {
	case Query:
		return n
	case *sqBool:
		b := &Bool{MinShould: n.minShould}
		for _, c := range n.clauses {
			q := toQuery(c.node)
			switch c.occur {
			case 'M':
				b.Must = append(b.Must, q)
			case 'S':
				b.Should = append(b.Should, q)
			case 'N':
				b.MustNot = append(b.MustNot, q)
			}
		}
		if len(b.Must) == 0 && len(b.Should) > 0 {
			b.MinShould = max(b.MinShould, 1)
		}
		return b
	}
	return MatchNone{}
}

func (p *sqParser) parseSub(st *sqState) {
	for st.index < st.length && p.err == nil {
		c := st.data[st.index]
		switch {
		case c == '(' && p.has(flagPrecedence):
			p.consumeSub(st)
		case c == ')' && p.has(flagPrecedence):
			// an extraneous closing parenthesis is ignored
			st.index++
		case c == '"' && p.has(flagPhrase):
			p.consumePhrase(st)
		case c == '+' && p.has(flagAnd):
			if st.current == 0 && st.top != nil {
				st.current = 'M'
			}
			st.index++
		case c == '|' && p.has(flagOr):
			if st.current == 0 && st.top != nil {
				st.current = 'S'
			}
			st.index++
		case c == '-' && p.has(flagNot):
			st.not++
			st.index++
			continue
		case (c == ' ' || c == '\t' || c == '\n' || c == '\r') && p.has(flagWhitespace):
			st.index++
		default:
			p.consumeToken(st)
		}
		st.not = 0
	}
}

func (p *sqParser) consumeSub(st *sqState) {
	st.index++
	start := st.index
	precedence := 1
	escaped := false
	for st.index < st.length {
		if !escaped {
			c := st.data[st.index]
			if c == '\\' && p.has(flagEscape) {
				escaped = true
				st.index++
				continue
			} else if c == '(' {
				precedence++
			} else if c == ')' {
				precedence--
				if precedence == 0 {
					break
				}
			}
		}
		escaped = false
		st.index++
	}
	switch {
	case st.index == st.length:
		st.index = start
	case st.index == start:
		st.current = 0
		st.index++
	default:
		sub := &sqState{data: st.data, index: start, length: st.index}
		p.parseSub(sub)
		p.build(st, sub.top)
		st.index++
	}
}

func (p *sqParser) consumePhrase(st *sqState) {
	st.index++
	start := st.index
	var buf []rune
	escaped, hasSlop := false, false
	for st.index < st.length {
		if !escaped {
			c := st.data[st.index]
			if c == '\\' && p.has(flagEscape) {
				escaped = true
				st.index++
				continue
			} else if c == '"' {
				if st.length > st.index+1 && st.data[st.index+1] == '~' && p.has(flagNear) {
					st.index++
					if st.length > st.index+1 {
						hasSlop = true
					}
				}
				break
			}
		}
		escaped = false
		buf = append(buf, st.data[st.index])
		st.index++
	}
	switch {
	case st.index == st.length:
		st.index = start
	case hasSlop:
		p.parseFuzziness(st) // the slop; a phrase of keyword terms ignores it
		p.build(st, p.phrase(string(buf)))
	default:
		p.build(st, p.phrase(string(buf)))
		st.index++
	}
}

func (p *sqParser) tokenFinished(st *sqState) bool {
	c := st.data[st.index]
	return (c == '"' && p.has(flagPhrase)) || (c == '|' && p.has(flagOr)) || (c == '+' && p.has(flagAnd)) ||
		((c == '(' || c == ')') && p.has(flagPrecedence)) ||
		((c == ' ' || c == '\t' || c == '\n' || c == '\r') && p.has(flagWhitespace))
}

func (p *sqParser) consumeToken(st *sqState) {
	var buf []rune
	escaped, prefix, fuzzy := false, false, false
	for st.index < st.length {
		c := st.data[st.index]
		if !escaped {
			if c == '\\' && p.has(flagEscape) {
				escaped = true
				st.index++
				continue
			} else if p.tokenFinished(st) {
				break
			} else if len(buf) > 0 && c == '~' && p.has(flagFuzzy) {
				fuzzy = true
				break
			}
			prefix = len(buf) > 0 && c == '*' && p.has(flagPrefix)
		}
		escaped = false
		buf = append(buf, c)
		st.index++
	}
	if len(buf) == 0 {
		return
	}
	switch {
	case fuzzy && p.has(flagFuzzy):
		token := string(buf)
		edits := min(p.parseFuzziness(st), 2)
		if edits == 0 {
			p.build(st, p.defaultQuery(token))
		} else {
			p.build(st, p.fuzzyQuery(token, edits))
		}
	case prefix:
		p.build(st, p.prefixQuery(string(buf[:len(buf)-1])))
	default:
		p.build(st, p.defaultQuery(string(buf)))
	}
}

func (p *sqParser) parseFuzziness(st *sqState) int {
	var slop []rune
	if st.index < st.length && st.data[st.index] == '~' {
		for st.index < st.length {
			st.index++
			if st.index < st.length {
				if p.tokenFinished(st) {
					break
				}
				slop = append(slop, st.data[st.index])
			}
		}
		if len(slop) == 0 {
			return 2
		}
		n, err := strconv.Atoi(string(slop))
		if err != nil || n < 0 {
			return 0
		}
		return n
	}
	return 0
}

// build adds a branch to the tree, as Lucene's buildQueryTree does.
func (p *sqParser) build(st *sqState, branch sqNode) {
	if branch == nil {
		return
	}
	if st.not%2 == 1 {
		branch = &sqBool{clauses: []sqClause{{branch, 'N'}, {MatchAll{}, 'S'}}}
	}
	if st.top == nil {
		st.top = branch
	} else {
		if st.current == 0 {
			st.current = p.defOp
		}
		if st.prev != st.current {
			st.top = &sqBool{clauses: []sqClause{{st.top, st.current}}}
		}
		top := st.top.(*sqBool)
		clauses := append(append([]sqClause{}, top.clauses...), sqClause{branch, st.current})
		st.top = &sqBool{clauses: clauses, minShould: top.minShould}
		st.prev = st.current
	}
	st.current = 0
}

// perField runs mk for every field and joins the results as a
// disjunction; a field whose query fails is skipped when lenient.
func (p *sqParser) perField(mk func(f Field) (Query, error)) sqNode {
	var out []Query
	for _, f := range p.fields {
		q, err := mk(f)
		if err != nil {
			if p.lenient {
				continue
			}
			if p.err == nil {
				p.err = err
			}
			return nil
		}
		if q != nil {
			out = append(out, q)
		}
	}
	switch len(out) {
	case 0:
		return MatchNone{}
	case 1:
		return out[0]
	}
	return &Bool{Should: out, MinShould: 1}
}

// analyzeFor analyses text for f: with the analyzer the query names, or
// the field's own.
func (p *sqParser) analyzeFor(f Field, text string) []string {
	if p.analyzer == "" && f.Kind() == Text {
		return textAnalyzer(f)(text)
	}
	return p.analyze(text)
}

func (p *sqParser) terms(f Field, text string, op byte) (Query, error) {
	if f.Numeric() {
		return p.rs.fieldTerm(f, text)
	}
	tokens := p.analyzeFor(f, text)
	switch len(tokens) {
	case 0:
		return nil, nil
	case 1:
		return &Term{Field: f, Values: []any{tokens[0]}}, nil
	}
	var cs []Query
	for _, t := range tokens {
		cs = append(cs, &Term{Field: f, Values: []any{t}})
	}
	if op == 'M' {
		return &Bool{Must: cs}, nil
	}
	return &Bool{Should: cs, MinShould: 1}, nil
}

func (p *sqParser) defaultQuery(text string) sqNode {
	return p.perField(func(f Field) (Query, error) { return p.terms(f, text, p.defOp) })
}

func (p *sqParser) phrase(text string) sqNode {
	return p.perField(func(f Field) (Query, error) {
		if f.Numeric() {
			return p.rs.fieldTerm(f, text)
		}
		tokens := p.analyzeFor(f, text)
		switch len(tokens) {
		case 0:
			return nil, nil
		case 1:
			return &Term{Field: f, Values: []any{tokens[0]}}, nil
		}
		if f.Kind() == Text {
			// A text field has positions; the evaluator has no phrase
			// node, so a phrase asks for all of its terms.
			cs := make([]Query, len(tokens))
			for i, t := range tokens {
				cs[i] = &Term{Field: f, Values: []any{t}}
			}
			return &Bool{Must: cs}, nil
		}
		return nil, ShardFailure(typed("illegal_state_exception", "field:[%s] was indexed without position data; cannot run PhraseQuery (phrase=%s:\"%s\")",
			f.IndexName(), f.IndexName(), strings.Join(tokens, " ")))
	})
}

// normalize is the analyzer's normalization of a prefix or fuzzy term:
// lower case for the lower-casing analyzers.
func (p *sqParser) normalize(f Field, text string) string {
	if p.analyzer == "" && f.Kind() == Text {
		return strings.ToLower(text)
	}
	switch p.analyzer {
	case "standard", "simple", "stop":
		return strings.ToLower(text)
	}
	return text
}

func (p *sqParser) prefixQuery(text string) sqNode {
	return p.perField(func(f Field) (Query, error) {
		if err := stringOnly(f, "prefix"); err != nil {
			return nil, err
		}
		return &Prefix{Field: f, Value: p.normalize(f, text)}, nil
	})
}

func (p *sqParser) fuzzyQuery(text string, edits int) sqNode {
	return p.perField(func(f Field) (Query, error) {
		q, err := fuzzyQuery(f, p.normalize(f, text), edits, p.fuzzyPfx, p.fuzzyTr)
		if err != nil {
			return nil, queryShardError(err)
		}
		return q, nil
	})
}
