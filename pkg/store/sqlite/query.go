package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strconv"
	"strings"

	"modernc.org/sqlite"

	"github.com/apikeyctl/apikeyctl/pkg/query"
	"github.com/apikeyctl/apikeyctl/pkg/store"
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
//   - metadata is api_key_metadata, the flattened leaves the triggers of
//     migration 0003 keep: id IN (SELECT key_id ... WHERE path = ? AND
//     value ...) is served by its (path, value) and (value) indexes.
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
}

// nullable columns are those a key may lack.
func nullable(f query.Field) bool {
	return f.Name == query.FieldExpiration || f.Name == query.FieldInvalidation
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
	return !fewValued[f.Name]
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
		vals := make([]any, len(q.Values))
		for i, v := range q.Values {
			vals[i] = v
		}
		if len(vals) == 0 {
			return "0"
		}
		if len(vals) == 1 {
			return "api_keys.id = " + c.arg(vals[0])
		}
		return "api_keys.id IN " + c.list(vals)
	case *query.Term:
		return c.leaf(q.Field, func(col string) string {
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
		})
	case *query.Range:
		return c.leaf(q.Field, func(col string) string {
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
		})
	case *query.Prefix:
		return c.leaf(q.Field, func(col string) string {
			p := q.Value
			if q.CaseInsensitive {
				col = "apikeyd_fold(" + col + ")"
				p = query.Fold(p)
			}
			return c.prefixRange(col, p)
		})
	case *query.Wildcard:
		return c.leaf(q.Field, func(col string) string {
			p := q.Pattern
			if q.CaseInsensitive {
				col = "apikeyd_fold(" + col + ")"
				p = query.Fold(p)
			}
			glob, literal := globPattern(p)
			if literal != "" {
				return c.prefixRange(col, literal) + " AND " + col + " GLOB " + c.arg(glob)
			}
			return col + " GLOB " + c.arg(glob)
		})
	case *query.Exists:
		switch {
		case q.Field.Name == query.FieldMetadata:
			return c.leaf(q.Field, func(col string) string { return "1" })
		case nullable(q.Field):
			return fieldColumns[q.Field.Name] + " IS NOT NULL"
		}
		return "1"
	case *query.Fuzzy:
		return c.leaf(q.Field, func(col string) string {
			tr := int64(0)
			if q.Transpositions {
				tr = 1
			}
			return "apikeyd_fuzzy(" + col + ", " + c.arg(q.Value) + ", " + c.arg(int64(q.MaxEdits)) + ", " +
				c.arg(int64(q.PrefixLength)) + ", " + c.arg(tr) + ") = 1"
		})
	}
	panic(fmt.Sprintf("sqlite: unknown query node %T", q))
}

