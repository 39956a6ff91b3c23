package storetest

import (
	"errors"
	"reflect"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// recordUsage records reports in one transaction.
func recordUsage(t *testing.T, st store.Store, usage ...store.KeyUsage) {
	t.Helper()
	update(t, st, func(w store.Writer) error { return w.RecordKeyUsage(t.Context(), usage) })
}

// keyUsage reads the usage of ids.
func keyUsage(t *testing.T, st store.Store, ids ...string) map[string]store.KeyUsage {
	t.Helper()
	var out map[string]store.KeyUsage
	view(t, st, func(r store.Reader) error {
		var err error
		out, err = r.GetKeyUsage(t.Context(), ids)
		return err
	})
	return out
}

func (s *suite) testUsageMerge(t *testing.T) {
	st := s.open(t)
	insert(t, st, newKey("u1"), newKey("u2"), newKey("u3"))
	if got := keyUsage(t, st, "u1", "u2"); len(got) != 0 {
		t.Fatalf("usage before any use = %v, want none", got)
	}
	recordUsage(t, st,
		store.KeyUsage{ID: "u1", FirstUsed: 1000, LastUsed: 2000, LastFrom: "10.0.0.1", Count: 3},
		store.KeyUsage{ID: "u2", LastUsed: 5000, LastFrom: "unix:uid=1000", Count: 1})
	// A later report of u1 and an older, delayed one; u3 gets nothing.
	recordUsage(t, st,
		store.KeyUsage{ID: "u1", FirstUsed: 3000, LastUsed: 4000, LastFrom: "10.0.0.2", Count: 2},
		store.KeyUsage{ID: "u2", FirstUsed: 100, LastUsed: 200, LastFrom: "10.0.0.9", Count: 4},
		store.KeyUsage{ID: "u3"})
	want := map[string]store.KeyUsage{
		"u1": {ID: "u1", FirstUsed: 1000, LastUsed: 4000, LastFrom: "10.0.0.2", Count: 5},
		"u2": {ID: "u2", FirstUsed: 100, LastUsed: 5000, LastFrom: "unix:uid=1000", Count: 5},
	}
	if got := keyUsage(t, st, "u1", "u2", "u3", "nope"); !reflect.DeepEqual(got, want) {
		t.Errorf("usage:\ngot  %+v\nwant %+v", got, want)
	}
	// Merge in memory says the same as the store.
	m := store.KeyUsage{ID: "u1", FirstUsed: 1000, LastUsed: 2000, LastFrom: "10.0.0.1", Count: 3}
	m.Merge(store.KeyUsage{ID: "u1", FirstUsed: 3000, LastUsed: 4000, LastFrom: "10.0.0.2", Count: 2})
	if m != want["u1"] {
		t.Errorf("Merge = %+v, want %+v", m, want["u1"])
	}
}

func (s *suite) testUsageUnknownKey(t *testing.T) {
	st := s.open(t)
	insert(t, st, newKey("u1"))
	recordUsage(t, st,
		store.KeyUsage{ID: "gone", LastUsed: 10, Count: 1},
		store.KeyUsage{ID: "u1", LastUsed: 20, LastFrom: "x", Count: 1})
	want := map[string]store.KeyUsage{"u1": {ID: "u1", FirstUsed: 20, LastUsed: 20, LastFrom: "x", Count: 1}}
	if got := keyUsage(t, st, "gone", "u1"); !reflect.DeepEqual(got, want) {
		t.Errorf("usage = %+v, want %+v", got, want)
	}
}

func (s *suite) testUsageDeletedWithKey(t *testing.T) {
	st := s.open(t)
	old := newKey("old")
	old.Expiration = ptr(int64(1000))
	insert(t, st, old, newKey("kept"))
	recordUsage(t, st,
		store.KeyUsage{ID: "old", LastUsed: 500, Count: 1},
		store.KeyUsage{ID: "kept", LastUsed: 600, Count: 1})
	update(t, st, func(w store.Writer) error {
		_, err := w.DeleteInactiveAPIKeys(t.Context(), 2000, 10)
		return err
	})
	got := keyUsage(t, st, "old", "kept")
	if _, ok := got["old"]; ok {
		t.Errorf("the deleted key's usage is still there: %+v", got)
	}
	if _, ok := got["kept"]; !ok {
		t.Errorf("the kept key's usage is gone: %+v", got)
	}
	// A key created again with the id starts unused.
	insert(t, st, newKey("old"))
	if got := keyUsage(t, st, "old"); len(got) != 0 {
		t.Errorf("a new key with the id of a deleted one has usage %+v", got)
	}
}

func (s *suite) testUsageRolledBack(t *testing.T) {
	st := s.open(t)
	insert(t, st, newKey("u1"))
	err := st.Update(t.Context(), func(w store.Writer) error {
		if err := w.RecordKeyUsage(t.Context(), []store.KeyUsage{{ID: "u1", LastUsed: 10, Count: 1}}); err != nil {
			return err
		}
		return errTest
	})
	if !errors.Is(err, errTest) {
		t.Fatalf("Update = %v, want errTest", err)
	}
	if got := keyUsage(t, st, "u1"); len(got) != 0 {
		t.Errorf("usage after a rollback = %+v, want none", got)
	}
}
