package postgres

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/apikeyctl/apikeyctl/pkg/query"
)

// This file compiles query trees to PostgreSQL SQL, with the semantics of
// the in-memory evaluator (query.Match) and of the SQLite compiler:
//
//   - One boolean SQL expression per node, never NULL, so that NOT and
//     the should-count of a bool mean what they say for keys without a
//     value (a must_not range on expiration keeps the keys that have none).
//   - term, terms, prefix, range and ids on a column compare the bare
//     column with bound values (=, = ANY, >=, <), which its index serves;
//     text compares byte by byte (every text column is COLLATE "C"), and
//     a prefix is a range in that order; a wildcard is a LIKE behind the
//     range of its literal prefix.
//   - metadata is api_key_leaves, the flattened leaves the store writes
//     with each key (leaves.go): seq IN (SELECT key_seq ... WHERE path =
//     $n AND value ...) is served by its indexes on (path, value prefix)
//     and (value prefix): every comparison of a value also compares its
//     first indexedChars characters, which the indexes hold.
//   - case_insensitive and fuzzy compare with Go's own functions
//     (query.Fold, query.FuzzyMatch), which SQL has no equal of: the
//     compiler reads the field's distinct values (an index-only scan),
//     keeps those that match in Go, and compiles the node to an = ANY of
//     them.
//   - Sorting is on expressions whose values are the _sort values:
//     dates and booleans with Lucene's missing-value substitution
//     (coalesce), metadata through the min or max of its leaves, _doc on
//     seq, and seq last to break ties as index order does.
//   - search_after is the lexicographic "strictly after" over the sort
//     expressions; the total is a count(*) of the same WHERE without it.

// fieldColumns are the columns of the query fields; metadata is not one.
var fieldColumns = map[string]string{
	query.FieldUsername:     "api_keys.principal",
	query.FieldRealm:        "api_keys.realm",
	query.FieldName:         "api_keys.name",
	query.FieldType:         "api_keys.type",
	query.FieldCreation:     "api_keys.creation",
	query.FieldExpiration:   "api_keys.expiration",
	query.FieldInvalidated:  "api_keys.invalidated",
	query.FieldInvalidation: "api_keys.invalidation",
	// last_used is the key's row of api_key_usage, found by its primary
	// key; NULL for a key never used.
	query.FieldLastUsed: lastUsedColumn,
}

// lastUsedColumn is the expression of a key's last use.
const lastUsedColumn = "(SELECT u.last_used FROM api_key_usage AS u WHERE u.id = api_keys.id)"

// leafValue is the column of a metadata leaf's value, whose indexes hold
// its first indexedChars characters (migration 0001).
const (
	leafValue    = "value"
	indexedChars = "200"
)

// compare is the condition col op p, p a bound parameter. On a leaf's
// value, the comparison of the indexed prefixes that the exact one
// implies comes first, for the indexes to serve.
func compare(col, op, p string) string {
	exact := col + " " + op + " " + p
	if col != leafValue {
		return exact
	}
	prefixOp := op
	switch op {
	case ">":
		prefixOp = ">="
	case "<":
		prefixOp = "<="
	}
	return "left(value, " + indexedChars + ") " + prefixOp + " left(" + p + ", " + indexedChars + ") AND " + exact
}

