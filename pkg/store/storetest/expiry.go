package storetest

import (
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// runExpirySuite tests expiry policies, expiry notices and the expiring
// keys.
func (s *suite) runExpirySuite(t *testing.T) {
	t.Run("PolicyRoundTrip", s.testPolicyRoundTrip)
	t.Run("PolicyDelete", s.testPolicyDelete)
	t.Run("NoticeRoundTrip", s.testNoticeRoundTrip)
	t.Run("NoticesGoWithTheKey", s.testNoticesGoWithKey)
	t.Run("ExpiringKeys", s.testExpiringKeys)
}

func putPolicy(t *testing.T, st store.Store, p *api.ExpiryPolicy) (created bool) {
	t.Helper()
	update(t, st, func(w store.Writer) error {
		var err error
		created, err = w.PutExpiryPolicy(t.Context(), p)
		return err
	})
	return created
}

func listPolicies(t *testing.T, st store.Store) []*api.ExpiryPolicy {
	t.Helper()
	var ps []*api.ExpiryPolicy
	view(t, st, func(r store.Reader) error {
		var err error
		ps, err = r.ListExpiryPolicies(t.Context())
		return err
	})
	return ps
}

// testPolicyRoundTrip: every scope comes back as put, a put of an
// existing name replaces it (scope included), and the list is by name.
func (s *suite) testPolicyRoundTrip(t *testing.T) {
	st := s.open(t)
	if got := listPolicies(t, st); len(got) != 0 {
		t.Fatalf("empty store lists %v", got)
	}
	policies := []*api.ExpiryPolicy{
		{Name: "z-user", User: "alice", Default: "7d"},
		{Name: "a-realm", Realm: "native", Default: "30d", Max: "90d"},
		{Name: "m-role", Role: "deployer", Max: "400h"},
	}
	for _, p := range policies {
		if !putPolicy(t, st, p) {
			t.Errorf("put %s: created = false", p.Name)
		}
	}
	got := listPolicies(t, st)
	want := []*api.ExpiryPolicy{policies[1], policies[2], policies[0]}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("list = %+v, want %+v", got, want)
	}
	replaced := &api.ExpiryPolicy{Name: "m-role", Realm: "os", Default: "1d"}
	if putPolicy(t, st, replaced) {
		t.Error("replace: created = true")
	}
	view(t, st, func(r store.Reader) error {
		p, err := r.GetExpiryPolicy(t.Context(), "m-role")
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(p, replaced) {
			t.Errorf("get after replace = %+v, want %+v", p, replaced)
		}
		if _, err := r.GetExpiryPolicy(t.Context(), "none"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("get none: %v, want ErrNotFound", err)
		}
		return nil
	})
}

// testPolicyDelete: a delete removes the policy; deleting one that does
// not exist is ErrNotFound and leaves the transaction usable.
func (s *suite) testPolicyDelete(t *testing.T) {
	st := s.open(t)
	putPolicy(t, st, &api.ExpiryPolicy{Name: "p", Role: "r", Max: "1d"})
	update(t, st, func(w store.Writer) error {
		if err := w.DeleteExpiryPolicy(t.Context(), "none"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("delete none: %v, want ErrNotFound", err)
		}
		return w.DeleteExpiryPolicy(t.Context(), "p")
	})
	if got := listPolicies(t, st); len(got) != 0 {
		t.Fatalf("after delete: %v", got)
	}
}

func getNotices(t *testing.T, st store.Store, ids ...string) []*store.ExpiryNotice {
	t.Helper()
	var ns []*store.ExpiryNotice
	view(t, st, func(r store.Reader) error {
		var err error
		ns, err = r.GetExpiryNotices(t.Context(), ids)
		return err
	})
	return ns
}

