package storetest

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// runPrivilegeSuite tests the application privileges.
func (s *suite) runPrivilegeSuite(t *testing.T) {
	t.Run("RoundTrip", s.testPrivilegeRoundTrip)
	t.Run("PutCreatedThenReplaced", s.testPrivilegePut)
	t.Run("ListFiltersAndOrders", s.testPrivilegeList)
	t.Run("Delete", s.testPrivilegeDelete)
	t.Run("DeleteNotFound", s.testPrivilegeDeleteNotFound)
}

func putPrivilege(t *testing.T, st store.Store, p *store.ApplicationPrivilege) bool {
	t.Helper()
	var created bool
	update(t, st, func(w store.Writer) error {
		var err error
		created, err = w.PutApplicationPrivilege(t.Context(), p)
		return err
	})
	return created
}

func listPrivileges(t *testing.T, st store.Store, apps ...string) []*store.ApplicationPrivilege {
	t.Helper()
	var out []*store.ApplicationPrivilege
	view(t, st, func(r store.Reader) error {
		var err error
		out, err = r.ListApplicationPrivileges(t.Context(), apps)
		return err
	})
	return out
}

func privilegeKeys(ps []*store.ApplicationPrivilege) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, p.Application+"/"+p.Name)
	}
	return out
}

// testPrivilegeRoundTrip: actions keep their order, metadata comes back
// byte for byte, and an empty metadata comes back empty (nil, zero-length
// or "{}").
func (s *suite) testPrivilegeRoundTrip(t *testing.T) {
	st := s.open(t)
	written := &store.ApplicationPrivilege{
		Application: "myapp", Name: "read",
		Actions:  []string{"data:read/*", "action:login"},
		Metadata: json.RawMessage(`{"z":1, "a":"x"}`),
	}
	putPrivilege(t, st, written)
	putPrivilege(t, st, &store.ApplicationPrivilege{Application: "myapp", Name: "bare", Actions: []string{"*"}})
	got := listPrivileges(t, st, "myapp")
	if len(got) != 2 {
		t.Fatalf("listed %v, want 2 privileges", privilegeKeys(got))
	}
	bare, read := got[0], got[1]
	if !slices.Equal(read.Actions, written.Actions) {
		t.Errorf("actions = %q, want %q", read.Actions, written.Actions)
	}
	if string(read.Metadata) != string(written.Metadata) {
		t.Errorf("metadata = %s, want %s byte for byte", read.Metadata, written.Metadata)
	}
	if len(bare.Metadata) != 0 && string(bare.Metadata) != "{}" {
		t.Errorf("empty metadata came back as %s", bare.Metadata)
	}
}

func (s *suite) testPrivilegePut(t *testing.T) {
	st := s.open(t)
	p := &store.ApplicationPrivilege{Application: "myapp", Name: "read", Actions: []string{"data:read/*"}}
	if !putPrivilege(t, st, p) {
		t.Error("first put reported created false")
	}
	replaced := &store.ApplicationPrivilege{Application: "myapp", Name: "read", Actions: []string{"data:read/*", "data:list/*"}, Metadata: json.RawMessage(`{"v":2}`)}
	if putPrivilege(t, st, replaced) {
		t.Error("second put reported created true")
	}
	if !putPrivilege(t, st, &store.ApplicationPrivilege{Application: "otherapp", Name: "read", Actions: []string{"a/b"}}) {
		t.Error("the same name in another application reported created false")
	}
	got := listPrivileges(t, st, "myapp")
	if len(got) != 1 || !slices.Equal(got[0].Actions, replaced.Actions) || !jsonEqual(got[0].Metadata, replaced.Metadata) {
		t.Errorf("after replace: %+v, want %+v", got, replaced)
	}
}

func (s *suite) testPrivilegeList(t *testing.T) {
	st := s.open(t)
	if got := listPrivileges(t, st); len(got) != 0 {
		t.Fatalf("empty store listed %v", privilegeKeys(got))
	}
	for _, k := range [][2]string{{"myapp", "write"}, {"appb", "read"}, {"myapp", "admin"}, {"zzzapp", "all"}, {"myapp-x", "read"}} {
		putPrivilege(t, st, &store.ApplicationPrivilege{Application: k[0], Name: k[1], Actions: []string{"a:b"}})
	}
	tests := []struct {
		name string
		apps []string
		want []string
	}{
		{"all", nil, []string{"appb/read", "myapp/admin", "myapp/write", "myapp-x/read", "zzzapp/all"}},
		{"one", []string{"myapp"}, []string{"myapp/admin", "myapp/write"}},
		{"several", []string{"zzzapp", "appb"}, []string{"appb/read", "zzzapp/all"}},
		{"no pattern matching", []string{"myapp*"}, []string{}},
		{"unknown", []string{"nope"}, []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := privilegeKeys(listPrivileges(t, st, tc.apps...)); !slices.Equal(got, tc.want) {
				t.Errorf("ListApplicationPrivileges(%q) = %q, want %q", tc.apps, got, tc.want)
			}
		})
	}
}

func (s *suite) testPrivilegeDelete(t *testing.T) {
	st := s.open(t)
	putPrivilege(t, st, &store.ApplicationPrivilege{Application: "myapp", Name: "read", Actions: []string{"a:b"}})
	putPrivilege(t, st, &store.ApplicationPrivilege{Application: "myapp", Name: "write", Actions: []string{"a:c"}})
	update(t, st, func(w store.Writer) error { return w.DeleteApplicationPrivilege(t.Context(), "myapp", "read") })
	if got := privilegeKeys(listPrivileges(t, st)); !slices.Equal(got, []string{"myapp/write"}) {
		t.Errorf("after delete: %q", got)
	}
}

// testPrivilegeDeleteNotFound: a missing privilege is ErrNotFound and the
// transaction stays usable.
func (s *suite) testPrivilegeDeleteNotFound(t *testing.T) {
	st := s.open(t)
	update(t, st, func(w store.Writer) error {
		if err := w.DeleteApplicationPrivilege(t.Context(), "myapp", "read"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteApplicationPrivilege(missing) = %v, want ErrNotFound", err)
		}
		_, err := w.PutApplicationPrivilege(t.Context(), &store.ApplicationPrivilege{Application: "myapp", Name: "read", Actions: []string{"a:b"}})
		return err
	})
	if got := privilegeKeys(listPrivileges(t, st)); !slices.Equal(got, []string{"myapp/read"}) {
		t.Errorf("after ErrNotFound then put: %q", got)
	}
}