// indexed is the first indexedChars characters of s.
func indexed(s string) string {
	n, _ := strconv.Atoi(indexedChars)
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// nullable fields are those a key may lack.
func nullable(f query.Field) bool {
	return f.Name == query.FieldExpiration || f.Name == query.FieldInvalidation || f.Name == query.FieldLastUsed
}

// valueSets reads the distinct values of fields, once per field and
// search, for the nodes compiled to the values that match them.
type valueSets struct {
	ctx  context.Context
	tx   pgx.Tx
	sets map[string][]string
}

// values returns the distinct values of the string field f.
func (v *valueSets) values(f query.Field) ([]string, error) {
	if vs, ok := v.sets[f.String()]; ok {
		return vs, nil
	}
	var (
		q    string
		args []any
	)
	switch {
	case f.Name == query.FieldMetadata && f.Keyed:
		q, args = "SELECT DISTINCT value FROM api_key_leaves WHERE path = $1", []any{f.Key}
	case f.Name == query.FieldMetadata:
		q = "SELECT DISTINCT value FROM api_key_leaves"
	default:
		col := fieldColumns[f.Name]
		q = "SELECT DISTINCT " + col + " FROM api_keys"
	}
	vs, err := queryAll(v.ctx, v.tx, "query api keys: values of "+f.String(), scanID, q, args...)
	if err != nil {
		return nil, err
	}
	if v.sets == nil {
		v.sets = map[string][]string{}
	}
	v.sets[f.String()] = vs
	return vs, nil
}

// compiler accumulates a SQL expression's bound arguments, numbered from
// $1 in the order they appear.
type compiler struct {
	args []any
	vals *valueSets
	// err is the first error reading a field's values.
	err error
}

func (c *compiler) arg(v any) string {
	c.args = append(c.args, v)
	return "$" + strconv.Itoa(len(c.args))
}

// list binds values, all strings or all int64s, as one array.
func (c *compiler) list(values []any) string {
	if len(values) > 0 {
		if _, ok := values[0].(int64); ok {
			ns := make([]int64, len(values))
			for i, v := range values {
				ns[i] = v.(int64)
			}
			return "ANY(" + c.arg(ns) + "::int8[])"
		}
	}
	ss := make([]string, len(values))
	for i, v := range values {
		ss[i], _ = v.(string)
	}
	return "ANY(" + c.arg(ss) + "::text[])"
}

// expr compiles q to a boolean SQL expression over api_keys.
func (c *compiler) expr(q query.Query) string {
	switch q := q.(type) {
	case nil, query.MatchAll:
		return "true"
	case query.MatchNone:
		return "false"
	case *query.Bool:
		return c.boolExpr(q)
	case *query.IDs:
		return c.idsExpr(q)
	case *query.Term:
		if q.CaseInsensitive {
			return c.matching(q.Field, func(s string) bool {
				return slices.ContainsFunc(q.Values, func(w any) bool { return query.Fold(s) == query.Fold(w.(string)) })
			})
		}
		return c.leaf(q.Field, func(col string) string { return c.termCond(q.Values, col) })
	case *query.Range:
		return c.leaf(q.Field, func(col string) string { return c.rangeCond(q, col) })
	case *query.Prefix:
		if q.CaseInsensitive {
			return c.matching(q.Field, func(s string) bool { return strings.HasPrefix(query.Fold(s), query.Fold(q.Value)) })
		}
		return c.leaf(q.Field, func(col string) string { return c.prefixRange(col, q.Value) })
	case *query.Wildcard:
		if q.CaseInsensitive {
			return c.matching(q.Field, func(s string) bool { return query.WildcardMatch(query.Fold(q.Pattern), query.Fold(s)) })
		}
		return c.leaf(q.Field, func(col string) string { return c.wildcardCond(q.Pattern, col) })
	case *query.Exists:
		return c.existsExpr(q)
	case *query.Fuzzy:
		return c.matching(q.Field, func(s string) bool {
			return query.FuzzyMatch(q.Value, s, q.MaxEdits, q.PrefixLength, q.Transpositions)
		})
	}
	panic(fmt.Sprintf("postgres: unknown query node %T", q))
}

// matching compiles a node that Go decides to the field's values that
// match: none of a field that is not a string.
func (c *compiler) matching(f query.Field, match func(string) bool) string {
	if f.Numeric() {
		return "false"
	}
	all, err := c.vals.values(f)
	if err != nil {
		if c.err == nil {
			c.err = err
		}
		return "false"
	}
	var keep []any
	for _, v := range all {
		if match(v) {
			keep = append(keep, v)
		}
	}
	if len(keep) == 0 {
		return "false"
	}
	return c.leaf(f, func(col string) string { return c.termCond(keep, col) })
}

// idsExpr matches the keys with one of the ids.
func (c *compiler) idsExpr(q *query.IDs) string {
	switch len(q.Values) {
	case 0:
		return "false"
	case 1:
		return "api_keys.id = " + c.arg(q.Values[0])
	}
	return "api_keys.id = ANY(" + c.arg(q.Values) + "::text[])"
}

// termCond is the condition that col equals one of vals.
func (c *compiler) termCond(vals []any, col string) string {
	if len(vals) == 1 {
		return compare(col, "=", c.arg(vals[0]))
	}
	if col != leafValue {
		return col + " = " + c.list(vals)
	}
	prefixes := make([]any, len(vals))
	for i, v := range vals {
		prefixes[i] = indexed(v.(string))
	}
	return "left(value, " + indexedChars + ") = " + c.list(prefixes) + " AND value = " + c.list(vals)
}

// rangeCond is a range query's condition on col.
func (c *compiler) rangeCond(q *query.Range, col string) string {
	var parts []string
	if q.From != nil {
		op := ">"
		if q.IncludeFrom {
			op = ">="
		}
		parts = append(parts, compare(col, op, c.arg(q.From)))
	}
	if q.To != nil {
		op := "<"
		if q.IncludeTo {
			op = "<="
		}
		parts = append(parts, compare(col, op, c.arg(q.To)))
	}
	if len(parts) == 0 {
		return col + " IS NOT NULL"
	}
	return strings.Join(parts, " AND ")
}

// wildcardCond is a wildcard's condition on col: a LIKE, behind the range
// of its literal prefix when it has one.
func (c *compiler) wildcardCond(pattern, col string) string {
	like, literal := likePattern(pattern)
	cond := col + " LIKE " + c.arg(like)
	if literal != "" {
		return c.prefixRange(col, literal) + " AND " + cond
	}
	return cond
}

// likePattern turns a wildcard pattern (* ? and \ escapes) into a LIKE
// pattern (escape character \), and returns its literal prefix.
func likePattern(p string) (like, literal string) {
	var l, lit strings.Builder
	inPrefix := true
	r := []rune(p)
	for i := 0; i < len(r); i++ {
		ch := r[i]
		switch {
		case ch == '\\' && i+1 < len(r):
			i++
			ch = r[i]
		case ch == '*':
			l.WriteByte('%')
			inPrefix = false
			continue
		case ch == '?':
			l.WriteByte('_')
			inPrefix = false
			continue
		}
		if ch == '%' || ch == '_' || ch == '\\' {
			l.WriteByte('\\')
		}
		l.WriteRune(ch)
		if inPrefix {
			lit.WriteRune(ch)
		}
	}
	return l.String(), lit.String()
}

// existsExpr matches the keys that have a value for the field.
func (c *compiler) existsExpr(q *query.Exists) string {
	switch {
	case q.Field.Name == query.FieldMetadata:
		return c.leaf(q.Field, func(string) string { return "true" })
	case nullable(q.Field):
		return fieldColumns[q.Field.Name] + " IS NOT NULL"
	}
	return "true"
}

// leaf applies cond to the field's column, or for metadata to the value
// of its leaves. A nullable column is tested for a value first, so the
// expression is false, not NULL, for keys without one.
func (c *compiler) leaf(f query.Field, cond func(col string) string) string {
	if f.Name == query.FieldMetadata {
		var b strings.Builder
		b.WriteString("api_keys.seq IN (SELECT key_seq FROM api_key_leaves WHERE ")
		if f.Keyed {
			b.WriteString("path = " + c.arg(f.Key) + " AND ")
		}
		b.WriteString(cond("value") + ")")
		return b.String()
	}
	col := fieldColumns[f.Name]
	if nullable(f) {
		return "(" + col + " IS NOT NULL AND " + cond(col) + ")"
	}
	return "(" + cond(col) + ")"
}

// prefixRange is a prefix test as a range in byte order, which an index
// serves.
func (c *compiler) prefixRange(col, prefix string) string {
	if prefix == "" {
		return col + " IS NOT NULL"
	}
	s := compare(col, ">=", c.arg(prefix))
	if end, ok := prefixEnd(prefix); ok {
		s += " AND " + compare(col, "<", c.arg(end))
	}
	return s
}

func (c *compiler) boolExpr(q *query.Bool) string {
	if q.MinShould > len(q.Should) {
		return "false"
	}
	var parts []string
	for _, m := range q.Must {
		parts = append(parts, c.expr(m))
	}
	for _, m := range q.Filter {
		parts = append(parts, c.expr(m))
	}
	for _, m := range q.MustNot {
		parts = append(parts, "NOT ("+c.expr(m)+")")
	}
	switch n := q.MinShould; {
	case n == 1:
		var ors []string
		for _, s := range q.Should {
			ors = append(ors, c.expr(s))
		}
		parts = append(parts, balanced(ors, " OR "))
	case n == len(q.Should) && n > 0:
		for _, s := range q.Should {
			parts = append(parts, c.expr(s))
		}
	case n > 1:
		var sum []string
		for _, s := range q.Should {
			sum = append(sum, "("+c.expr(s)+")::int")
		}
		parts = append(parts, balanced(sum, " + ")+" >= "+strconv.Itoa(n))
	}
	if len(parts) == 0 {
		return "true"
	}
	return balanced(parts, " AND ")
}

// balanced joins the operands of an associative operator in parenthesised
// halves, so that the depth of the parse tree stays logarithmic.
func balanced(operands []string, op string) string {
	const flat = 16
	if len(operands) <= flat {
		return "(" + strings.Join(operands, op) + ")"
	}
	half := len(operands) / 2
	return "(" + balanced(operands[:half], op) + op + balanced(operands[half:], op) + ")"
}

// sortExpr is the SQL of a sort clause's values, and whether it can be
// NULL (a keyword that a key lacks).
func (c *compiler) sortExpr(s query.Sort) (string, bool) {
	if s.Doc {
		return "api_keys.seq", false
	}
	if s.Field.Name == query.FieldMetadata {
		agg := "min"
		if s.Max {
			agg = "max"
		}
		e := "(SELECT " + agg + "(m.value) FROM api_key_leaves AS m WHERE m.key_seq = api_keys.seq"
		if s.Field.Keyed {
			e += " AND m.path = " + c.arg(s.Field.Key)
		}
		e += ")"
		if s.Missing != nil {
			return "coalesce(" + e + ", " + c.arg(s.Missing) + ")", false
		}
		return e, true
	}
	col := fieldColumns[s.Field.Name]
	if nullable(s.Field) {
		return "coalesce(" + col + ", " + c.arg(s.NumericMissing()) + ")", false
	}
	return col, false
}

// sortNullable reports whether a sort clause's values can be NULL: a
// metadata field without a missing value.
func sortNullable(s query.Sort) bool {
	return !s.Doc && s.Field.Name == query.FieldMetadata && s.Missing == nil
}

// after is the condition "strictly after values" in the sort order: the
// first clause after, or equal and the second after, and so on. Each
// expression is generated where it appears, so that the arguments are
// numbered in order.
func (c *compiler) after(sorts []query.Sort, values []any) string {
	gt := func(i int) string {
		s, v := sorts[i], values[i]
		if sortNullable(s) && v == nil && !s.MissingFirst {
			return "false"
		}
		e, null := c.sortExpr(s)
		if null && v == nil {
			return e + " IS NOT NULL"
		}
		op := " > "
		if s.Desc {
			op = " < "
		}
		cond := e + op + c.arg(v)
		if null && !s.MissingFirst {
			e2, _ := c.sortExpr(s)
			cond = "(" + cond + " OR " + e2 + " IS NULL)"
		}
		return cond
	}
	eq := func(i int) string {
		e, null := c.sortExpr(sorts[i])
		if null && values[i] == nil {
			return e + " IS NULL"
		}
		return e + " = " + c.arg(values[i])
	}
	var ors []string
	for i := range sorts {
		var ands []string
		for j := 0; j < i; j++ {
			ands = append(ands, eq(j))
		}
		ands = append(ands, gt(i))
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
	}
	return "(" + strings.Join(ors, " OR ") + ")"
}
