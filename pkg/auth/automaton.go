package auth

import (
	"slices"
	"strconv"
	"strings"
)

// This file holds the wildcard patterns of application privileges, as
// Elasticsearch's Automatons reads them: '*' matches any run of
// characters, '?' any one character, '\' makes the next one literal. Their
// one question beyond matching a name is whether every string some
// patterns match is matched by others (a requested resource pattern
// within a role's, a privilege's actions within a role's).

// maxSubsetStates bounds the work of one subset check, as Elasticsearch
// bounds the states of the automata it determinizes; a check past it
// answers false (the privilege is not granted).
const maxSubsetStates = 10000

// globToken is one element of a pattern: a literal rune, '?' or '*'.
type globToken struct {
	kind byte // 'l' literal, '?' any one, '*' any run
	r    rune
}

func compileGlob(pattern string) []globToken {
	var toks []globToken
	rs := []rune(pattern)
	for i := 0; i < len(rs); i++ {
		switch c := rs[i]; {
		case c == '*':
			toks = append(toks, globToken{kind: '*'})
		case c == '?':
			toks = append(toks, globToken{kind: '?'})
		case c == '\\' && i+1 < len(rs):
			i++
			toks = append(toks, globToken{kind: 'l', r: rs[i]})
		default:
			toks = append(toks, globToken{kind: 'l', r: c})
		}
	}
	return toks
}

// nfaState is a position in one of several patterns.
type nfaState struct{ pat, pos int }

// globSet runs several patterns at once, as the union of their languages.
type globSet [][]globToken

// closure adds the positions reachable by letting stars match nothing.
func (g globSet) closure(states []nfaState) []nfaState {
	out := make([]nfaState, 0, len(states))
	for _, st := range states {
		for {
			if !slices.Contains(out, st) {
				out = append(out, st)
			}
			if st.pos < len(g[st.pat]) && g[st.pat][st.pos].kind == '*' {
				st.pos++
				continue
			}
			break
		}
	}
	slices.SortFunc(out, func(a, b nfaState) int {
		if a.pat != b.pat {
			return a.pat - b.pat
		}
		return a.pos - b.pos
	})
	return out
}

func (g globSet) start() []nfaState {
	states := make([]nfaState, len(g))
	for i := range g {
		states[i] = nfaState{pat: i}
	}
	return g.closure(states)
}

// step moves every state on r; other marks a rune no literal names.
func (g globSet) step(states []nfaState, r rune, other bool) []nfaState {
	var next []nfaState
	for _, st := range states {
		if st.pos >= len(g[st.pat]) {
			continue
		}
		switch t := g[st.pat][st.pos]; t.kind {
		case '*':
			next = append(next, st)
		case '?':
			next = append(next, nfaState{st.pat, st.pos + 1})
		default:
			if !other && t.r == r {
				next = append(next, nfaState{st.pat, st.pos + 1})
			}
		}
	}
	return g.closure(next)
}

func (g globSet) accepts(states []nfaState) bool {
	return slices.ContainsFunc(states, func(st nfaState) bool { return st.pos == len(g[st.pat]) })
}

func stateKey(a, b []nfaState) string {
	var sb strings.Builder
	for _, st := range a {
		sb.WriteString(strconv.Itoa(st.pat) + "." + strconv.Itoa(st.pos) + ",")
	}
	sb.WriteByte('|')
	for _, st := range b {
		sb.WriteString(strconv.Itoa(st.pat) + "." + strconv.Itoa(st.pos) + ",")
	}
	return sb.String()
}

// patternsSubset reports whether every string a pattern of sub matches is
// matched by a pattern of super: the product of the two pattern sets is
// explored over the runes their literals name and one rune they do not.
func patternsSubset(sub, super []string) bool {
	if len(sub) == 0 {
		return true
	}
	a, b := make(globSet, len(sub)), make(globSet, len(super))
	var alphabet []rune
	for i, p := range sub {
		a[i] = compileGlob(p)
	}
	for i, p := range super {
		b[i] = compileGlob(p)
	}
	for _, g := range []globSet{a, b} {
		for _, toks := range g {
			for _, t := range toks {
				if t.kind == 'l' && !slices.Contains(alphabet, t.r) {
					alphabet = append(alphabet, t.r)
				}
			}
		}
	}
	type pair struct{ a, b []nfaState }
	queue := []pair{{a.start(), b.start()}}
	seen := map[string]bool{stateKey(queue[0].a, queue[0].b): true}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if a.accepts(p.a) && !b.accepts(p.b) {
			return false
		}
		visit := func(r rune, other bool) bool {
			na := a.step(p.a, r, other)
			if len(na) == 0 {
				return true
			}
			nb := b.step(p.b, r, other)
			k := stateKey(na, nb)
			if !seen[k] {
				if len(seen) >= maxSubsetStates {
					return false
				}
				seen[k] = true
				queue = append(queue, pair{na, nb})
			}
			return true
		}
		for _, r := range alphabet {
			if !visit(r, false) {
				return false
			}
		}
		if !visit(0, true) {
			return false
		}
	}
	return true
}

// wildcardMatch reports whether the pattern matches s.
func wildcardMatch(pattern, s string) bool {
	g := globSet{compileGlob(pattern)}
	states := g.start()
	for _, r := range s {
		states = g.step(states, r, false)
		if len(states) == 0 {
			return false
		}
	}
	return g.accepts(states)
}

// isTotalPattern reports whether a pattern matches every string.
func isTotalPattern(p string) bool {
	return p != "" && strings.Trim(p, "*") == ""
}
