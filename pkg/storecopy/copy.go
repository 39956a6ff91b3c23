package storecopy

import (
	"context"
	"fmt"
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// Options says how to copy.
type Options struct {
	// IntoNonEmpty copies into a target that already holds records,
	// merging: a record the target already has (the same key, user,
	// role, privilege, token or policy) is a ConflictError and nothing is
	// written. Without it a target that holds any record is a
	// NonEmptyError.
	IntoNonEmpty bool
}

// Table is the verification of one kind of records: what was read from
// the source, and what the target holds of those records once written.
type Table struct {
	Kind   string `json:"kind"`
	Source Sum    `json:"source"`
	Target Sum    `json:"target"`
	OK     bool   `json:"ok"`
}

// Report is the verification of a copy, kind by kind.
type Report struct {
	Tables []Table `json:"tables"`
	// OK is whether every kind matches.
	OK bool `json:"ok"`
}

// Mismatches names the kinds whose rows differ, as "kind (source rows,
// target rows)".
func (r *Report) Mismatches() []string {
	var out []string
	for _, t := range r.Tables {
		if !t.OK {
			out = append(out, fmt.Sprintf("%s (%d rows read, %d read back)", t.Kind, t.Source.Rows, t.Target.Rows))
		}
	}
	return out
}

// NonEmptyError is a target that holds records, refused without
// Options.IntoNonEmpty.
type NonEmptyError struct {
	// Rows counts the records of each kind the target holds, in Kinds
	// order, kinds without any left out.
	Rows []KindRows
}

// KindRows is a number of records of one kind.
type KindRows struct {
	Kind string
	Rows int
}

func (e *NonEmptyError) Error() string {
	parts := make([]string, len(e.Rows))
	for i, r := range e.Rows {
		parts[i] = fmt.Sprintf("%d %s", r.Rows, r.Kind)
	}
	return "the target store is not empty (it holds " + strings.Join(parts, ", ") + "): nothing was copied"
}

// ConflictError is a record of the source that the target already has,
// in a merge; nothing was copied.
type ConflictError struct {
	Kind string
	// IDs are the first records in conflict, N how many there are.
	IDs []string
	N   int
}

// maxConflictIDs bounds the ids a ConflictError names.
const maxConflictIDs = 5

func (e *ConflictError) Error() string {
	more := ""
	if e.N > len(e.IDs) {
		more = fmt.Sprintf(" and %d more", e.N-len(e.IDs))
	}
	return fmt.Sprintf("the target store already has %d of the %s to copy ([%s]%s): nothing was copied",
		e.N, e.Kind, strings.Join(e.IDs, "], ["), more)
}

// Copy copies every record of src into dst: it reads src in one View,
// writes dst in one Update (which first checks dst as opts says), then
// reads dst back in a View and compares each kind of the records copied.
// A Report whose OK is false is a copy that was committed but does not
// read back as it was read.
func Copy(ctx context.Context, src, dst store.Store, opts Options) (*Report, error) {
	var snap *Snapshot
	if err := src.View(ctx, func(r store.Reader) error {
		var err error
		snap, err = Read(ctx, r)
		return err
	}); err != nil {
		return nil, fmt.Errorf("read the source store: %w", err)
	}
	srcRows := snap.rows()

	err := dst.Update(ctx, func(w store.Writer) error {
		have, err := Read(ctx, w)
		if err != nil {
			return fmt.Errorf("read the target store: %w", err)
		}
		if !have.Empty() {
			if !opts.IntoNonEmpty {
				return nonEmpty(have)
			}
			if err := conflicts(srcRows, have.rows()); err != nil {
				return err
			}
		}
		return snap.Write(ctx, w)
	})
	if err != nil {
		return nil, err
	}

	var back *Snapshot
	if err := dst.View(ctx, func(r store.Reader) error {
		var err error
		back, err = Read(ctx, r)
		return err
	}); err != nil {
		return nil, fmt.Errorf("read the target store back: %w", err)
	}
	backRows := back.rows()
	rep := &Report{OK: true}
	for _, kind := range Kinds {
		t := Table{Kind: kind, Source: sum(srcRows[kind]), Target: sum(only(backRows[kind], srcRows[kind]))}
		t.OK = t.Source == t.Target
		rep.OK = rep.OK && t.OK
		rep.Tables = append(rep.Tables, t)
	}
	return rep, nil
}

// nonEmpty is the NonEmptyError of a target that holds have.
func nonEmpty(have *Snapshot) error {
	e := &NonEmptyError{}
	rows := have.rows()
	for _, kind := range Kinds {
		if n := len(rows[kind]); n > 0 {
			e.Rows = append(e.Rows, KindRows{Kind: kind, Rows: n})
		}
	}
	return e
}

// conflicts returns a ConflictError for the first kind whose records the
// source and the target both have.
func conflicts(src, have map[string][]row) error {
	for _, kind := range Kinds {
		in := ids(have[kind])
		e := &ConflictError{Kind: kind}
		for _, r := range src[kind] {
			if in[r.id] {
				e.N++
				if len(e.IDs) < maxConflictIDs {
					e.IDs = append(e.IDs, r.id)
				}
			}
		}
		if e.N > 0 {
			return e
		}
	}
	return nil
}

// ids returns the set of the ids of rows.
func ids(rows []row) map[string]bool {
	out := make(map[string]bool, len(rows))
	for _, r := range rows {
		out[r.id] = true
	}
	return out
}

// only returns the rows whose id is one of those of want, in order.
func only(rows, want []row) []row {
	in := ids(want)
	var out []row
	for _, r := range rows {
		if in[r.id] {
			out = append(out, r)
		}
	}
	return out
}
