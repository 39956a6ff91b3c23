package postgres

import (
	"context"
	"fmt"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// This file keeps key lineage, api_key_lineage beside the keys: a key's
// parent and how it came from it. A deleted key's children are handed to
// its parent by the trigger of migration 0001.

const (
	lineageColumns   = "l.parent_id, l.relation, l.grace_end, l.until_unused"
	insertLineageSQL = `INSERT INTO api_key_lineage (key_id, parent_id, relation, grace_end, until_unused)
		VALUES ($1, $2, $3, $4, $5)`
	getLineageSQL = "SELECT " + lineageColumns + " FROM api_key_lineage AS l WHERE l.key_id = $1"
	// ancestorsSQL walks up from $1, at most $2 generations.
	ancestorsSQL = `WITH RECURSIVE up (id, depth) AS (
			SELECT parent_id, 1 FROM api_key_lineage WHERE key_id = $1
			UNION ALL
			SELECT l.parent_id, up.depth + 1 FROM up JOIN api_key_lineage AS l ON l.key_id = up.id
			WHERE up.depth < $2
		)
		SELECT ` + keyColumns + `, ` + lineageColumns + `
		FROM up JOIN api_keys ON api_keys.id = up.id
		LEFT JOIN api_key_lineage AS l ON l.key_id = up.id
		ORDER BY up.depth`
	childrenSQL = `SELECT ` + keyColumns + `, ` + lineageColumns + `
		FROM api_key_lineage AS l JOIN api_keys ON api_keys.id = l.key_id
		WHERE l.parent_id = $1 AND l.relation = $2
		ORDER BY api_keys.creation, api_keys.id`
	// descendantsSQL walks down from the ids $1 generation by generation
	// (PostgreSQL evaluates a recursive query breadth first), stopping
	// after $2 rows: the seeds and the nearest descendants.
	descendantsSQL = `WITH RECURSIVE down (id, seed) AS (
			SELECT id COLLATE "C", true FROM unnest($1::text[]) AS s (id)
			UNION
			SELECT l.key_id, false FROM down JOIN api_key_lineage AS l ON l.parent_id = down.id
		), nearest AS (
			SELECT id, seed FROM down LIMIT $2
		)
		SELECT ` + keyColumns + `, ` + lineageColumns + `
		FROM (SELECT DISTINCT id FROM nearest WHERE NOT seed) AS d
		JOIN api_keys ON api_keys.id = d.id
		JOIN api_key_lineage AS l ON l.key_id = d.id
		ORDER BY api_keys.creation, api_keys.id
		LIMIT $3`
	untilUnusedSQL = `SELECT l.key_id, ` + lineageColumns + `
		FROM api_key_lineage AS l
		WHERE l.relation = 'rotation' AND l.until_unused IS NOT NULL
			AND (l.key_id = ANY($1::text[]) OR l.parent_id = ANY($1::text[]))`
)

// insertLineage records the lineage of the new key id.
func (w *writer) insertLineage(ctx context.Context, id string, l *store.Lineage) error {
	var untilUnused any
	if l.UntilUnused != 0 {
		untilUnused = l.UntilUnused
	}
	if _, err := w.tx.Exec(ctx, insertLineageSQL, id, l.Parent, l.Relation, l.GraceEnd, untilUnused); err != nil {
		return fmt.Errorf("insert lineage of api key %q: %w", id, err)
	}
	return nil
}

// lineageScan receives the lineage columns of a row, NULL when the key
// has no parent.
type lineageScan struct {
	parent, relation      *string
	graceEnd, untilUnused *int64
}

func (ls *lineageScan) dest() []any {
	return []any{&ls.parent, &ls.relation, &ls.graceEnd, &ls.untilUnused}
}

func (ls *lineageScan) lineage() *store.Lineage {
	if ls.parent == nil {
		return nil
	}
	l := &store.Lineage{Parent: *ls.parent, Relation: *ls.relation, GraceEnd: ls.graceEnd}
	if ls.untilUnused != nil {
		l.UntilUnused = *ls.untilUnused
	}
	return l
}

func scanLineage(s scanner) (*store.Lineage, error) {
	var ls lineageScan
	if err := s.Scan(ls.dest()...); err != nil {
		return nil, err
	}
	return ls.lineage(), nil
}

// withExtra scans a row's leading columns into dest and its trailing
// ones into extra.
type withExtra struct {
	s     scanner
	extra []any
}

func (e withExtra) Scan(dest ...any) error { return e.s.Scan(append(dest, e.extra...)...) }

// scanKeyLineage reads a key followed by its lineage columns.
func scanKeyLineage(s scanner) (*store.APIKey, error) {
	var ls lineageScan
	k, err := scanKey(withExtra{s, ls.dest()})
	if err != nil {
		return nil, err
	}
	k.Lineage = ls.lineage()
	return k, nil
}

// GetLineage returns the lineage of the key id, or store.ErrNotFound.
func (r *reader) GetLineage(ctx context.Context, id string) (*store.Lineage, error) {
	return queryOne(ctx, r.tx, fmt.Sprintf("get lineage of api key %q", id), scanLineage, getLineageSQL, id)
}

// Ancestors returns the keys the key id descends from, its parent first.
func (r *reader) Ancestors(ctx context.Context, id string) ([]*store.APIKey, error) {
	return queryAll(ctx, r.tx, fmt.Sprintf("ancestors of api key %q", id), scanKeyLineage, ancestorsSQL, id, store.MaxLineageDepth)
}

// Children returns the keys whose parent is id by relation.
func (r *reader) Children(ctx context.Context, id, relation string) ([]*store.APIKey, error) {
	return queryAll(ctx, r.tx, fmt.Sprintf("children of api key %q", id), scanKeyLineage, childrenSQL, id, relation)
}

// Descendants returns the keys that descend from any of ids, at most
// limit of them, the nearest generations first.
func (r *reader) Descendants(ctx context.Context, ids []string, limit int) ([]*store.APIKey, error) {
	if len(ids) == 0 || limit <= 0 {
		return []*store.APIKey{}, nil
	}
	return queryAll(ctx, r.tx, "descendants of api keys", scanKeyLineage, descendantsSQL, ids, len(ids)+limit, limit)
}

// UntilUnusedRotations returns the rotations with an until-unused rule
// whose old key or successor is one of ids, by successor id.
func (r *reader) UntilUnusedRotations(ctx context.Context, ids []string) (map[string]*store.Lineage, error) {
	out := map[string]*store.Lineage{}
	if len(ids) == 0 {
		return out, nil
	}
	type row struct {
		id string
		l  *store.Lineage
	}
	rows, err := queryAll(ctx, r.tx, "until-unused rotations", func(s scanner) (row, error) {
		var ls lineageScan
		var id string
		if err := s.Scan(append([]any{&id}, ls.dest()...)...); err != nil {
			return row{}, err
		}
		return row{id, ls.lineage()}, nil
	}, untilUnusedSQL, ids)
	if err != nil {
		return nil, err
	}
	for _, rw := range rows {
		out[rw.id] = rw.l
	}
	return out, nil
}
