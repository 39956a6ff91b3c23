package sqlite

import (
	"database/sql/driver"
	"fmt"
	"strconv"
	"strings"

	"modernc.org/sqlite"

	"github.com/apikeyctl/apikeyctl/pkg/query"
)

// This file compiles query trees to SQL. The strategy:
//
//   - One boolean SQL expression per node, never NULL, so that NOT and
//     the should-count of a bool mean what they say for keys without a
//     value (a must_not range on expiration keeps the keys that have none).
//   - term, terms, prefix, range and ids on a column compare the bare
//     column with bound values (=, IN json_each(?), >=, <), which SQLite
//     serves from the column's index; prefixes are ranges on the BINARY
//     collation; a wildcard with a literal prefix gets that range too.
//   - metadata is api_key_leaves, the flattened leaves the store writes
//     with each key (leaves.go): seq IN (SELECT key_seq ... WHERE path_id =
//     ? AND value ...) is served by its primary key (path id, value) and
//     its (value) index.
//   - case_insensitive and fuzzy use the functions apikeyd_fold and
//     apikeyd_fuzzy, the same Go code as the in-memory evaluator.
//   - Sorting is on expressions whose values are the _sort values:
//     dates and booleans with Lucene's missing-value substitution
//     (coalesce), metadata through the min or max of its leaves, _doc
//     on rowid, and rowid last to break ties as index order does.
//   - search_after is the lexicographic "strictly after" over the sort
//     expressions; the total is a count(*) of the same WHERE without it.

func init() {
	sqlite.MustRegisterDeterministicScalarFunction("apikeyd_fold", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		s, ok := args[0].(string)
		if !ok {
			return args[0], nil
		}
		return query.Fold(s), nil
	})
	sqlite.MustRegisterDeterministicScalarFunction("apikeyd_fuzzy", 5, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		s, ok := args[0].(string)
		term, _ := args[1].(string)
		edits, _ := args[2].(int64)
		prefix, _ := args[3].(int64)
		tr, _ := args[4].(int64)
		if !ok {
			return int64(0), nil
		}
		if query.FuzzyMatch(term, s, int(edits), int(prefix), tr != 0) {
			return int64(1), nil
		}
		return int64(0), nil
	})
}

// columns of the query fields; metadata is not a column.
var fieldColumns = map[string]string{
	query.FieldUsername:     "principal",
	query.FieldRealm:        "realm",
	query.FieldName:         "name",
	query.FieldType:         "type",
	query.FieldCreation:     "creation",
	query.FieldExpiration:   "expiration",
	query.FieldInvalidated:  "invalidated",
	query.FieldInvalidation: "invalidation",
	// last_used is the key's row of api_key_usage, found by its primary
	// key; NULL for a key never used.
	query.FieldLastUsed: lastUsedColumn,
}

// lastUsedColumn is the expression of a key's last use.
const lastUsedColumn = "(SELECT u.last_used FROM api_key_usage AS u WHERE u.id = api_keys.id)"

// nullable columns are those a key may lack.
func nullable(f query.Field) bool {
	return f.Name == query.FieldExpiration || f.Name == query.FieldInvalidation || f.Name == query.FieldLastUsed
}

// qualified is the field's column named with its table, for sorts.
func qualified(f query.Field) string {
	if f.Name == query.FieldLastUsed {
		return lastUsedColumn
	}
	return "api_keys." + fieldColumns[f.Name]
}

// compiler accumulates a SQL expression's bound arguments.
type compiler struct {
	args []any
	// weak is set while compiling the clauses of a conjunction that has a
	// selective indexed clause: comparisons on the few-valued columns
	// (type, invalidated, realm) are then written +col, so that SQLite,
	// which has no statistics, does not pick their index over the
	// selective one (invalidated = 0 holds for most keys).
	weak bool
}

// fewValued are the columns whose index only serves a query on them alone.
var fewValued = map[string]bool{query.FieldType: true, query.FieldInvalidated: true, query.FieldRealm: true}

// selective reports whether q, a clause of a conjunction, narrows the keys
// through an index of a many-valued column (or a conjunction holding one).
func selective(q query.Query) bool {
	var f query.Field
	switch q := q.(type) {
	case *query.IDs:
		return true
	case *query.Term:
		f = q.Field
	case *query.Range:
		f = q.Field
	case *query.Prefix:
		f = q.Field
	case *query.Bool:
		for _, c := range append(append([]query.Query{}, q.Must...), q.Filter...) {
			if selective(c) {
				return true
			}
		}
		return false
	default:
		return false
	}
	// last_used is not a column of api_keys: no index of theirs serves it.
	return !fewValued[f.Name] && f.Name != query.FieldLastUsed
}

