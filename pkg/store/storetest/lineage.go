package storetest

import (
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

func (s *suite) runLineageSuite(t *testing.T) {
	t.Run("RecordedAtInsert", s.testLineageRecorded)
	t.Run("Ancestors", s.testLineageAncestors)
	t.Run("Children", s.testLineageChildren)
	t.Run("Descendants", s.testLineageDescendants)
	t.Run("DeletedKeyLeavesTheFamily", s.testLineageDeleted)
	t.Run("UntilUnusedRotations", s.testLineageUntilUnused)
}

// family inserts, oldest first, root <- child (rotation) <- grandchild
// (clone), and root <- sibling (clone).
func family(t *testing.T, st store.Store) {
	t.Helper()
	keys := []*store.APIKey{newKey("root"), newKey("child"), newKey("grandchild"), newKey("sibling")}
	keys[1].Lineage = &store.Lineage{Parent: "root", Relation: store.RelationRotation, GraceEnd: ptr(int64(1_700_000_500_000)), UntilUnused: 1_800_000}
	keys[2].Lineage = &store.Lineage{Parent: "child", Relation: store.RelationClone}
	keys[3].Lineage = &store.Lineage{Parent: "root", Relation: store.RelationClone}
	for i, k := range keys {
		k.Creation += int64(i)
	}
	insert(t, st, keys...)
}

func getLineage(t *testing.T, st store.Store, id string) (*store.Lineage, error) {
	t.Helper()
	var l *store.Lineage
	err := st.View(t.Context(), func(r store.Reader) error {
		var err error
		l, err = r.GetLineage(t.Context(), id)
		return err
	})
	return l, err
}

// testLineageRecorded: InsertAPIKey records the lineage, GetLineage
// returns it as given, a key without a parent has none, and the key reads
// leave Lineage nil.
func (s *suite) testLineageRecorded(t *testing.T) {
	st := s.open(t)
	family(t, st)
	got, err := getLineage(t, st, "child")
	if err != nil {
		t.Fatalf("GetLineage(child): %v", err)
	}
	want := &store.Lineage{Parent: "root", Relation: store.RelationRotation, GraceEnd: ptr(int64(1_700_000_500_000)), UntilUnused: 1_800_000}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("GetLineage(child) = %+v, want %+v", got, want)
	}
	got, err = getLineage(t, st, "grandchild")
	if err != nil || got.Relation != store.RelationClone || got.GraceEnd != nil || got.UntilUnused != 0 {
		t.Errorf("GetLineage(grandchild) = %+v, %v; want a clone without rotation fields", got, err)
	}
	if _, err := getLineage(t, st, "root"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetLineage(root) error = %v, want ErrNotFound", err)
	}
	if k := mustGetKey(t, st, "child"); k.Lineage != nil {
		t.Errorf("GetAPIKey(child).Lineage = %+v, want nil", k.Lineage)
	}
}

// testLineageAncestors: the line up from a key, parent first, each with
// its own lineage.
func (s *suite) testLineageAncestors(t *testing.T) {
	st := s.open(t)
	family(t, st)
	tests := []struct {
		name string
		id   string
		want []string
	}{
		{"grandchild", "grandchild", []string{"child", "root"}},
		{"child", "child", []string{"root"}},
		{"root has none", "root", []string{}},
		{"unknown key has none", "nobody", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []*store.APIKey
			view(t, st, func(r store.Reader) error {
				var err error
				got, err = r.Ancestors(t.Context(), tt.id)
				return err
			})
			if ids := keyIDs(got); !slices.Equal(ids, tt.want) {
				t.Fatalf("Ancestors(%s) = %v, want %v", tt.id, ids, tt.want)
			}
			if tt.id == "grandchild" {
				if l := got[0].Lineage; l == nil || l.Parent != "root" || l.Relation != store.RelationRotation {
					t.Errorf("Ancestors(grandchild)[0].Lineage = %+v, want a rotation of root", l)
				}
				if got[1].Lineage != nil {
					t.Errorf("Ancestors(grandchild)[1].Lineage = %+v, want nil (root)", got[1].Lineage)
				}
			}
		})
	}
}

// testLineageChildren: the keys one step below, of one relation.
func (s *suite) testLineageChildren(t *testing.T) {
	st := s.open(t)
	family(t, st)
	tests := []struct {
		id, relation string
		want         []string
	}{
		{"root", store.RelationRotation, []string{"child"}},
		{"root", store.RelationClone, []string{"sibling"}},
		{"child", store.RelationClone, []string{"grandchild"}},
		{"child", store.RelationRotation, []string{}},
		{"nobody", store.RelationClone, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.id+"/"+tt.relation, func(t *testing.T) {
			var got []*store.APIKey
			view(t, st, func(r store.Reader) error {
				var err error
				got, err = r.Children(t.Context(), tt.id, tt.relation)
				return err
			})
			if ids := keyIDs(got); !slices.Equal(ids, tt.want) {
				t.Fatalf("Children(%s, %s) = %v, want %v", tt.id, tt.relation, ids, tt.want)
			}
			for _, k := range got {
				if k.Lineage == nil || k.Lineage.Parent != tt.id || k.Lineage.Relation != tt.relation {
					t.Errorf("Children: %s has lineage %+v", k.ID, k.Lineage)
				}
			}
		})
	}
}

