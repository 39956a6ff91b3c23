package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// storedKey reads the key id and its metadata leaves ("path=value",
// ordered) outside any Update.
func storedKey(t *testing.T, db *DB, id string) (*store.APIKey, []string) {
	t.Helper()
	ctx := context.Background()
	var k *store.APIKey
	if err := db.View(ctx, func(r store.Reader) (err error) { k, err = r.GetAPIKey(ctx, id); return err }); err != nil {
		t.Fatalf("GetAPIKey(%s): %v", id, err)
	}
	rows, err := db.pool.Query(ctx, `SELECT l.path || '=' || l.value FROM api_key_leaves AS l
		JOIN api_keys AS k ON k.seq = l.key_seq WHERE k.id = $1 ORDER BY 1`, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	leaves := []string{}
	for rows.Next() {
		leaf, err := scanID(rows)
		if err != nil {
			t.Fatal(err)
		}
		leaves = append(leaves, leaf)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return k, leaves
}

// TestPipelinedUpdates runs sequences of reads and queued updates in one
// Update and checks what was stored: the queue is sent before every
// other statement, with the changes of one set of columns in one
// statement, and known rows are copies the caller cannot change.
func TestPipelinedUpdates(t *testing.T) {
	ctx := context.Background()
	type want struct {
		id, name string
		expires  bool
		version  int64
		leaves   string
	}
	tests := []struct {
		name string
		fn   func(w store.Writer) error
		want []want
	}{{
		name: "mixed columns in one queue",
		fn: func(w store.Writer) error {
			keys, err := w.FindAPIKeys(ctx, store.KeyFilter{IDs: []string{"a", "b", "c"}})
			if err != nil {
				return err
			}
			a, b, c := *keys[0], *keys[1], *keys[2]
			a.Metadata = json.RawMessage(`{"x":1,"y":["p","p"]}`)
			b.Name = "renamed"
			c.Expiration = nil
			c.Metadata = json.RawMessage(`{}`)
			for _, k := range []*store.APIKey{&a, &b, &c} {
				if err := w.UpdateAPIKey(ctx, k); err != nil {
					return err
				}
			}
			return nil
		},
		want: []want{
			{id: "a", name: "n", expires: true, version: 2, leaves: "x=1,y=p"},
			{id: "b", name: "renamed", expires: true, version: 2, leaves: "team=t"},
			{id: "c", name: "n", version: 2, leaves: ""},
		},
	}, {
		name: "a read sees the queued writes",
		fn: func(w store.Writer) error {
			k, err := w.GetAPIKey(ctx, "a")
			if err != nil {
				return err
			}
			k.Name = "first"
			if err := w.UpdateAPIKey(ctx, k); err != nil {
				return err
			}
			again, err := w.GetAPIKey(ctx, "a")
			if err != nil {
				return err
			}
			if again.Name != "first" || again.Version != 2 {
				return fmt.Errorf("read back %q version %d", again.Name, again.Version)
			}
			return nil
		},
		want: []want{{id: "a", name: "first", expires: true, version: 2, leaves: "team=t"}},
	}, {
		name: "the same key twice, changed in place",
		fn: func(w store.Writer) error {
			k, err := w.GetAPIKey(ctx, "b")
			if err != nil {
				return err
			}
			k.Metadata = json.RawMessage(`{"step":1}`)
			if err := w.UpdateAPIKey(ctx, k); err != nil {
				return err
			}
			k.Metadata = json.RawMessage(`{"step":2}`)
			k.Name = "twice"
			return w.UpdateAPIKey(ctx, k)
		},
		want: []want{{id: "b", name: "twice", expires: true, version: 3, leaves: "step=2"}},
	}, {
		name: "a stale version is a conflict at once",
		fn: func(w store.Writer) error {
			k, err := w.GetAPIKey(ctx, "c")
			if err != nil {
				return err
			}
			stale := *k
			stale.Version--
			stale.Name = "stale"
			if err := w.UpdateAPIKey(ctx, &stale); !errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("stale update: %v, want ErrConflict", err)
			}
			k.Name = "fresh"
			return w.UpdateAPIKey(ctx, k)
		},
		want: []want{{id: "c", name: "fresh", expires: true, version: 2, leaves: "team=t"}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := mustOpen(t)
			err := db.Update(ctx, func(w store.Writer) error {
				for _, id := range []string{"a", "b", "c"} {
					k := testKey(id, `{"team":"t"}`)
					exp := int64(4102444800000)
					k.Expiration = &exp
					if err := w.InsertAPIKey(ctx, k); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Update(ctx, tt.fn); err != nil {
				t.Fatalf("Update: %v", err)
			}
			for _, w := range tt.want {
				k, leaves := storedKey(t, db, w.id)
				if k.Name != w.name || (k.Expiration != nil) != w.expires || k.Version != w.version {
					t.Errorf("%s: name %q, expires %v, version %d; want %q, %v, %d",
						w.id, k.Name, k.Expiration != nil, k.Version, w.name, w.expires, w.version)
				}
				if got := strings.Join(leaves, ","); got != w.leaves {
					t.Errorf("%s: leaves %q, want %q", w.id, got, w.leaves)
				}
			}
		})
	}
}

// TestPipelinedUpdateChangedUnderneath changes a row the member read,
// bypassing the store's write lock, before the member's queued update of
// it is sent: the update fails the member instead of overwriting the
// change, and nothing of the member is kept.
func TestPipelinedUpdateChangedUnderneath(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	if err := db.Update(ctx, func(w store.Writer) error {
		return errors.Join(w.InsertAPIKey(ctx, testKey("a", `{"team":"t"}`)), w.InsertAPIKey(ctx, testKey("b", `{}`)))
	}); err != nil {
		t.Fatal(err)
	}
	err := db.Update(ctx, func(w store.Writer) error {
		keys, err := w.FindAPIKeys(ctx, store.KeyFilter{IDs: []string{"a", "b"}})
		if err != nil {
			return err
		}
		if _, err := db.pool.Exec(ctx, `UPDATE api_keys SET name = 'outside', version = version + 1 WHERE id = 'a'`); err != nil {
			return err
		}
		for _, k := range keys {
			k.Metadata = json.RawMessage(`{"team":"new"}`)
			if err := w.UpdateAPIKey(ctx, k); err != nil {
				return fmt.Errorf("queued update failed early: %w", err)
			}
		}
		return nil
	})
	if err == nil || errors.Is(err, store.ErrConflict) {
		t.Fatalf("Update: %v, want a failure that is no ErrConflict", err)
	}
	for id, want := range map[string]struct {
		name    string
		version int64
	}{"a": {"outside", 2}, "b": {"n", 1}} {
		k, leaves := storedKey(t, db, id)
		if k.Name != want.name || k.Version != want.version || strings.Contains(strings.Join(leaves, ","), "new") {
			t.Errorf("%s: name %q, version %d, leaves %v after the failed update", id, k.Name, k.Version, leaves)
		}
	}
}

// TestViewBegunWithFirstStatement checks the View begun with its first
// statement: one snapshot from that statement on, a failed first
// statement reported, and a View without statements.
func TestViewBegunWithFirstStatement(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	insert := func(id string) {
		t.Helper()
		if err := db.Update(ctx, func(w store.Writer) error { return w.InsertAPIKey(ctx, testKey(id, `{}`)) }); err != nil {
			t.Fatal(err)
		}
	}
	count := func(r store.Reader) int {
		t.Helper()
		page, err := r.QueryAPIKeys(ctx, &store.KeySearch{})
		if err != nil {
			t.Fatal(err)
		}
		return page.Total
	}
	insert("a")
	tests := []struct {
		name string
		fn   func(r store.Reader) error
		want string // the error, "" for none
	}{{
		name: "one snapshot",
		fn: func(r store.Reader) error {
			before := count(r)
			insert(fmt.Sprintf("b%d", before))
			keys, err := r.FindAPIKeys(ctx, store.KeyFilter{})
			if err != nil {
				return err
			}
			if after := count(r); after != before || len(keys) != before {
				return fmt.Errorf("counted %d then %d (%d found)", before, after, len(keys))
			}
			return nil
		},
	}, {
		name: "first statement fails",
		fn: func(r store.Reader) error {
			_, err := r.GetAPIKey(ctx, "missing")
			if !errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("GetAPIKey: %v, want ErrNotFound", err)
			}
			_, err = r.(*reader).tx.Exec(ctx, "SELECT no_such_column FROM api_keys")
			return err
		},
		want: "no_such_column",
	}, {
		name: "no statement",
		fn:   func(store.Reader) error { return nil },
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := db.View(ctx, tt.fn)
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("View: %v, want %q", err, tt.want)
			}
		})
	}
}