func (c *compiler) arg(v any) string {
	c.args = append(c.args, v)
	return "?"
}

// list binds values as one JSON array, expanded with json_each.
func (c *compiler) list(values []any) string {
	return "(SELECT value FROM json_each(" + c.arg(jsonText(values)) + "))"
}

// jsonText encodes a list of values as a JSON array.
func jsonText(values []any) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, v := range values {
		if i > 0 {
			b.WriteByte(',')
		}
		switch v := v.(type) {
		case int64:
			b.WriteString(strconv.FormatInt(v, 10))
		case string:
			s, _ := jsonStrings([]string{v})
			b.WriteString(s[1 : len(s)-1])
		}
	}
	b.WriteByte(']')
	return b.String()
}

// expr compiles q to a boolean SQL expression over api_keys.
func (c *compiler) expr(q query.Query) string {
	switch q := q.(type) {
	case nil, query.MatchAll:
		return "1"
	case query.MatchNone:
		return "0"
	case *query.Bool:
		return c.boolExpr(q)
	case *query.IDs:
		return c.idsExpr(q)
	case *query.Term:
		return c.leaf(q.Field, func(col string) string { return c.termCond(q, col) })
	case *query.Range:
		return c.leaf(q.Field, func(col string) string { return c.rangeCond(q, col) })
	case *query.Prefix:
		return c.leaf(q.Field, func(col string) string {
			col, p := foldIf(q.CaseInsensitive, col, q.Value)
			return c.prefixRange(col, p)
		})
	case *query.Wildcard:
		return c.leaf(q.Field, func(col string) string { return c.wildcardCond(q, col) })
	case *query.Exists:
		return c.existsExpr(q)
	case *query.Fuzzy:
		return c.leaf(q.Field, func(col string) string { return c.fuzzyCond(q, col) })
	}
	panic(fmt.Sprintf("sqlite: unknown query node %T", q))
}

// foldIf folds the column and the value for a case-insensitive match.
func foldIf(caseInsensitive bool, col, value string) (string, string) {
	if !caseInsensitive {
		return col, value
	}
	return "apikeyd_fold(" + col + ")", query.Fold(value)
}

// idsExpr matches the keys with one of the ids.
func (c *compiler) idsExpr(q *query.IDs) string {
	vals := make([]any, len(q.Values))
	for i, v := range q.Values {
		vals[i] = v
	}
	switch len(vals) {
	case 0:
		return "0"
	case 1:
		return "api_keys.id = " + c.arg(vals[0])
	}
	return "api_keys.id IN " + c.list(vals)
}

// termCond is a term or terms query's condition on col.
func (c *compiler) termCond(q *query.Term, col string) string {
	vals := q.Values
	if q.CaseInsensitive {
		col = "apikeyd_fold(" + col + ")"
		folded := make([]any, len(vals))
		for i, v := range vals {
			folded[i] = query.Fold(v.(string))
		}
		vals = folded
	}
	if len(vals) == 1 {
		return col + " = " + c.arg(vals[0])
	}
	return col + " IN " + c.list(vals)
}

// rangeCond is a range query's condition on col.
func (c *compiler) rangeCond(q *query.Range, col string) string {
	var parts []string
	if q.From != nil {
		op := " > "
		if q.IncludeFrom {
			op = " >= "
		}
		parts = append(parts, col+op+c.arg(q.From))
	}
	if q.To != nil {
		op := " < "
		if q.IncludeTo {
			op = " <= "
		}
		parts = append(parts, col+op+c.arg(q.To))
	}
	if len(parts) == 0 {
		return col + " IS NOT NULL"
	}
	return strings.Join(parts, " AND ")
}

// wildcardCond is a wildcard query's condition on col: a GLOB, behind the
// range of its literal prefix when it has one.
func (c *compiler) wildcardCond(q *query.Wildcard, col string) string {
	col, p := foldIf(q.CaseInsensitive, col, q.Pattern)
	glob, literal := globPattern(p)
	if literal != "" {
		return c.prefixRange(col, literal) + " AND " + col + " GLOB " + c.arg(glob)
	}
	return col + " GLOB " + c.arg(glob)
}

// existsExpr matches the keys that have a value for the field.
func (c *compiler) existsExpr(q *query.Exists) string {
	switch {
	case q.Field.Name == query.FieldMetadata:
		return c.leaf(q.Field, func(string) string { return "1" })
	case nullable(q.Field):
		return fieldColumns[q.Field.Name] + " IS NOT NULL"
	}
	return "1"
}