// testLineageDescendants: every generation below the given keys, by
// creation, bounded by the limit.
func (s *suite) testLineageDescendants(t *testing.T) {
	st := s.open(t)
	family(t, st)
	tests := []struct {
		name  string
		ids   []string
		limit int
		want  []string
	}{
		{"all generations", []string{"root"}, 10, []string{"child", "grandchild", "sibling"}},
		{"one branch", []string{"child"}, 10, []string{"grandchild"}},
		{"leaf has none", []string{"sibling"}, 10, []string{}},
		{"limit keeps the nearest generations", []string{"root"}, 2, []string{"child", "sibling"}},
		{"a given key below another is a descendant", []string{"grandchild", "root"}, 10, []string{"child", "grandchild", "sibling"}},
		{"repeated ids", []string{"child", "child"}, 10, []string{"grandchild"}},
		{"no ids", []string{}, 10, []string{}},
		{"unknown id", []string{"nobody"}, 10, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []*store.APIKey
			view(t, st, func(r store.Reader) error {
				var err error
				got, err = r.Descendants(t.Context(), tt.ids, tt.limit)
				return err
			})
			if ids := keyIDs(got); !slices.Equal(ids, tt.want) {
				t.Fatalf("Descendants(%v, %d) = %v, want %v", tt.ids, tt.limit, ids, tt.want)
			}
			for _, k := range got {
				if k.Lineage == nil || k.Lineage.Parent == "" {
					t.Errorf("Descendants: %s has lineage %+v, want its parent", k.ID, k.Lineage)
				}
			}
		})
	}
}

// testLineageDeleted: when retention deletes a key in the middle of a
// family, its children take its parent, and its own lineage goes.
func (s *suite) testLineageDeleted(t *testing.T) {
	st := s.open(t)
	family(t, st)
	update(t, st, func(w store.Writer) error {
		k, err := w.GetAPIKey(t.Context(), "child")
		if err != nil {
			return err
		}
		k.Expiration = ptr(int64(1))
		return w.UpdateAPIKey(t.Context(), k)
	})
	update(t, st, func(w store.Writer) error {
		ids, err := w.DeleteInactiveAPIKeys(t.Context(), 2, 10)
		if err == nil && !slices.Equal(ids, []string{"child"}) {
			t.Errorf("DeleteInactiveAPIKeys = %v, want [child]", ids)
		}
		return err
	})
	if l, err := getLineage(t, st, "grandchild"); err != nil || l.Parent != "root" || l.Relation != store.RelationClone {
		t.Errorf("GetLineage(grandchild) = %+v, %v; want a clone of root", l, err)
	}
	if _, err := getLineage(t, st, "child"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetLineage(child) error = %v, want ErrNotFound", err)
	}
	var got []*store.APIKey
	view(t, st, func(r store.Reader) error {
		var err error
		got, err = r.Descendants(t.Context(), []string{"root"}, 10)
		return err
	})
	if ids := keyIDs(got); !slices.Equal(ids, []string{"grandchild", "sibling"}) {
		t.Errorf("Descendants(root) = %v, want [grandchild sibling]", ids)
	}
}

// testLineageUntilUnused: the rotations with an until-unused rule that
// touch the given keys, as old key or successor; a rotation without the
// rule and a clone are not among them.
func (s *suite) testLineageUntilUnused(t *testing.T) {
	st := s.open(t)
	family(t, st)
	plain := newKey("plain")
	plain.Lineage = &store.Lineage{Parent: "sibling", Relation: store.RelationRotation, GraceEnd: ptr(int64(1_700_000_900_000))}
	insert(t, st, plain)
	tests := []struct {
		name string
		ids  []string
		want []string
	}{
		{"the old key", []string{"root"}, []string{"child"}},
		{"the successor", []string{"child"}, []string{"child"}},
		{"both, and others", []string{"grandchild", "root", "child", "nobody"}, []string{"child"}},
		{"a rotation without the rule", []string{"sibling", "plain"}, nil},
		{"none", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got map[string]*store.Lineage
			view(t, st, func(r store.Reader) error {
				var err error
				got, err = r.UntilUnusedRotations(t.Context(), tt.ids)
				return err
			})
			var ids []string
			for id, l := range got {
				ids = append(ids, id)
				if l.Parent != "root" || l.UntilUnused != 1_800_000 || l.GraceEnd == nil || *l.GraceEnd != 1_700_000_500_000 {
					t.Errorf("lineage of %s: %+v", id, l)
				}
			}
			if !slices.Equal(ids, tt.want) {
				t.Errorf("UntilUnusedRotations(%v) = %v, want %v", tt.ids, ids, tt.want)
			}
		})
	}
}
