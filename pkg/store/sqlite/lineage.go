package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// Key lineage lives in api_key_lineage (migration lineage): a row per key
// that has a parent, indexed by parent so that descendants are found one
// index range per key.

const (
	lineageColumns   = "l.parent_id, l.relation, l.grace_end, l.until_unused"
	insertLineageSQL = `INSERT OR FAIL INTO api_key_lineage (key_id, parent_id, relation, grace_end, until_unused)
		VALUES (?, ?, ?, ?, ?)`
	getLineageSQL = "SELECT " + lineageColumns + " FROM api_key_lineage AS l WHERE l.key_id = ?"
	// ancestorsSQL walks up from ?1 one parent at a time, at most ?2
	// steps; a parent without a row (deleted) has no lineage row either,
	// so the walk ends there.
	ancestorsSQL = `WITH RECURSIVE up(id, depth) AS (
			SELECT parent_id, 1 FROM api_key_lineage WHERE key_id = ?1
			UNION ALL
			SELECT l.parent_id, up.depth + 1 FROM up JOIN api_key_lineage AS l ON l.key_id = up.id
			WHERE up.depth < ?2
		)
		SELECT ` + keyColumns + `, ` + lineageColumns + `
		FROM up JOIN api_keys ON api_keys.id = up.id
		LEFT JOIN api_key_lineage AS l ON l.key_id = up.id
		ORDER BY up.depth`
	childrenSQL = `SELECT ` + keyColumns + `, ` + lineageColumns + `
		FROM api_key_lineage AS l JOIN api_keys ON api_keys.id = l.key_id
		WHERE l.parent_id = ? AND l.relation = ?
		ORDER BY creation, api_keys.id`
	// descendantsSQL walks down from the ids of the JSON array ?1 through
	// the parent index, at most ?2 rows (seeds included), and returns the
	// keys reached by a step, at most ?3 of them. A seed reached from
	// another seed appears twice, once as each, and is returned.
	descendantsSQL = `WITH RECURSIVE down(id, seed) AS (
			SELECT value, 1 FROM json_each(?1)
			UNION
			SELECT l.key_id, 0 FROM down JOIN api_key_lineage AS l ON l.parent_id = down.id
			LIMIT ?2
		)
		SELECT ` + keyColumns + `, ` + lineageColumns + `
		FROM down JOIN api_keys ON api_keys.id = down.id
		JOIN api_key_lineage AS l ON l.key_id = down.id
		WHERE down.seed = 0
		ORDER BY creation, api_keys.id
		LIMIT ?3`
)

// untilUnusedSQL reads the rotations with an until-unused rule touching
// the ids of the JSON array ?1, through the partial index that holds only
// them.
const untilUnusedSQL = `SELECT l.key_id, ` + lineageColumns + `
	FROM api_key_lineage AS l INDEXED BY api_key_lineage_until_unused
	WHERE l.relation = 'rotation' AND l.until_unused IS NOT NULL
		AND (l.key_id IN (SELECT value FROM json_each(?1)) OR l.parent_id IN (SELECT value FROM json_each(?1)))`

// UntilUnusedRotations returns the rotations with an until-unused rule
// whose old key or successor is one of ids, by successor id.
func (r *reader) UntilUnusedRotations(ctx context.Context, ids []string) (map[string]*store.Lineage, error) {
	out := map[string]*store.Lineage{}
	if len(ids) == 0 {
		return out, nil
	}
	arg, err := jsonStrings(ids)
	if err != nil {
		return nil, fmt.Errorf("until-unused rotations: %w", err)
	}
	type row struct {
		id string
		l  *store.Lineage
	}
	rows, err := queryAll(ctx, r.q, "until-unused rotations", func(s scanner) (row, error) {
		var ls lineageScan
		var id string
		if err := s.Scan(append([]any{&id}, ls.dest()...)...); err != nil {
			return row{}, err
		}
		return row{id, ls.lineage()}, nil
	}, untilUnusedSQL, arg)
	if err != nil {
		return nil, err
	}
	for _, rw := range rows {
		out[rw.id] = rw.l
	}
	return out, nil
}

// insertLineage records the parent of the key id.
func (w *writer) insertLineage(ctx context.Context, id string, l *store.Lineage) error {
	var untilUnused any
	if l.UntilUnused != 0 {
		untilUnused = l.UntilUnused
	}
	if _, err := w.q.ExecContext(ctx, insertLineageSQL, id, l.Parent, l.Relation, l.GraceEnd, untilUnused); err != nil {
		return fmt.Errorf("insert lineage of api key %q: %w", id, err)
	}
	return nil
}

// lineageScan holds the lineage columns of a row while it is scanned.
type lineageScan struct {
	parent, relation      sql.NullString
	graceEnd, untilUnused sql.NullInt64
}

func (ls *lineageScan) dest() []any {
	return []any{&ls.parent, &ls.relation, &ls.graceEnd, &ls.untilUnused}
}

// lineage is the scanned lineage, nil when the row had none.
func (ls *lineageScan) lineage() *store.Lineage {
	if !ls.parent.Valid {
		return nil
	}
	return &store.Lineage{
		Parent:      ls.parent.String,
		Relation:    ls.relation.String,
		GraceEnd:    int64Ptr(ls.graceEnd),
		UntilUnused: ls.untilUnused.Int64,
	}
}

func scanLineage(s scanner) (*store.Lineage, error) {
	var ls lineageScan
	if err := s.Scan(ls.dest()...); err != nil {
		return nil, err
	}
	return ls.lineage(), nil
}

// withExtra is a scanner that scans extra destinations after the ones
// its caller gives.
type withExtra struct {
	s     scanner
	extra []any
}

func (e withExtra) Scan(dest ...any) error { return e.s.Scan(append(dest, e.extra...)...) }

// scanKeyLineage reads a row of keyColumns followed by lineageColumns.
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
	return queryOne(ctx, r.q, fmt.Sprintf("get lineage of api key %q", id), scanLineage, getLineageSQL, id)
}

// Ancestors returns the keys id descends from, its parent first.
func (r *reader) Ancestors(ctx context.Context, id string) ([]*store.APIKey, error) {
	return queryAll(ctx, r.q, fmt.Sprintf("ancestors of api key %q", id), scanKeyLineage, ancestorsSQL, id, store.MaxLineageDepth)
}

// Children returns the keys whose parent is id by relation.
func (r *reader) Children(ctx context.Context, id, relation string) ([]*store.APIKey, error) {
	return queryAll(ctx, r.q, fmt.Sprintf("children of api key %q", id), scanKeyLineage, childrenSQL, id, relation)
}

// Descendants returns the keys that descend from any of ids, ordered by
// creation then id, at most limit of them.
func (r *reader) Descendants(ctx context.Context, ids []string, limit int) ([]*store.APIKey, error) {
	if len(ids) == 0 || limit <= 0 {
		return []*store.APIKey{}, nil
	}
	seeds, err := jsonStrings(ids)
	if err != nil {
		return nil, fmt.Errorf("descendants of api keys: %w", err)
	}
	return queryAll(ctx, r.q, "descendants of api keys", scanKeyLineage, descendantsSQL, seeds, len(ids)+limit, limit)
}