// testNoticeRoundTrip: notices come back by key id then lead, only those
// of the keys asked; a put of the same key and lead replaces it.
func (s *suite) testNoticeRoundTrip(t *testing.T) {
	st := s.open(t)
	insert(t, st, newKey("k1"), newKey("k2"), newKey("k3"))
	notices := []*store.ExpiryNotice{
		{KeyID: "k2", Lead: 86_400_000, Expiration: 1_800_000_000_000, Attempts: 2, NextAttempt: 1_700_000_060_000, LastError: "exit status 1"},
		{KeyID: "k1", Lead: 604_800_000, Expiration: 1_800_000_000_000, Delivered: ptr(int64(1_700_000_000_000)), Attempts: 1},
		{KeyID: "k1", Lead: 86_400_000, Expiration: 1_800_000_000_000},
		{KeyID: "k3", Lead: 86_400_000, Expiration: 1_800_000_000_000},
	}
	update(t, st, func(w store.Writer) error {
		for _, n := range notices {
			if err := w.PutExpiryNotice(t.Context(), n); err != nil {
				return err
			}
		}
		return nil
	})
	got := getNotices(t, st, "k2", "k1", "none")
	want := []*store.ExpiryNotice{notices[2], notices[1], notices[0]}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("notices = %+v, want %+v", got, want)
	}
	if got := getNotices(t, st); len(got) != 0 {
		t.Errorf("no ids: %v", got)
	}
	replaced := &store.ExpiryNotice{KeyID: "k2", Lead: 86_400_000, Expiration: 1_900_000_000_000, Delivered: ptr(int64(1_700_000_100_000)), Attempts: 3}
	update(t, st, func(w store.Writer) error { return w.PutExpiryNotice(t.Context(), replaced) })
	if got := getNotices(t, st, "k2"); !reflect.DeepEqual(got, []*store.ExpiryNotice{replaced}) {
		t.Fatalf("after replace = %+v", got)
	}
}

// testNoticesGoWithKey: the notices of a key deleted by the remover are
// deleted with it; the others stay.
func (s *suite) testNoticesGoWithKey(t *testing.T) {
	st := s.open(t)
	gone, kept := newKey("gone"), newKey("kept")
	gone.Expiration = ptr(int64(1_000))
	insert(t, st, gone, kept)
	update(t, st, func(w store.Writer) error {
		for _, id := range []string{"gone", "kept"} {
			if err := w.PutExpiryNotice(t.Context(), &store.ExpiryNotice{KeyID: id, Lead: 1, Expiration: 1_000}); err != nil {
				return err
			}
		}
		ids, err := w.DeleteInactiveAPIKeys(t.Context(), 2_000, 10)
		if !slices.Equal(ids, []string{"gone"}) {
			t.Errorf("deleted %v", ids)
		}
		return err
	})
	got := getNotices(t, st, "gone", "kept")
	if len(got) != 1 || got[0].KeyID != "kept" {
		t.Fatalf("notices after delete = %+v", got)
	}
}

// testExpiringKeys: the keys not invalidated with an expiration in (From,
// Until], by expiration then id, paged after a key.
func (s *suite) testExpiringKeys(t *testing.T) {
	st := s.open(t)
	mk := func(id string, exp *int64, invalidated bool) *store.APIKey {
		k := newKey(id)
		k.Expiration, k.Invalidated = exp, invalidated
		return k
	}
	insert(t, st,
		mk("before", ptr(int64(100)), false),
		mk("at-from", ptr(int64(200)), false),
		mk("b", ptr(int64(300)), false),
		mk("a", ptr(int64(300)), false),
		mk("invalidated", ptr(int64(300)), true),
		mk("never", nil, false),
		mk("c", ptr(int64(400)), false),
		mk("at-until", ptr(int64(500)), false),
		mk("after", ptr(int64(501)), false),
	)
	find := func(f store.ExpiringFilter) []string {
		var keys []*store.APIKey
		view(t, st, func(r store.Reader) error {
			var err error
			keys, err = r.ExpiringAPIKeys(t.Context(), f)
			return err
		})
		return keyIDs(keys)
	}
	for _, tc := range []struct {
		name string
		f    store.ExpiringFilter
		want []string
	}{
		{"all", store.ExpiringFilter{From: 200, Until: 500, Limit: 10}, []string{"a", "b", "c", "at-until"}},
		{"first page", store.ExpiringFilter{From: 200, Until: 500, Limit: 2}, []string{"a", "b"}},
		{"after a tie", store.ExpiringFilter{From: 200, Until: 500, AfterExpiration: 300, AfterID: "a", Limit: 2}, []string{"b", "c"}},
		{"last page", store.ExpiringFilter{From: 200, Until: 500, AfterExpiration: 400, AfterID: "c", Limit: 2}, []string{"at-until"}},
		{"no limit", store.ExpiringFilter{From: 200, Until: 500}, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := find(tc.f); !slices.Equal(got, tc.want) {
				t.Errorf("ExpiringAPIKeys(%+v) = %v, want %v", tc.f, got, tc.want)
			}
		})
	}
}
