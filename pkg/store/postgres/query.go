package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/apikeyctl/apikeyctl/pkg/query"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// This file runs compiled searches: a page of keys, its total, and the
// keys the in-memory aggregations read.

// searchSQL holds the statements of a search: the count, the page, the
// matches.
type searchSQL struct {
	// where and whereArgs are the query's condition on api_keys; all is
	// set when it matches every key.
	where     string
	whereArgs []any
	all       bool
	countSQL  string
	pageSQL   string
	pageArgs  []any
	matchSQL  string
}

const matchColumns = "api_keys.seq, api_keys.id, api_keys.name, api_keys.type, api_keys.principal, api_keys.realm, " +
	"api_keys.creation, api_keys.expiration, api_keys.invalidated, api_keys.invalidation, " +
	lastUsedColumn + ", api_keys.metadata::text"

// compileSearch compiles s, reading the values of the fields of the
// nodes decided in Go through vals.
func compileSearch(s *store.KeySearch, vals *valueSets) (searchSQL, error) {
	var out searchSQL
	wc := &compiler{vals: vals}
	where := wc.expr(s.Query)
	_, matchAll := s.Query.(query.MatchAll)
	out.where, out.whereArgs, out.all = where, wc.args, s.Query == nil || matchAll
	out.countSQL = "SELECT count(*) FROM api_keys WHERE " + where
	out.matchSQL = "SELECT " + matchColumns + " FROM api_keys WHERE " + where + " ORDER BY api_keys.seq"

	pc := &compiler{vals: vals}
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
		order = append(order, alias+dir)
	}
	cond := pc.expr(s.Query)
	if s.SearchAfter != nil {
		cond += " AND " + pc.after(s.Sort, s.SearchAfter)
	}
	order = append(order, "api_keys.seq ASC")
	cols := "SELECT " + keyColumns
	if len(sel) > 0 {
		cols += ", " + strings.Join(sel, ", ")
	}
	size, from := pc.arg(int64(s.Size)), pc.arg(int64(s.From))
	out.pageSQL = cols + " FROM api_keys WHERE " + cond + " ORDER BY " + strings.Join(order, ", ") +
		" LIMIT " + size + " OFFSET " + from
	out.pageArgs = pc.args
	if wc.err != nil {
		return out, wc.err
	}
	return out, pc.err
}

// QueryAPIKeys runs a query API keys search.
func (r *reader) QueryAPIKeys(ctx context.Context, s *store.KeySearch) (*store.KeyPage, error) {
	q, err := compileSearch(s, &valueSets{ctx: ctx, tx: r.tx})
	if err != nil {
		return nil, err
	}
	page := &store.KeyPage{Keys: []*store.APIKey{}, Sort: [][]any{}}
	// The count and the page in one round trip; a page past the last
	// match is empty.
	b := &pgx.Batch{}
	b.Queue(q.countSQL, q.whereArgs...).QueryRow(func(row pgx.Row) error {
		if err := row.Scan(&page.Total); err != nil {
			return fmt.Errorf("count: %w", err)
		}
		return nil
	})
	if s.Size > 0 {
		b.Queue(q.pageSQL, q.pageArgs...).Query(func(rows pgx.Rows) error { return readPage(rows, s, page) })
	}
	if err := r.tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("query api keys: %w", err)
	}
	if s.Matches {
		docs, err := queryAll(ctx, r.tx, "query api keys: matches", scanDoc, q.matchSQL, q.whereArgs...)
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

// readPage reads the rows of a search's page query into page.
func readPage(rows pgx.Rows, s *store.KeySearch, page *store.KeyPage) error {
	for rows.Next() {
		sortVals := make([]any, len(s.Sort))
		ptrs := make([]any, len(sortVals))
		for i := range sortVals {
			ptrs[i] = &sortVals[i]
		}
		k, err := scanKey(withExtra{rows, ptrs})
		if err != nil {
			return err
		}
		for i, so := range s.Sort {
			sortVals[i] = typedSortValue(so, sortVals[i])
		}
		page.Keys = append(page.Keys, k)
		page.Sort = append(page.Sort, sortVals)
	}
	return rows.Err()
}

// typedSortValue converts a scanned sort value to its query type: int64
// for _doc, dates and booleans, string for keywords, nil for none.
func typedSortValue(s query.Sort, v any) any {
	switch x := v.(type) {
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case int64:
		if s.Doc || s.Field.Numeric() {
			return x
		}
		return strconv.FormatInt(x, 10)
	}
	return v
}

// scanDoc reads a key as the in-memory evaluator sees it, its metadata
// flattened.
func scanDoc(s scanner) (*query.Doc, error) {
	var (
		d           query.Doc
		invalidated int16
		metadata    *string
	)
	if err := s.Scan(&d.Seq, &d.ID, &d.Name, &d.Type, &d.Username, &d.Realm, &d.Creation,
		&d.Expiration, &invalidated, &d.Invalidation, &d.LastUsed, &metadata); err != nil {
		return nil, err
	}
	d.Invalidated = invalidated == 1
	if metadata != nil {
		leaves, err := query.Flatten([]byte(*metadata))
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", d.ID, err)
		}
		d.Metadata = leaves
	}
	return &d, nil
}