// fuzzyCond is a fuzzy query's condition on col.
func (c *compiler) fuzzyCond(q *query.Fuzzy, col string) string {
	tr := int64(0)
	if q.Transpositions {
		tr = 1
	}
	return "apikeyd_fuzzy(" + col + ", " + c.arg(q.Value) + ", " + c.arg(int64(q.MaxEdits)) + ", " +
		c.arg(int64(q.PrefixLength)) + ", " + c.arg(tr) + ") = 1"
}

// leaf applies cond to the field's column, or for metadata to the value
// of its leaves. A nullable column is tested for a value first, so the
// expression is false, not NULL, for keys without one.
func (c *compiler) leaf(f query.Field, cond func(col string) string) string {
	if f.Name == query.FieldMetadata {
		var b strings.Builder
		b.WriteString("api_keys.seq IN (SELECT key_seq FROM api_key_leaves WHERE ")
		if f.Keyed {
			b.WriteString("path_id = " + c.pathID(f.Key) + " AND ")
		}
		b.WriteString(cond("value") + ")")
		return b.String()
	}
	col := fieldColumns[f.Name]
	if c.weak && fewValued[f.Name] {
		col = "+" + col
	}
	if nullable(f) {
		return "(" + col + " IS NOT NULL AND " + cond(col) + ")"
	}
	return "(" + cond(col) + ")"
}

// pathID is the SQL of the interned id of a metadata path, NULL (which
// equals nothing) for a path no key has.
func (c *compiler) pathID(path string) string {
	return "(SELECT id FROM api_key_paths WHERE path = " + c.arg(path) + ")"
}

// prefixRange is a prefix test as a range on the BINARY collation, which
// an index serves.
func (c *compiler) prefixRange(col, prefix string) string {
	if prefix == "" {
		return col + " IS NOT NULL"
	}
	s := col + " >= " + c.arg(prefix)
	if end, ok := prefixEnd(prefix); ok {
		s += " AND " + col + " < " + c.arg(end)
	}
	return s
}

// globPattern turns a wildcard pattern (* ? and \ escapes) into a GLOB
// pattern, and returns its literal prefix.
func globPattern(p string) (glob, literal string) {
	var g, lit strings.Builder
	inPrefix := true
	r := []rune(p)
	for i := 0; i < len(r); i++ {
		ch := r[i]
		switch {
		case ch == '\\' && i+1 < len(r):
			i++
			ch = r[i]
			switch ch {
			case '*', '?', '[':
				g.WriteString("[" + string(ch) + "]")
			default:
				g.WriteRune(ch)
			}
		case ch == '*' || ch == '?':
			g.WriteRune(ch)
			inPrefix = false
			continue
		case ch == '[':
			g.WriteString("[[]")
		default:
			g.WriteRune(ch)
		}
		if inPrefix {
			lit.WriteRune(ch)
		}
	}
	return g.String(), lit.String()
}

func (c *compiler) boolExpr(q *query.Bool) string {
	if q.MinShould > len(q.Should) {
		return "0"
	}
	var parts []string
	outer := c.weak
	for _, m := range append(append([]query.Query{}, q.Must...), q.Filter...) {
		if selective(m) {
			c.weak = true
		}
	}
	for _, m := range q.Must {
		parts = append(parts, c.expr(m))
	}
	for _, m := range q.Filter {
		parts = append(parts, c.expr(m))
	}
	// Only a conjunction's own clauses are weakened: not those under NOT
	// or in a disjunction.
	c.weak = false
	defer func() { c.weak = outer }()
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
			sum = append(sum, "("+c.expr(s)+")")
		}
		parts = append(parts, balanced(sum, " + ")+" >= "+strconv.Itoa(n))
	}
	if len(parts) == 0 {
		return "1"
	}
	return balanced(parts, " AND ")
}

// balanced joins the operands of an associative operator in parenthesised
// halves: SQLite parses a flat chain into a tree as deep as it is long, and
// refuses trees deeper than 1,000; halves keep the depth logarithmic.
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
		return "api_keys.rowid", false
	}
	if s.Field.Name == query.FieldMetadata {
		agg := "min"
		if s.Max {
			agg = "max"
		}
		e := "(SELECT " + agg + "(value) FROM api_key_leaves m WHERE m.key_seq = api_keys.seq"
		if s.Field.Keyed {
			e += " AND m.path_id = " + c.pathID(s.Field.Key)
		}
		e += ")"
		if s.Missing != nil {
			return "coalesce(" + e + ", " + c.arg(s.Missing) + ")", false
		}
		return e, true
	}
	col := qualified(s.Field)
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
// expression is generated where it appears, so that the arguments bind in
// order.
func (c *compiler) after(sorts []query.Sort, values []any) string {
	gt := func(i int) string {
		s, v := sorts[i], values[i]
		if sortNullable(s) && v == nil && !s.MissingFirst {
			return "0"
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
