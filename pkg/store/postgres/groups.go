package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/query"
)

// This file counts the keys a search matches by the values of a field,
// for the aggregations that need nothing more (query.Groups): one GROUP BY
// over the field's column, or over the metadata leaves.

// queryGroups counts the keys q matches by the values of f; total is the
// number q matches.
func (r *reader) queryGroups(ctx context.Context, f query.Field, q searchSQL, total int64) (*query.Groups, error) {
	if f.Name != query.FieldMetadata {
		return r.columnGroups(ctx, f, q)
	}
	// The leaves of the matching keys: all of them, or those of the keys
	// the condition selects.
	var (
		cond []string
		args []any
	)
	if !q.all {
		cond = append(cond, "key_seq IN (SELECT api_keys.seq FROM api_keys WHERE "+q.where+")")
		args = append(args, q.whereArgs...)
	}
	if f.Keyed {
		args = append(args, f.Key)
		cond = append(cond, "path = $"+strconv.Itoa(len(args)))
	}
	where := "true"
	if len(cond) > 0 {
		where = strings.Join(cond, " AND ")
	}
	g := &query.Groups{Values: []query.GroupCount{}}
	// A key counts once per distinct value: leaves are distinct per path,
	// so only the leaves of several paths need DISTINCT.
	count := "count(*)"
	if !f.Keyed {
		count = "count(DISTINCT key_seq)"
	}
	rows, err := queryAll(ctx, r.tx, "query api keys: group by "+f.String(), func(s scanner) (query.GroupCount, error) {
		var gc query.GroupCount
		var value string
		err := s.Scan(&value, &gc.Count)
		gc.Value = value
		return gc, err
	}, "SELECT value, "+count+" FROM api_key_leaves WHERE "+where+" GROUP BY value", args...)
	if err != nil {
		return nil, err
	}
	g.Values = rows
	var with int64
	if err := r.tx.QueryRow(ctx, "SELECT count(DISTINCT key_seq) FROM api_key_leaves WHERE "+where, args...).Scan(&with); err != nil {
		return nil, fmt.Errorf("query api keys: group by %s: %w", f, err)
	}
	g.Missing = total - with
	return g, nil
}

// columnGroups counts the keys q matches by the values of a column.
func (r *reader) columnGroups(ctx context.Context, f query.Field, q searchSQL) (*query.Groups, error) {
	col := fieldColumns[f.Name]
	rows, err := r.tx.Query(ctx, "SELECT "+col+", count(*) FROM api_keys WHERE "+q.where+" GROUP BY 1", q.whereArgs...)
	if err != nil {
		return nil, fmt.Errorf("query api keys: group by %s: %w", f, err)
	}
	defer rows.Close()
	g := &query.Groups{Values: []query.GroupCount{}}
	for rows.Next() {
		var (
			value any
			n     int64
		)
		if err := rows.Scan(&value, &n); err != nil {
			return nil, fmt.Errorf("query api keys: group by %s: %w", f, err)
		}
		switch v := value.(type) {
		case nil:
			g.Missing += n
			continue
		case int16:
			value = int64(v)
		}
		g.Values = append(g.Values, query.GroupCount{Value: value, Count: n})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query api keys: group by %s: %w", f, err)
	}
	return g, nil
}
