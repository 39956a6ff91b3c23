package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/query"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// This file runs compiled searches: a page of keys, its total, and the
// keys the in-memory aggregations read.

// searchSQL builds the statements of a search: the count, the page, the
// matches.
type searchSQL struct {
	// where and whereArgs are the query's condition on api_keys; all is
	// set when it matches every key.
	where     string
	whereArgs []any
	all       bool
	countSQL  string
	countArgs []any
	pageSQL   string
	pageArgs  []any
	matchSQL  string
	matchArgs []any
}

const matchColumns = "api_keys.rowid, id, name, type, principal, realm, creation, expiration, invalidated, invalidation, " +
	lastUsedColumn + ", metadata"

func compileSearch(s *store.KeySearch) searchSQL {
	var out searchSQL
	wc := &compiler{}
	where := wc.expr(s.Query)
	_, matchAll := s.Query.(query.MatchAll)
	out.where, out.whereArgs, out.all = where, wc.args, s.Query == nil || matchAll
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
	for _, f := range s.Groups {
		g, err := r.queryGroups(ctx, f, q, int64(page.Total))
		if err != nil {
			return nil, err
		}
		page.Groups = append(page.Groups, g)
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
	return queryAll(ctx, r.q, "query api keys: matches", scanDoc, q.matchSQL, q.matchArgs...)
}

// scanDoc reads a key as the in-memory evaluator sees it, its metadata
// flattened.
func scanDoc(s scanner) (*query.Doc, error) {
	var (
		d                                  query.Doc
		expiration, invalidation, lastUsed sql.NullInt64
		metadata                           sql.NullString
	)
	if err := s.Scan(&d.Seq, &d.ID, &d.Name, &d.Type, &d.Username, &d.Realm, &d.Creation,
		&expiration, &d.Invalidated, &invalidation, &lastUsed, &metadata); err != nil {
		return nil, err
	}
	d.Expiration = int64Ptr(expiration)
	d.Invalidation = int64Ptr(invalidation)
	d.LastUsed = int64Ptr(lastUsed)
	if metadata.Valid {
		leaves, err := query.Flatten([]byte(metadata.String))
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", d.ID, err)
		}
		d.Metadata = leaves
	}
	return &d, nil
}
