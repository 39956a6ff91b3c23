package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"maps"
	"sync"
)

// This file interns strings that many keys share — metadata paths,
// limited-by snapshots — in tables of (id, text) whose rows are never
// deleted: the id of a committed row is valid for good, so the DB
// remembers those (internTable), and a transaction looks a string up in
// SQL only the first time. An id the transaction itself inserted is
// provisional until the commit (a batch member rolled back to its
// savepoint takes it along), so it is kept apart (interning) and handed
// to the table's memory only once the commit succeeded.

// maxInterned bounds the ids an internTable remembers; past it the memory
// starts again empty.
const maxInterned = 1 << 16

// internTable is an interned table and the committed ids it remembers.
type internTable struct {
	// insertSQL inserts a string unless it is there, RETURNING id;
	// selectSQL reads the id of a string.
	insertSQL, selectSQL string

	mu  sync.RWMutex
	ids map[string]int64
}

func (t *internTable) get(s string) (int64, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	id, ok := t.ids[s]
	return id, ok
}

// add remembers committed ids.
func (t *internTable) add(ids map[string]int64) {
	if len(ids) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ids == nil || len(t.ids)+len(ids) > maxInterned {
		t.ids = make(map[string]int64, len(ids))
	}
	maps.Copy(t.ids, ids)
}

// interning is one transaction's use of an internTable: the ids it found
// committed (seen), those the running batch member inserted (fresh), and
// those of the members that succeeded before it (pending).
type interning struct {
	table                *internTable
	seen, fresh, pending map[string]int64
}

func newInterning(t *internTable) *interning {
	return &interning{table: t, seen: map[string]int64{}, fresh: map[string]int64{}, pending: map[string]int64{}}
}

// id returns the id of s, inserting it when it is new.
func (in *interning) id(ctx context.Context, q *querier, s string) (int64, error) {
	if id, ok := in.table.get(s); ok {
		return id, nil
	}
	for _, m := range []map[string]int64{in.fresh, in.pending, in.seen} {
		if id, ok := m[s]; ok {
			return id, nil
		}
	}
	var id int64
	err := q.QueryRowContext(ctx, in.table.insertSQL, s).Scan(&id)
	if err == nil {
		in.fresh[s] = id
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	// Another transaction committed it: its id is for good.
	if err := q.QueryRowContext(ctx, in.table.selectSQL, s).Scan(&id); err != nil {
		return 0, err
	}
	in.seen[s] = id
	return id, nil
}

// memberDone ends a batch member: its insertions stand when it succeeded
// and are gone with its savepoint otherwise.
func (in *interning) memberDone(ok bool) {
	if ok {
		maps.Copy(in.pending, in.fresh)
	}
	in.fresh = map[string]int64{}
}

// committed hands the ids of a committed transaction to the table's
// memory.
func (in *interning) committed() {
	in.table.add(in.pending)
}

// ended hands the ids found committed by others to the table's memory,
// whatever became of this transaction.
func (in *interning) ended() {
	in.table.add(in.seen)
}