// leaf applies cond to the field's column, or for metadata to the value
// of its leaves. A nullable column is tested for a value first, so the
// expression is false, not NULL, for keys without one.
func (c *compiler) leaf(f query.Field, cond func(col string) string) string {
	if f.Name == query.FieldMetadata {
		var b strings.Builder
		b.WriteString("api_keys.id IN (SELECT key_id FROM api_key_metadata WHERE ")
		if f.Keyed {
			b.WriteString("path = " + c.arg(f.Key) + " AND ")
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
		parts = append(parts, "("+strings.Join(ors, " OR ")+")")
	case n == len(q.Should) && n > 0:
		for _, s := range q.Should {
			parts = append(parts, c.expr(s))
		}
	case n > 1:
		var sum []string
		for _, s := range q.Should {
			sum = append(sum, "("+c.expr(s)+")")
		}
		parts = append(parts, "("+strings.Join(sum, " + ")+") >= "+strconv.Itoa(n))
	}
	if len(parts) == 0 {
		return "1"
	}
	return "(" + strings.Join(parts, " AND ") + ")"
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
		e := "(SELECT " + agg + "(value) FROM api_key_metadata m WHERE m.key_id = api_keys.id"
		if s.Field.Keyed {
			e += " AND m.path = " + c.arg(s.Field.Key)
		}
		e += ")"
		if s.Missing != nil {
			return "coalesce(" + e + ", " + c.arg(s.Missing) + ")", false
		}
		return e, true
	}
	col := "api_keys." + fieldColumns[s.Field.Name]
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

// searchSQL builds the statements of a search: the count, the page, the
// matches.
type searchSQL struct {
	countSQL  string
	countArgs []any
	pageSQL   string
	pageArgs  []any
	matchSQL  string
	matchArgs []any
}

const matchColumns = "api_keys.rowid, id, name, type, principal, realm, creation, expiration, invalidated, invalidation, metadata"

func compileSearch(s *store.KeySearch) searchSQL {
	var out searchSQL
	wc := &compiler{}
	where := wc.expr(s.Query)
	out.countSQL = "SELECT count(*) FROM api_keys WHERE " + where
	out.countArgs = wc.args
	out.matchSQL = "SELECT " + matchColumns + " FROM api_keys WHERE " + where + " ORDER BY api_keys.rowid"
	out.matchArgs = wc.args

	// With a WHERE that can use an index, the sort keys are written +sN:
	// SQLite then does not walk an index (or the rowid) in sort order,
	// filtering as it goes, but finds the matches with the WHERE's index
	// and sorts them; without one, an index in sort order is the fastest.
	plus := "+"
	if _, all := s.Query.(query.MatchAll); s.Query == nil || all {
		plus = ""
	}
	pc := &compiler{}
	var sel, order []string
	for i, so := range s.Sort {
		e, null := pc.sortExpr(so)
		alias := "s" + strconv.Itoa(i)
		sel = append(sel, e+" AS "+alias)
		dir := " ASC"
		if so.Desc {
			dir = " DESC"
		}
		if null {
			if so.MissingFirst {
				dir += " NULLS FIRST"
			} else {
				dir += " NULLS LAST"
			}
		}
		order = append(order, plus+alias+dir)
	}
	cond := pc.expr(s.Query)
	if s.SearchAfter != nil {
		cond += " AND " + pc.after(s.Sort, s.SearchAfter)
	}
	order = append(order, plus+"api_keys.rowid ASC")
	cols := "SELECT " + keyColumns
	if len(sel) > 0 {
		cols += ", " + strings.Join(sel, ", ")
	}
	out.pageSQL = cols + " FROM api_keys WHERE " + cond + " ORDER BY " + strings.Join(order, ", ") + " LIMIT ? OFFSET ?"
	out.pageArgs = append(pc.args, s.Size, s.From)
	return out
}

// QueryAPIKeys runs a query API keys search.
func (r *reader) QueryAPIKeys(ctx context.Context, s *store.KeySearch) (*store.KeyPage, error) {
	q := compileSearch(s)
	page := &store.KeyPage{Keys: []*store.APIKey{}, Sort: [][]any{}}
	if err := r.q.QueryRowContext(ctx, q.countSQL, q.countArgs...).Scan(&page.Total); err != nil {
		return nil, fmt.Errorf("query api keys: count: %w", err)
	}
	if s.Size > 0 && page.Total > s.From {
		if err := r.queryPage(ctx, s, q, page); err != nil {
			return nil, err
		}
	}
	if s.Matches {
		docs, err := r.queryMatches(ctx, q)
		if err != nil {
			return nil, err
		}
		page.Matches = docs
	}
	return page, nil
}

func (r *reader) queryPage(ctx context.Context, s *store.KeySearch, q searchSQL, page *store.KeyPage) error {
	rows, err := r.q.QueryContext(ctx, q.pageSQL, q.pageArgs...)
	if err != nil {
		return fmt.Errorf("query api keys: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		sortVals := make([]any, len(s.Sort))
		k, err := scanKeyWith(rows, sortVals)
		if err != nil {
			return fmt.Errorf("query api keys: %w", err)
		}
		for i, so := range s.Sort {
			sortVals[i] = typedSortValue(so, sortVals[i])
		}
		page.Keys = append(page.Keys, k)
		page.Sort = append(page.Sort, sortVals)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("query api keys: %w", err)
	}
	return nil
}

// typedSortValue converts a scanned sort value to its query type: int64
// for _doc, dates and booleans, string for keywords, nil for none.
func typedSortValue(s query.Sort, v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case int64:
		if s.Doc || s.Field.Numeric() {
			return x
		}
		return strconv.FormatInt(x, 10)
	case []byte:
		return string(x)
	case string:
		return x
	case float64:
		return int64(x)
	}
	return v
}

// scanKeyWith scans a key followed by extra columns.
func scanKeyWith(rows *sql.Rows, extra []any) (*store.APIKey, error) {
	ptrs := make([]any, len(extra))
	for i := range extra {
		ptrs[i] = &extra[i]
	}
	return scanKey(extraScanner{rows, ptrs})
}

type extraScanner struct {
	rows  *sql.Rows
	extra []any
}

func (e extraScanner) Scan(dest ...any) error {
	return e.rows.Scan(append(dest, e.extra...)...)
}

func (r *reader) queryMatches(ctx context.Context, q searchSQL) ([]*query.Doc, error) {
	rows, err := r.q.QueryContext(ctx, q.matchSQL, q.matchArgs...)
	if err != nil {
		return nil, fmt.Errorf("query api keys: matches: %w", err)
	}
	defer rows.Close()
	var docs []*query.Doc
	for rows.Next() {
		var (
			d                        query.Doc
			expiration, invalidation sql.NullInt64
			metadata                 sql.NullString
		)
		if err := rows.Scan(&d.Seq, &d.ID, &d.Name, &d.Type, &d.Username, &d.Realm, &d.Creation,
			&expiration, &d.Invalidated, &invalidation, &metadata); err != nil {
			return nil, fmt.Errorf("query api keys: matches: %w", err)
		}
		d.Expiration = int64Ptr(expiration)
		d.Invalidation = int64Ptr(invalidation)
		if metadata.Valid {
			leaves, err := query.Flatten([]byte(metadata.String))
			if err != nil {
				return nil, fmt.Errorf("query api keys: key %q: %w", d.ID, err)
			}
			d.Metadata = leaves
		}
		docs = append(docs, &d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query api keys: matches: %w", err)
	}
	return docs, nil
}
