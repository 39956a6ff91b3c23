// Package storetest is the contract test suite of store.Store. Every backend
// runs it from its own tests:
//
//	func TestContract(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return openTestStore(t) })
//	}
//
// open must return a new, empty store, closed by the backend's own
// t.Cleanup. Besides the documented behaviour, the suite pins down the
// points store.go leaves to interpretation:
//
//   - an empty JSON field (nil or zero-length) comes back as an empty one,
//     nil or zero-length; non-empty JSON comes back byte for byte;
//   - nil and empty User.Roles are interchangeable;
//   - InvalidateAPIKeys counts as a write: it increments Version, so a stale
//     UpdateAPIKey cannot undo an invalidation;
//   - a method that returns ErrNotFound or ErrConflict leaves the
//     transaction usable;
//   - a panic in fn rolls the transaction back.
package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/query"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// Run runs the contract suite against the stores open returns, a fresh one
// for each subtest.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	s := &suite{open: open}
	t.Run("APIKey", func(t *testing.T) {
		t.Run("RoundTrip", s.testKeyRoundTrip)
		t.Run("GetNotFound", s.testKeyGetNotFound)
		t.Run("InsertSetsVersion", s.testKeyInsertSetsVersion)
		t.Run("InsertDuplicate", s.testKeyInsertDuplicate)
		t.Run("Update", s.testKeyUpdate)
		t.Run("UpdateClearsFields", s.testKeyUpdateClearsFields)
		t.Run("UpdateConflict", s.testKeyUpdateConflict)
		t.Run("UpdateNotFound", s.testKeyUpdateNotFound)
		t.Run("Invalidate", s.testKeyInvalidate)
		t.Run("InvalidateIdempotent", s.testKeyInvalidateIdempotent)
		t.Run("InvalidateNothing", s.testKeyInvalidateNothing)
		t.Run("UpdateAfterInvalidateConflicts", s.testKeyUpdateAfterInvalidate)
		t.Run("CertificateIdentity", s.testKeyCertificateIdentity)
		t.Run("AllowedNetworks", s.testKeyAllowedNetworks)
	})
	t.Run("FindAPIKeys", func(t *testing.T) {
		t.Run("Filters", s.testFindFilters)
		t.Run("Order", s.testFindOrder)
		t.Run("Empty", s.testFindEmpty)
	})
	t.Run("CrossClusterAccess", s.testCrossClusterAccess)
	t.Run("Retention", func(t *testing.T) {
		t.Run("InactiveIDs", s.testRetentionInactiveIDs)
		t.Run("DeleteBatches", s.testRetentionDeleteBatches)
	})
	t.Run("KeyUsage", func(t *testing.T) {
		t.Run("Merge", s.testUsageMerge)
		t.Run("UnknownKeyDropped", s.testUsageUnknownKey)
		t.Run("DeletedWithKey", s.testUsageDeletedWithKey)
		t.Run("RolledBack", s.testUsageRolledBack)
	})
	t.Run("Token", func(t *testing.T) {
		t.Run("RoundTrip", s.testTokenRoundTrip)
		t.Run("GetNotFound", s.testTokenGetNotFound)
		t.Run("InsertConflict", s.testTokenInsertConflict)
		t.Run("Update", s.testTokenUpdate)
		t.Run("Find", s.testTokenFind)
		t.Run("DeleteOld", s.testTokenDeleteOld)
	})
	t.Run("QueryAPIKeys", s.runQuerySuite)
	t.Run("Lineage", s.runLineageSuite)
	t.Run("User", func(t *testing.T) {
		t.Run("RoundTrip", s.testUserRoundTrip)
		t.Run("PutCreatedThenReplaced", s.testUserPut)
		t.Run("GetNotFound", s.testUserGetNotFound)
		t.Run("ListOrdered", s.testUserList)
		t.Run("Delete", s.testUserDelete)
		t.Run("DeleteNotFound", s.testUserDeleteNotFound)
	})
	t.Run("Role", func(t *testing.T) {
		t.Run("RoundTrip", s.testRoleRoundTrip)
		t.Run("PutCreatedThenReplaced", s.testRolePut)
		t.Run("GetNotFound", s.testRoleGetNotFound)
		t.Run("ListOrdered", s.testRoleList)
		t.Run("Delete", s.testRoleDelete)
		t.Run("DeleteNotFound", s.testRoleDeleteNotFound)
	})
	t.Run("Transaction", func(t *testing.T) {
		t.Run("RollbackOnError", s.testRollbackOnError)
		t.Run("RollbackOnPanic", s.testRollbackOnPanic)
		t.Run("ReadsOwnWrites", s.testReadsOwnWrites)
		t.Run("ErrorKeepsTransactionUsable", s.testErrorKeepsTxUsable)
		t.Run("ViewSeesCommitted", s.testViewSeesCommitted)
		t.Run("ViewIsSnapshot", s.testViewIsSnapshot)
		t.Run("ViewReturnsFnError", s.testViewReturnsFnError)
		t.Run("ConcurrentUpdatesSerialised", s.testConcurrentUpdates)
	})
	t.Run("Expiry", s.runExpirySuite)
	t.Run("ApplicationPrivileges", s.runPrivilegeSuite)
	t.Run("Copier", s.runCopierSuite)
	t.Run("Generation", s.testGeneration)
}

// testGeneration: the generation stays while nothing is written (reads
// and failed updates write nothing) and changes with every commit.
func (s *suite) testGeneration(t *testing.T) {
	st := s.open(t)
	ctx := t.Context()
	gen := func() uint64 {
		t.Helper()
		g, err := st.Generation(ctx)
		if err != nil {
			t.Fatalf("Generation: %v", err)
		}
		return g
	}
	g0 := gen()
	if _, err := getKey(t, st, "none"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("get: %v", err)
	}
	if err := st.Update(ctx, func(w store.Writer) error { return errTest }); !errors.Is(err, errTest) {
		t.Fatalf("Update = %v", err)
	}
	if g := gen(); g != g0 {
		t.Errorf("generation moved without a commit: %d, then %d", g0, g)
	}
	seen := map[uint64]bool{g0: true}
	for i := range 3 {
		insert(t, st, newKey(fmt.Sprintf("gen%d", i)))
		g := gen()
		if seen[g] {
			t.Errorf("commit %d: generation %d was seen before", i, g)
		}
		seen[g] = true
		if again := gen(); again != g {
			t.Errorf("commit %d: generation %d, then %d without a commit", i, g, again)
		}
	}
}

type suite struct {
	open func(t *testing.T) store.Store
}

// errTest is the error the suite's transaction functions fail with.
var errTest = errors.New("storetest: fn failed")

func ptr[T any](v T) *T { return &v }

// update runs fn in st.Update and fails the test on error.
func update(t *testing.T, st store.Store, fn func(w store.Writer) error) {
	t.Helper()
	if err := st.Update(t.Context(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// view runs fn in st.View and fails the test on error.
func view(t *testing.T, st store.Store, fn func(r store.Reader) error) {
	t.Helper()
	if err := st.View(t.Context(), fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

// insert stores copies of keys in one transaction.
func insert(t *testing.T, st store.Store, keys ...*store.APIKey) {
	t.Helper()
	update(t, st, func(w store.Writer) error {
		for _, k := range keys {
			c := *k
			if err := w.InsertAPIKey(t.Context(), &c); err != nil {
				return err
			}
		}
		return nil
	})
}

// getKey reads the key id in a View.
func getKey(t *testing.T, st store.Store, id string) (*store.APIKey, error) {
	t.Helper()
	var k *store.APIKey
	err := st.View(t.Context(), func(r store.Reader) error {
		var err error
		k, err = r.GetAPIKey(t.Context(), id)
		return err
	})
	return k, err
}

// mustGetKey reads the key id and fails the test when it cannot.
func mustGetKey(t *testing.T, st store.Store, id string) *store.APIKey {
	t.Helper()
	k, err := getKey(t, st, id)
	if err != nil {
		t.Fatalf("GetAPIKey(%q): %v", id, err)
	}
	return k
}

// newKey returns a key with every field set.
func newKey(id string) *store.APIKey {
	return &store.APIKey{
		ID:              id,
		Name:            "key " + id,
		Type:            "rest",
		Creation:        1_700_000_000_000,
		Expiration:      ptr(int64(1_800_000_000_000)),
		Hash:            "{PBKDF2_STRETCH}10000$c2FsdA==$aGFzaA==",
		RoleDescriptors: json.RawMessage(`{"r":{"cluster":["all"]}}`),
		LimitedBy:       json.RawMessage(`[{"superuser":{"cluster":["all"]}}]`),
		Metadata:        json.RawMessage(`{"env":"test"}`),
		Creator: store.Creator{
			Principal: "elastic",
			FullName:  ptr("Elastic Superuser"),
			Email:     ptr("elastic@example.com"),
			Metadata:  json.RawMessage(`{"_reserved":true}`),
			Realm:     "reserved",
			RealmType: "reserved",
		},
	}
}

func (s *suite) testKeyRoundTrip(t *testing.T) {
	full := newKey("full")
	full.Invalidated = true
	full.Invalidation = ptr(int64(1_750_000_000_000))

	minimal := &store.APIKey{
		ID:       "minimal",
		Name:     "",
		Type:     "rest",
		Creation: 1,
		Hash:     "{SSHA256}x",
		Creator:  store.Creator{Principal: "u", Realm: "native1", RealmType: "native"},
	}

	exactJSON := newKey("exact-json")
	// Whitespace, key order, escapes and big numbers must survive byte for
	// byte: the service answers with what it stored.
	exactJSON.RoleDescriptors = json.RawMessage("{ \"b\" : {\"cluster\":[]},\n\t\"a\":{} }")
	exactJSON.LimitedBy = json.RawMessage(`[]`)
	exactJSON.Metadata = json.RawMessage(`{"z":1,"a":"\u00e9\ud83d\ude00 é","n":123456789012345678901234567890,"f":1.50}`)
	exactJSON.Creator.Metadata = json.RawMessage(`{}`)

	emptyJSON := newKey("empty-json")
	emptyJSON.RoleDescriptors = json.RawMessage{}
	emptyJSON.LimitedBy = nil
	emptyJSON.Metadata = json.RawMessage{}
	emptyJSON.Creator.Metadata = nil

	unicode := newKey("ключ-🔑")
	unicode.Name = "名前 with 'quotes' and \"double\" and %_\\"
	unicode.Creator.Principal = "usér"
	unicode.Creator.FullName = ptr("")
	unicode.Creator.Email = ptr("")

	extremes := newKey("extremes")
	extremes.Creation = -1
	extremes.Expiration = ptr(int64(1<<63 - 1))
	extremes.Invalidation = ptr(int64(0))

	crossCluster := newKey("cross-cluster")
	crossCluster.Type = "cross_cluster"
	crossCluster.LimitedBy = json.RawMessage(`{}`)
	crossCluster.CertificateIdentity = ptr(`CN=.*\.example\.com,O=Example Corp,C=US`)

	for _, k := range []*store.APIKey{full, minimal, exactJSON, emptyJSON, unicode, extremes, crossCluster} {
		t.Run(k.ID, func(t *testing.T) {
			st := s.open(t)
			in := *k
			in.Version = 42 // ignored: a new key has version 1
			update(t, st, func(w store.Writer) error { return w.InsertAPIKey(t.Context(), &in) })
			if in.Version != 1 {
				t.Errorf("InsertAPIKey set Version %d, want 1", in.Version)
			}
			want := *k
			want.Version = 1
			got := mustGetKey(t, st, k.ID)
			if d := diffKey(&want, got); d != "" {
				t.Errorf("GetAPIKey after insert:\n%s", d)
			}
			// The same key through FindAPIKeys.
			var found []*store.APIKey
			view(t, st, func(r store.Reader) error {
				var err error
				found, err = r.FindAPIKeys(t.Context(), store.KeyFilter{IDs: []string{k.ID}})
				return err
			})
			if len(found) != 1 {
				t.Fatalf("FindAPIKeys(IDs: %q) returned %d keys, want 1", k.ID, len(found))
			}
			if d := diffKey(&want, found[0]); d != "" {
				t.Errorf("FindAPIKeys after insert:\n%s", d)
			}
		})
	}
}

func (s *suite) testKeyGetNotFound(t *testing.T) {
	st := s.open(t)
	insert(t, st, newKey("k1"))
	_, err := getKey(t, st, "k2")
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetAPIKey(missing) = %v, want ErrNotFound", err)
	}
}

func (s *suite) testKeyInsertSetsVersion(t *testing.T) {
	st := s.open(t)
	k := newKey("k1")
	k.Version = 7
	update(t, st, func(w store.Writer) error { return w.InsertAPIKey(t.Context(), k) })
	if k.Version != 1 {
		t.Errorf("k.Version = %d after insert, want 1", k.Version)
	}
	if got := mustGetKey(t, st, "k1").Version; got != 1 {
		t.Errorf("stored Version = %d, want 1", got)
	}
}

func (s *suite) testKeyInsertDuplicate(t *testing.T) {
	st := s.open(t)
	insert(t, st, newKey("k1"))
	dup := newKey("k1")
	dup.Name = "other"
	err := st.Update(t.Context(), func(w store.Writer) error { return w.InsertAPIKey(t.Context(), dup) })
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("InsertAPIKey(duplicate) = %v, want ErrConflict", err)
	}
	if got := mustGetKey(t, st, "k1").Name; got != "key k1" {
		t.Errorf("duplicate insert changed the name to %q", got)
	}
}

func (s *suite) testKeyUpdate(t *testing.T) {
	st := s.open(t)
	orig := newKey("k1")
	insert(t, st, orig)

	k := mustGetKey(t, st, "k1")
	// Mutable fields.
	k.Name = "renamed"
	k.Expiration = ptr(int64(1_900_000_000_000))
	k.Invalidated = true
	k.Invalidation = ptr(int64(1_850_000_000_000))
	k.RoleDescriptors = json.RawMessage(`{"new":{}}`)
	k.LimitedBy = json.RawMessage(`[{"other":{}}]`)
	k.Metadata = json.RawMessage(`{"env": "prod"}`)
	k.Creator = store.Creator{
		Principal: "bob", FullName: ptr("Bob"), Email: ptr("bob@example.com"),
		Metadata: json.RawMessage(`{"x":1}`), Realm: "ldap1", RealmType: "ldap",
	}
	k.CertificateIdentity = ptr("CN=new")
	want := *k
	// Immutable fields: ignored by UpdateAPIKey.
	k.Type = "cross_cluster"
	k.Creation = 5
	k.Hash = "{SSHA256}changed"

	update(t, st, func(w store.Writer) error { return w.UpdateAPIKey(t.Context(), k) })
	if k.Version != 2 {
		t.Errorf("k.Version = %d after update, want 2", k.Version)
	}
	want.Version = 2
	if d := diffKey(&want, mustGetKey(t, st, "k1")); d != "" {
		t.Errorf("after UpdateAPIKey:\n%s", d)
	}

	// A second update with the new version succeeds again.
	k.Metadata = json.RawMessage(`{}`)
	update(t, st, func(w store.Writer) error { return w.UpdateAPIKey(t.Context(), k) })
	if k.Version != 3 {
		t.Errorf("k.Version = %d after second update, want 3", k.Version)
	}
	if got := mustGetKey(t, st, "k1"); got.Version != 3 || string(got.Metadata) != `{}` {
		t.Errorf("after second update: version %d metadata %s, want 3 {}", got.Version, got.Metadata)
	}

	// A key found by its new name, and no longer by the old, by a filter
	// and by a query; an expiration cleared is none.
	k.Expiration = nil
	update(t, st, func(w store.Writer) error { return w.UpdateAPIKey(t.Context(), k) })
	if got := mustGetKey(t, st, "k1"); got.Expiration != nil {
		t.Errorf("expiration %d after it was cleared", *got.Expiration)
	}
	view(t, st, func(r store.Reader) error {
		for name, want := range map[string]int{"renamed": 1, orig.Name: 0} {
			found, err := r.FindAPIKeys(t.Context(), store.KeyFilter{Name: name})
			if err != nil {
				return err
			}
			page, err := r.QueryAPIKeys(t.Context(), &store.KeySearch{Search: query.Search{
				Query: &query.Term{Field: query.F(query.FieldName), Values: []any{name}}, Size: 10}})
			if err != nil {
				return err
			}
			if len(found) != want || page.Total != want {
				t.Errorf("name %q: FindAPIKeys %d keys, QueryAPIKeys %d, want %d", name, len(found), page.Total, want)
			}
		}
		return nil
	})
}

func (s *suite) testKeyUpdateClearsFields(t *testing.T) {
	st := s.open(t)
	insert(t, st, newKey("k1"))
	k := mustGetKey(t, st, "k1")
	k.Expiration = nil
	k.Invalidation = nil
	k.LimitedBy = nil
	k.Metadata = nil
	k.Creator.FullName = nil
	k.Creator.Email = nil
	k.Creator.Metadata = nil
	want := *k
	update(t, st, func(w store.Writer) error { return w.UpdateAPIKey(t.Context(), k) })
	want.Version = 2
	if d := diffKey(&want, mustGetKey(t, st, "k1")); d != "" {
		t.Errorf("after clearing fields:\n%s", d)
	}
}

func (s *suite) testKeyUpdateConflict(t *testing.T) {
	st := s.open(t)
	insert(t, st, newKey("k1"))
	first := mustGetKey(t, st, "k1")
	second := mustGetKey(t, st, "k1")

	first.Metadata = json.RawMessage(`{"by":"first"}`)
	update(t, st, func(w store.Writer) error { return w.UpdateAPIKey(t.Context(), first) })

	second.Metadata = json.RawMessage(`{"by":"second"}`)
	err := st.Update(t.Context(), func(w store.Writer) error { return w.UpdateAPIKey(t.Context(), second) })
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("UpdateAPIKey(stale version) = %v, want ErrConflict", err)
	}
	if second.Version != 1 {
		t.Errorf("failed update changed k.Version to %d", second.Version)
	}
	got := mustGetKey(t, st, "k1")
	if string(got.Metadata) != `{"by":"first"}` || got.Version != 2 {
		t.Errorf("after conflict: metadata %s version %d, want {\"by\":\"first\"} 2", got.Metadata, got.Version)
	}

	// A version from the future conflicts too.
	future := mustGetKey(t, st, "k1")
	future.Version = 99
	err = st.Update(t.Context(), func(w store.Writer) error { return w.UpdateAPIKey(t.Context(), future) })
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("UpdateAPIKey(future version) = %v, want ErrConflict", err)
	}
}

func (s *suite) testKeyUpdateNotFound(t *testing.T) {
	st := s.open(t)
	insert(t, st, newKey("k1"))
	k := newKey("missing")
	k.Version = 1
	err := st.Update(t.Context(), func(w store.Writer) error { return w.UpdateAPIKey(t.Context(), k) })
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("UpdateAPIKey(missing) = %v, want ErrNotFound", err)
	}
	if errors.Is(err, store.ErrConflict) {
		t.Errorf("UpdateAPIKey(missing) = %v, is also ErrConflict", err)
	}
}

func (s *suite) testKeyInvalidate(t *testing.T) {
	st := s.open(t)
	already := newKey("already")
	already.Invalidated = true
	already.Invalidation = ptr(int64(10))
	insert(t, st, newKey("a"), newKey("b"), newKey("c"), already)

	const at = 1_760_000_000_000
	var changed []string
	update(t, st, func(w store.Writer) error {
		var err error
		changed, err = w.InvalidateAPIKeys(t.Context(), store.KeyFilter{IDs: []string{"c", "missing", "already", "a", "c"}}, at)
		return err
	})
	if want := []string{"a", "c"}; !slices.Equal(changed, want) {
		t.Errorf("InvalidateAPIKeys returned %q, want %q (changed keys, by creation then id, once)", changed, want)
	}
	for _, id := range []string{"a", "c"} {
		k := mustGetKey(t, st, id)
		if !k.Invalidated || k.Invalidation == nil || *k.Invalidation != at {
			t.Errorf("key %s: invalidated %v at %s, want true at %d", id, k.Invalidated, fmtInt(k.Invalidation), int64(at))
		}
		if k.Version != 2 {
			t.Errorf("key %s: version %d after invalidation, want 2", id, k.Version)
		}
	}
	if k := mustGetKey(t, st, "b"); k.Invalidated || k.Invalidation != nil || k.Version != 1 {
		t.Errorf("key b, not listed, changed: invalidated %v at %s version %d", k.Invalidated, fmtInt(k.Invalidation), k.Version)
	}
	if k := mustGetKey(t, st, "already"); *k.Invalidation != 10 || k.Version != 1 {
		t.Errorf("already invalidated key changed: invalidation %s version %d, want 10 1", fmtInt(k.Invalidation), k.Version)
	}
}

func (s *suite) testKeyInvalidateIdempotent(t *testing.T) {
	st := s.open(t)
	insert(t, st, newKey("a"), newKey("b"))
	invalidate := func(at int64, ids ...string) []string {
		var changed []string
		update(t, st, func(w store.Writer) error {
			var err error
			changed, err = w.InvalidateAPIKeys(t.Context(), store.KeyFilter{IDs: ids}, at)
			return err
		})
		return changed
	}
	if got := invalidate(100, "a"); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("first invalidation returned %q, want [a]", got)
	}
	if got := invalidate(200, "a"); len(got) != 0 {
		t.Errorf("second invalidation of a returned %q, want none", got)
	}
	if got := invalidate(300, "a", "b"); !slices.Equal(got, []string{"b"}) {
		t.Errorf("invalidation of a, b returned %q, want [b]", got)
	}
	if k := mustGetKey(t, st, "a"); *k.Invalidation != 100 || k.Version != 2 {
		t.Errorf("key a: invalidation %s version %d, want the first: 100 2", fmtInt(k.Invalidation), k.Version)
	}
}

func (s *suite) testKeyInvalidateNothing(t *testing.T) {
	st := s.open(t)
	insert(t, st, newKey("a"))
	for name, ids := range map[string][]string{"empty": {}, "unknown": {"x", "y"}} {
		t.Run(name, func(t *testing.T) {
			update(t, st, func(w store.Writer) error {
				changed, err := w.InvalidateAPIKeys(t.Context(), store.KeyFilter{IDs: ids}, 1)
				if len(changed) != 0 {
					t.Errorf("InvalidateAPIKeys(%q) returned %q, want none", ids, changed)
				}
				return err
			})
		})
	}
	if k := mustGetKey(t, st, "a"); k.Invalidated {
		t.Error("key a was invalidated")
	}
}

func (s *suite) testKeyUpdateAfterInvalidate(t *testing.T) {
	st := s.open(t)
	insert(t, st, newKey("a"))
	stale := mustGetKey(t, st, "a")
	update(t, st, func(w store.Writer) error {
		_, err := w.InvalidateAPIKeys(t.Context(), store.KeyFilter{IDs: []string{"a"}}, 5)
		return err
	})
	stale.Metadata = json.RawMessage(`{"stale":true}`)
	err := st.Update(t.Context(), func(w store.Writer) error { return w.UpdateAPIKey(t.Context(), stale) })
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("UpdateAPIKey read before an invalidation = %v, want ErrConflict", err)
	}
	if k := mustGetKey(t, st, "a"); !k.Invalidated {
		t.Error("a stale update undid the invalidation")
	}
}

// filterFixture is the key set the filter cases query.
func filterFixture() []*store.APIKey {
	type spec struct {
		id, name, user, realm string
		creation              int64
		expiration            *int64
		invalidated           bool
	}
	specs := []spec{
		{"k01", "alpha", "alice", "native1", 100, nil, false},
		{"a00", "alpha", "eve", "native1", 100, nil, false}, // same creation: id orders
		{"k02", "alpha-2", "alice", "native1", 200, ptr(int64(1000)), false},
		{"k03", "alphabet", "bob", "ldap1", 300, ptr(int64(5000)), false},
		{"k04", "beta", "bob", "native1", 400, nil, true},
		{"k05", "50%_off", "carol", "file1", 500, nil, false},
		{"k06", "50x_off", "carol", "file1", 600, nil, false},
		{"k07", "50%xoff", "carol", "file1", 650, nil, false},
		{"k08", "日本語キー", "dave", "native1", 700, nil, false},
		{"k09", "日本", "dave", "native1", 800, ptr(int64(1500)), false},
		{"k10", "ALPHA", "alice", "native1", 900, nil, false},
		{"k11", "z\U0010FFFF", "frank", "native1", 1000, nil, false},
		{"k12", "z\U0010FFFFtail", "frank", "native1", 1100, nil, false},
		{"k13", "{after-z", "frank", "native1", 1200, nil, false},
		{"k14", "alpha", "alice", "ldap1", 1300, ptr(int64(9000)), true},
		{"k15", "alpha\\x", "alice", "native1", 1400, nil, false},
	}
	keys := make([]*store.APIKey, len(specs))
	for i, sp := range specs {
		k := newKey(sp.id)
		k.Name = sp.name
		k.Creator.Principal = sp.user
		k.Creator.Realm = sp.realm
		k.Creation = sp.creation
		k.Expiration = sp.expiration
		k.Invalidated = sp.invalidated
		if sp.invalidated {
			k.Invalidation = ptr(sp.creation + 1)
		}
		if sp.id == "k06" || sp.id == "k13" {
			k.Type = "cross_cluster"
		}
		keys[i] = k
	}
	return keys
}

func (s *suite) testFindFilters(t *testing.T) {
	st := s.open(t)
	fixture := filterFixture()
	// Insert in an order unrelated to creation, so that order is the store's.
	for i := len(fixture) - 1; i >= 0; i -= 2 {
		insert(t, st, fixture[i])
	}
	for i := len(fixture) - 2; i >= 0; i -= 2 {
		insert(t, st, fixture[i])
	}

	all := []string{"a00", "k01", "k02", "k03", "k04", "k05", "k06", "k07", "k08", "k09", "k10", "k11", "k12", "k13", "k14", "k15"}
	tests := []struct {
		name   string
		filter store.KeyFilter
		want   []string
	}{
		{"no filter", store.KeyFilter{}, all},
		{"nil ids", store.KeyFilter{IDs: nil}, all},
		{"ids", store.KeyFilter{IDs: []string{"k03", "k01", "missing"}}, []string{"k01", "k03"}},
		{"ids repeated", store.KeyFilter{IDs: []string{"k03", "k03"}}, []string{"k03"}},
		{"empty ids", store.KeyFilter{IDs: []string{}}, nil},
		{"empty ids with other filters", store.KeyFilter{IDs: []string{}, Username: "alice"}, nil},
		{"ids look like sql", store.KeyFilter{IDs: []string{"k01' OR '1'='1", "%"}}, nil},
		{"name exact", store.KeyFilter{Name: "alpha"}, []string{"a00", "k01", "k14"}},
		{"name exact is case-sensitive", store.KeyFilter{Name: "ALPHA"}, []string{"k10"}},
		{"name exact is not a prefix", store.KeyFilter{Name: "alph"}, nil},
		{"name exact percent", store.KeyFilter{Name: "50%_off"}, []string{"k05"}},
		{"name exact unicode", store.KeyFilter{Name: "日本"}, []string{"k09"}},
		{"name prefix", store.KeyFilter{Name: "alpha", NamePrefix: true}, []string{"a00", "k01", "k02", "k03", "k14", "k15"}},
		{"name prefix whole alphabet", store.KeyFilter{Name: "a", NamePrefix: true}, []string{"a00", "k01", "k02", "k03", "k14", "k15"}},
		{"name prefix empty matches all", store.KeyFilter{Name: "", NamePrefix: true}, all},
		{"name prefix is case-sensitive", store.KeyFilter{Name: "AL", NamePrefix: true}, []string{"k10"}},
		{"name prefix percent is literal", store.KeyFilter{Name: "50%", NamePrefix: true}, []string{"k05", "k07"}},
		{"name prefix percent underscore is literal", store.KeyFilter{Name: "50%_", NamePrefix: true}, []string{"k05"}},
		{"name prefix underscore is literal", store.KeyFilter{Name: "50_", NamePrefix: true}, nil},
		{"name prefix backslash is literal", store.KeyFilter{Name: "alpha\\", NamePrefix: true}, []string{"k15"}},
		{"name prefix unicode", store.KeyFilter{Name: "日本", NamePrefix: true}, []string{"k08", "k09"}},
		{"name prefix unicode longer", store.KeyFilter{Name: "日本語", NamePrefix: true}, []string{"k08"}},
		{"name prefix partial character", store.KeyFilter{Name: "日", NamePrefix: true}, []string{"k08", "k09"}},
		{"name prefix last code point", store.KeyFilter{Name: "z\U0010FFFF", NamePrefix: true}, []string{"k11", "k12"}},
		{"name prefix z", store.KeyFilter{Name: "z", NamePrefix: true}, []string{"k11", "k12"}},
		{"name prefix no match", store.KeyFilter{Name: "gamma", NamePrefix: true}, nil},
		{"username", store.KeyFilter{Username: "bob"}, []string{"k03", "k04"}},
		{"username exact", store.KeyFilter{Username: "ali"}, nil},
		{"realms one", store.KeyFilter{Realms: []string{"ldap1"}}, []string{"k03", "k14"}},
		{"realms several", store.KeyFilter{Realms: []string{"file1", "ldap1", "none"}}, []string{"k03", "k05", "k06", "k07", "k14"}},
		{"realms empty matches all", store.KeyFilter{Realms: []string{}}, all},
		{"exclude invalidated", store.KeyFilter{ExcludeInvalidated: true},
			[]string{"a00", "k01", "k02", "k03", "k05", "k06", "k07", "k08", "k09", "k10", "k11", "k12", "k13", "k15"}},
		// At 1500: k02 expired at 1000, k09 expires at 1500 (not after it),
		// k03 expires at 5000; k04 and k14 are invalidated.
		{"active at", store.KeyFilter{ActiveAt: 1500},
			[]string{"a00", "k01", "k03", "k05", "k06", "k07", "k08", "k10", "k11", "k12", "k13", "k15"}},
		{"active just before expiry", store.KeyFilter{ActiveAt: 1499, Username: "dave"}, []string{"k08", "k09"}},
		{"active before all expiries", store.KeyFilter{ActiveAt: 1, Username: "alice"}, []string{"k01", "k02", "k10", "k15"}},
		{"active after all expiries", store.KeyFilter{ActiveAt: 10_000, Username: "alice"}, []string{"k01", "k10", "k15"}},
		{"combined prefix user active", store.KeyFilter{Name: "alpha", NamePrefix: true, Username: "alice", ActiveAt: 1500},
			[]string{"k01", "k15"}},
		{"combined name user realm", store.KeyFilter{Name: "alpha", Username: "alice", Realms: []string{"ldap1"}}, []string{"k14"}},
		{"combined name user realm exclude", store.KeyFilter{Name: "alpha", Username: "alice", Realms: []string{"ldap1"}, ExcludeInvalidated: true}, nil},
		{"type", store.KeyFilter{Type: "cross_cluster"}, []string{"k06", "k13"}},
		{"type and user", store.KeyFilter{Type: "rest", Username: "carol"}, []string{"k05", "k07"}},
		{"combined ids realms", store.KeyFilter{IDs: []string{"k05", "k03", "k08"}, Realms: []string{"file1", "ldap1"}}, []string{"k03", "k05"}},
		{"combined all", store.KeyFilter{IDs: []string{"k01", "k02", "k03"}, Name: "alpha", NamePrefix: true, Username: "alice",
			Realms: []string{"native1"}, ExcludeInvalidated: true, ActiveAt: 500}, []string{"k01", "k02"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []*store.APIKey
			view(t, st, func(r store.Reader) error {
				var err error
				got, err = r.FindAPIKeys(t.Context(), tt.filter)
				return err
			})
			if ids := keyIDs(got); !slices.Equal(ids, tt.want) {
				t.Errorf("FindAPIKeys(%+v)\n got %q\nwant %q", tt.filter, ids, tt.want)
			}
			// InvalidateAPIKeys selects alike, minus the keys already
			// invalidated (in a transaction rolled back).
			var want []string
			for _, k := range got {
				if !k.Invalidated {
					want = append(want, k.ID)
				}
			}
			err := st.Update(t.Context(), func(w store.Writer) error {
				changed, err := w.InvalidateAPIKeys(t.Context(), tt.filter, 1)
				if err != nil {
					return err
				}
				if len(changed) != 0 || len(want) != 0 {
					if !slices.Equal(changed, want) {
						t.Errorf("InvalidateAPIKeys(%+v)\n got %q\nwant %q", tt.filter, changed, want)
					}
				}
				return errTest
			})
			if !errors.Is(err, errTest) {
				t.Fatalf("Update: %v", err)
			}
		})
	}
}

func (s *suite) testFindOrder(t *testing.T) {
	st := s.open(t)
	var keys []*store.APIKey
	// Creation descending with insertion, ties broken by id.
	for i, c := range []int64{50, 10, 30, 10, 20, 30, 10, -5} {
		k := newKey(fmt.Sprintf("id-%c", 'h'-i))
		k.Creation = c
		keys = append(keys, k)
	}
	insert(t, st, keys...)
	var got []*store.APIKey
	view(t, st, func(r store.Reader) error {
		var err error
		got, err = r.FindAPIKeys(t.Context(), store.KeyFilter{})
		return err
	})
	want := []string{"id-a", "id-b", "id-e", "id-g", "id-d", "id-c", "id-f", "id-h"}
	if ids := keyIDs(got); !slices.Equal(ids, want) {
		t.Errorf("FindAPIKeys order\n got %q\nwant %q (creation, then id)", ids, want)
	}
}

func (s *suite) testFindEmpty(t *testing.T) {
	st := s.open(t)
	view(t, st, func(r store.Reader) error {
		got, err := r.FindAPIKeys(t.Context(), store.KeyFilter{})
		if err != nil {
			return err
		}
		if len(got) != 0 {
			t.Errorf("FindAPIKeys on an empty store returned %d keys", len(got))
		}
		return nil
	})
}

func keyIDs(keys []*store.APIKey) []string {
	var ids []string
	for _, k := range keys {
		ids = append(ids, k.ID)
	}
	return ids
}

func newUser(name string) *store.User {
	return &store.User{
		Username:     name,
		PasswordHash: "$2a$10$abcdefghijklmnopqrstuv",
		Roles:        []string{"viewer", "editor"},
		FullName:     ptr("Full " + name),
		Email:        ptr(name + "@example.com"),
		Metadata:     json.RawMessage(`{"team": "a"}`),
		Enabled:      true,
	}
}

func putUser(t *testing.T, st store.Store, u *store.User) bool {
	t.Helper()
	var created bool
	update(t, st, func(w store.Writer) error {
		var err error
		created, err = w.PutUser(t.Context(), u)
		return err
	})
	return created
}

func getUser(t *testing.T, st store.Store, name string) (*store.User, error) {
	t.Helper()
	var u *store.User
	err := st.View(t.Context(), func(r store.Reader) error {
		var err error
		u, err = r.GetUser(t.Context(), name)
		return err
	})
	return u, err
}

func (s *suite) testUserRoundTrip(t *testing.T) {
	full := newUser("full")
	full.Reserved = true
	minimal := &store.User{Username: "minimal", PasswordHash: "h"}
	emptyRoles := newUser("empty-roles")
	emptyRoles.Roles = []string{}
	odd := newUser("ünïcødé 'user'")
	odd.Roles = []string{"z", "a", "a", "rôle with \"quotes\""}
	odd.Metadata = json.RawMessage("{\"b\":1,\n \"a\":[]}")
	odd.Enabled = false
	for _, u := range []*store.User{full, minimal, emptyRoles, odd} {
		t.Run(u.Username, func(t *testing.T) {
			st := s.open(t)
			putUser(t, st, u)
			got, err := getUser(t, st, u.Username)
			if err != nil {
				t.Fatalf("GetUser: %v", err)
			}
			if d := diffUser(u, got); d != "" {
				t.Errorf("GetUser after PutUser:\n%s", d)
			}
		})
	}
}

func (s *suite) testUserPut(t *testing.T) {
	st := s.open(t)
	u := newUser("alice")
	if !putUser(t, st, u) {
		t.Error("first PutUser reported created false")
	}
	replaced := &store.User{Username: "alice", PasswordHash: "new", Roles: []string{"admin"}, Reserved: true}
	if putUser(t, st, replaced) {
		t.Error("second PutUser reported created true")
	}
	got, err := getUser(t, st, "alice")
	if err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	if d := diffUser(replaced, got); d != "" {
		t.Errorf("PutUser did not replace every field:\n%s", d)
	}
}

func (s *suite) testUserGetNotFound(t *testing.T) {
	st := s.open(t)
	putUser(t, st, newUser("alice"))
	if _, err := getUser(t, st, "Alice"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetUser(missing) = %v, want ErrNotFound", err)
	}
}

func (s *suite) testUserList(t *testing.T) {
	st := s.open(t)
	view(t, st, func(r store.Reader) error {
		users, err := r.ListUsers(t.Context())
		if len(users) != 0 {
			t.Errorf("ListUsers on an empty store returned %d users", len(users))
		}
		return err
	})
	names := []string{"mallory", "alice", "Zed", "bob", "élodie"}
	for _, n := range names {
		putUser(t, st, newUser(n))
	}
	var users []*store.User
	view(t, st, func(r store.Reader) error {
		var err error
		users, err = r.ListUsers(t.Context())
		return err
	})
	var got []string
	for _, u := range users {
		got = append(got, u.Username)
	}
	want := slices.Clone(names)
	slices.Sort(want) // byte order
	if !slices.Equal(got, want) {
		t.Errorf("ListUsers = %q, want %q", got, want)
	}
	for _, u := range users {
		if d := diffUser(newUser(u.Username), u); d != "" {
			t.Errorf("ListUsers, user %s:\n%s", u.Username, d)
		}
	}
}

func (s *suite) testUserDelete(t *testing.T) {
	st := s.open(t)
	putUser(t, st, newUser("alice"))
	putUser(t, st, newUser("bob"))
	update(t, st, func(w store.Writer) error { return w.DeleteUser(t.Context(), "alice") })
	if _, err := getUser(t, st, "alice"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetUser after DeleteUser = %v, want ErrNotFound", err)
	}
	if _, err := getUser(t, st, "bob"); err != nil {
		t.Errorf("DeleteUser(alice) removed bob: %v", err)
	}
	if !putUser(t, st, newUser("alice")) {
		t.Error("PutUser after DeleteUser reported created false")
	}
}

func (s *suite) testUserDeleteNotFound(t *testing.T) {
	st := s.open(t)
	putUser(t, st, newUser("alice"))
	err := st.Update(t.Context(), func(w store.Writer) error { return w.DeleteUser(t.Context(), "bob") })
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("DeleteUser(missing) = %v, want ErrNotFound", err)
	}
}

func putRole(t *testing.T, st store.Store, r *store.Role) bool {
	t.Helper()
	var created bool
	update(t, st, func(w store.Writer) error {
		var err error
		created, err = w.PutRole(t.Context(), r)
		return err
	})
	return created
}

func getRole(t *testing.T, st store.Store, name string) (*store.Role, error) {
	t.Helper()
	var r *store.Role
	err := st.View(t.Context(), func(rd store.Reader) error {
		var err error
		r, err = rd.GetRole(t.Context(), name)
		return err
	})
	return r, err
}

func newRole(name string) *store.Role {
	return &store.Role{Name: name, Descriptor: json.RawMessage(`{"cluster":["monitor"],"indices":[{"names":["logs-*"],"privileges":["read"]}]}`)}
}

func (s *suite) testRoleRoundTrip(t *testing.T) {
	for _, r := range []*store.Role{
		newRole("plain"),
		{Name: "exact bytes ✓", Descriptor: json.RawMessage("{ \"run_as\" : [ ],\n\"cluster\":[\"all\"], \"metadata\":{\"n\":1e400} }")},
		{Name: "empty", Descriptor: json.RawMessage(`{}`)},
	} {
		t.Run(r.Name, func(t *testing.T) {
			st := s.open(t)
			putRole(t, st, r)
			got, err := getRole(t, st, r.Name)
			if err != nil {
				t.Fatalf("GetRole: %v", err)
			}
			if got.Name != r.Name || !jsonEqual(got.Descriptor, r.Descriptor) {
				t.Errorf("GetRole = %q %s, want %q %s", got.Name, got.Descriptor, r.Name, r.Descriptor)
			}
		})
	}
}

func (s *suite) testRolePut(t *testing.T) {
	st := s.open(t)
	if !putRole(t, st, newRole("ops")) {
		t.Error("first PutRole reported created false")
	}
	replaced := &store.Role{Name: "ops", Descriptor: json.RawMessage(`{"cluster":["all"]}`)}
	if putRole(t, st, replaced) {
		t.Error("second PutRole reported created true")
	}
	got, err := getRole(t, st, "ops")
	if err != nil {
		t.Fatalf("GetRole: %v", err)
	}
	if !jsonEqual(got.Descriptor, replaced.Descriptor) {
		t.Errorf("descriptor after replace = %s, want %s", got.Descriptor, replaced.Descriptor)
	}
}

func (s *suite) testRoleGetNotFound(t *testing.T) {
	st := s.open(t)
	putRole(t, st, newRole("ops"))
	if _, err := getRole(t, st, "OPS"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetRole(missing) = %v, want ErrNotFound", err)
	}
}

func (s *suite) testRoleList(t *testing.T) {
	st := s.open(t)
	view(t, st, func(r store.Reader) error {
		roles, err := r.ListRoles(t.Context())
		if len(roles) != 0 {
			t.Errorf("ListRoles on an empty store returned %d roles", len(roles))
		}
		return err
	})
	names := []string{"writer", "admin", "Viewer", "ops_1", "ops-1"}
	for _, n := range names {
		putRole(t, st, newRole(n))
	}
	var roles []*store.Role
	view(t, st, func(r store.Reader) error {
		var err error
		roles, err = r.ListRoles(t.Context())
		return err
	})
	var got []string
	for _, r := range roles {
		got = append(got, r.Name)
		if !jsonEqual(r.Descriptor, newRole(r.Name).Descriptor) {
			t.Errorf("ListRoles, role %s: descriptor %s", r.Name, r.Descriptor)
		}
	}
	want := slices.Clone(names)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("ListRoles = %q, want %q", got, want)
	}
}

func (s *suite) testRoleDelete(t *testing.T) {
	st := s.open(t)
	putRole(t, st, newRole("a"))
	putRole(t, st, newRole("b"))
	update(t, st, func(w store.Writer) error { return w.DeleteRole(t.Context(), "a") })
	if _, err := getRole(t, st, "a"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetRole after DeleteRole = %v, want ErrNotFound", err)
	}
	if _, err := getRole(t, st, "b"); err != nil {
		t.Errorf("DeleteRole(a) removed b: %v", err)
	}
}

func (s *suite) testRoleDeleteNotFound(t *testing.T) {
	st := s.open(t)
	putRole(t, st, newRole("a"))
	err := st.Update(t.Context(), func(w store.Writer) error { return w.DeleteRole(t.Context(), "b") })
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("DeleteRole(missing) = %v, want ErrNotFound", err)
	}
}

// writeEverything writes one record of each kind, changes the existing
// ones, and deletes some, through w.
func writeEverything(ctx context.Context, w store.Writer) error {
	if err := w.InsertAPIKey(ctx, newKey("new")); err != nil {
		return err
	}
	k, err := w.GetAPIKey(ctx, "old")
	if err != nil {
		return err
	}
	k.Metadata = json.RawMessage(`{"changed":true}`)
	if err := w.UpdateAPIKey(ctx, k); err != nil {
		return err
	}
	if _, err := w.InvalidateAPIKeys(ctx, store.KeyFilter{IDs: []string{"old2"}}, 99); err != nil {
		return err
	}
	if _, err := w.PutUser(ctx, newUser("new")); err != nil {
		return err
	}
	if err := w.DeleteUser(ctx, "old"); err != nil {
		return err
	}
	if _, err := w.PutRole(ctx, newRole("new")); err != nil {
		return err
	}
	return w.DeleteRole(ctx, "old")
}

// seedOld stores the records writeEverything changes.
func seedOld(t *testing.T, st store.Store) {
	t.Helper()
	insert(t, st, newKey("old"), newKey("old2"))
	putUser(t, st, newUser("old"))
	putRole(t, st, newRole("old"))
}

// checkUntouched fails unless st holds exactly what seedOld stored.
func checkUntouched(t *testing.T, st store.Store) {
	t.Helper()
	if _, err := getKey(t, st, "new"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("inserted key visible after rollback (err %v)", err)
	}
	want := newKey("old")
	want.Version = 1
	if d := diffKey(want, mustGetKey(t, st, "old")); d != "" {
		t.Errorf("updated key changed after rollback:\n%s", d)
	}
	if k := mustGetKey(t, st, "old2"); k.Invalidated || k.Version != 1 {
		t.Error("invalidation visible after rollback")
	}
	if _, err := getUser(t, st, "new"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("put user visible after rollback (err %v)", err)
	}
	if _, err := getUser(t, st, "old"); err != nil {
		t.Errorf("deleted user gone after rollback: %v", err)
	}
	if _, err := getRole(t, st, "new"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("put role visible after rollback (err %v)", err)
	}
	if _, err := getRole(t, st, "old"); err != nil {
		t.Errorf("deleted role gone after rollback: %v", err)
	}
}

func (s *suite) testRollbackOnError(t *testing.T) {
	st := s.open(t)
	seedOld(t, st)
	err := st.Update(t.Context(), func(w store.Writer) error {
		if err := writeEverything(t.Context(), w); err != nil {
			t.Fatalf("writes inside Update: %v", err)
		}
		return fmt.Errorf("wrapped: %w", errTest)
	})
	if !errors.Is(err, errTest) {
		t.Fatalf("Update = %v, want fn's error", err)
	}
	checkUntouched(t, st)
	// The store is still usable.
	insert(t, st, newKey("after"))
}

func (s *suite) testRollbackOnPanic(t *testing.T) {
	st := s.open(t)
	seedOld(t, st)
	func() {
		defer func() {
			if r := recover(); r != errTest {
				t.Fatalf("recovered %v, want the panic of fn", r)
			}
		}()
		_ = st.Update(t.Context(), func(w store.Writer) error {
			if err := writeEverything(t.Context(), w); err != nil {
				t.Fatalf("writes inside Update: %v", err)
			}
			panic(errTest)
		})
	}()
	checkUntouched(t, st)
	insert(t, st, newKey("after")) // the write transaction was released
}

func (s *suite) testReadsOwnWrites(t *testing.T) {
	st := s.open(t)
	seedOld(t, st)
	update(t, st, func(w store.Writer) error {
		ctx := t.Context()
		if err := writeEverything(ctx, w); err != nil {
			return err
		}
		if _, err := w.GetAPIKey(ctx, "new"); err != nil {
			t.Errorf("GetAPIKey of a key inserted in the transaction: %v", err)
		}
		if k, err := w.GetAPIKey(ctx, "old"); err != nil {
			t.Errorf("GetAPIKey of a key updated in the transaction: %v", err)
		} else if k.Version != 2 || string(k.Metadata) != `{"changed":true}` {
			t.Errorf("GetAPIKey of a key updated in the transaction: version %d metadata %s", k.Version, k.Metadata)
		}
		if keys, err := w.FindAPIKeys(ctx, store.KeyFilter{ExcludeInvalidated: true}); err != nil || !slices.Equal(keyIDs(keys), []string{"new", "old"}) {
			t.Errorf("FindAPIKeys in the transaction = %q, %v; want [new old]", keyIDs(keys), err)
		}
		if _, err := w.GetUser(ctx, "old"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetUser of a user deleted in the transaction = %v, want ErrNotFound", err)
		}
		if users, err := w.ListUsers(ctx); err != nil || len(users) != 1 || users[0].Username != "new" {
			t.Errorf("ListUsers in the transaction = %d users, %v; want [new]", len(users), err)
		}
		if roles, err := w.ListRoles(ctx); err != nil || len(roles) != 1 || roles[0].Name != "new" {
			t.Errorf("ListRoles in the transaction = %d roles, %v; want [new]", len(roles), err)
		}
		return nil
	})
}

func (s *suite) testErrorKeepsTxUsable(t *testing.T) {
	st := s.open(t)
	insert(t, st, newKey("k1"))
	stale := mustGetKey(t, st, "k1")
	stale.Version = 9
	update(t, st, func(w store.Writer) error {
		ctx := t.Context()
		if err := w.InsertAPIKey(ctx, newKey("k1")); !errors.Is(err, store.ErrConflict) {
			t.Errorf("InsertAPIKey(duplicate) = %v, want ErrConflict", err)
		}
		if err := w.UpdateAPIKey(ctx, stale); !errors.Is(err, store.ErrConflict) {
			t.Errorf("UpdateAPIKey(stale) = %v, want ErrConflict", err)
		}
		missing := newKey("missing")
		if err := w.UpdateAPIKey(ctx, missing); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UpdateAPIKey(missing) = %v, want ErrNotFound", err)
		}
		if _, err := w.GetAPIKey(ctx, "missing"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetAPIKey(missing) = %v, want ErrNotFound", err)
		}
		if err := w.DeleteUser(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteUser(missing) = %v, want ErrNotFound", err)
		}
		if err := w.DeleteRole(ctx, "nothing"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteRole(missing) = %v, want ErrNotFound", err)
		}
		// The transaction goes on and commits.
		return w.InsertAPIKey(ctx, newKey("k2"))
	})
	if _, err := getKey(t, st, "k2"); err != nil {
		t.Errorf("write after handled errors was not committed: %v", err)
	}
}

func (s *suite) testViewSeesCommitted(t *testing.T) {
	st := s.open(t)
	for i := range 3 {
		id := fmt.Sprintf("k%d", i)
		insert(t, st, newKey(id))
		putUser(t, st, newUser(id))
		putRole(t, st, newRole(id))
		view(t, st, func(r store.Reader) error {
			ctx := t.Context()
			keys, err := r.FindAPIKeys(ctx, store.KeyFilter{})
			if err != nil {
				return err
			}
			users, err := r.ListUsers(ctx)
			if err != nil {
				return err
			}
			roles, err := r.ListRoles(ctx)
			if err != nil {
				return err
			}
			if len(keys) != i+1 || len(users) != i+1 || len(roles) != i+1 {
				t.Errorf("after %d commits View sees %d keys, %d users, %d roles", i+1, len(keys), len(users), len(roles))
			}
			return nil
		})
	}
}

// testViewIsSnapshot commits a write while a View is open: the View goes
// on seeing the state of its start, and the write does not wait for it.
func (s *suite) testViewIsSnapshot(t *testing.T) {
	st := s.open(t)
	insert(t, st, newKey("k1"))
	view(t, st, func(r store.Reader) error {
		ctx := t.Context()
		before, err := r.FindAPIKeys(ctx, store.KeyFilter{})
		if err != nil {
			return err
		}
		done := make(chan error, 1)
		go func() {
			done <- st.Update(ctx, func(w store.Writer) error {
				if err := w.InsertAPIKey(ctx, newKey("k2")); err != nil {
					return err
				}
				k, err := w.GetAPIKey(ctx, "k1")
				if err != nil {
					return err
				}
				k.Metadata = json.RawMessage(`{"changed":true}`)
				return w.UpdateAPIKey(ctx, k)
			})
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Update during View: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Update waited for an open View")
		}
		after, err := r.FindAPIKeys(ctx, store.KeyFilter{})
		if err != nil {
			return err
		}
		if len(before) != 1 || len(after) != 1 {
			t.Errorf("View saw %d then %d keys, want 1 and 1", len(before), len(after))
		}
		k, err := r.GetAPIKey(ctx, "k1")
		if err != nil {
			return err
		}
		if k.Version != 1 || string(k.Metadata) != string(newKey("k1").Metadata) {
			t.Errorf("View saw a write committed after it began: version %d metadata %s", k.Version, k.Metadata)
		}
		return nil
	})
	if got := mustGetKey(t, st, "k1"); got.Version != 2 {
		t.Errorf("a new View sees version %d, want 2", got.Version)
	}
}

func (s *suite) testViewReturnsFnError(t *testing.T) {
	st := s.open(t)
	err := st.View(t.Context(), func(r store.Reader) error {
		_, err := r.GetAPIKey(t.Context(), "missing")
		return fmt.Errorf("view: %w", err)
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("View = %v, want fn's ErrNotFound", err)
	}
	err = st.View(t.Context(), func(store.Reader) error { return errTest })
	if !errors.Is(err, errTest) {
		t.Fatalf("View = %v, want fn's error", err)
	}
}

// testConcurrentUpdates runs read-modify-write transactions from many
// goroutines: serialised, none sees a stale version and none is lost.
func (s *suite) testConcurrentUpdates(t *testing.T) {
	st := s.open(t)
	insert(t, st, newKey("counter"))
	const goroutines, rounds = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*rounds)
	for g := range goroutines {
		wg.Go(func() {
			for i := range rounds {
				errs <- st.Update(t.Context(), func(w store.Writer) error {
					k, err := w.GetAPIKey(t.Context(), "counter")
					if err != nil {
						return err
					}
					k.Metadata = json.RawMessage(fmt.Sprintf(`{"g":%d,"i":%d}`, g, i))
					return w.UpdateAPIKey(t.Context(), k)
				})
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent Update: %v", err)
		}
	}
	if got, want := mustGetKey(t, st, "counter").Version, int64(1+goroutines*rounds); got != want {
		t.Errorf("version after %d updates = %d, want %d", goroutines*rounds, got, want)
	}
}

// jsonEqual reports whether two JSON fields hold the same bytes, an empty
// field being nil or zero-length alike.
func jsonEqual(a, b json.RawMessage) bool {
	return bytes.Equal(a, b)
}

func fmtInt(p *int64) string {
	if p == nil {
		return "<nil>"
	}
	return fmt.Sprint(*p)
}

func fmtString(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%q", *p)
}

// differ collects field differences.
type differ []string

func (d *differ) add(field string, want, got any, equal bool) {
	if !equal {
		*d = append(*d, fmt.Sprintf("  %s: got %v, want %v", field, got, want))
	}
}

func (d *differ) int(field string, want, got *int64) {
	d.add(field, fmtInt(want), fmtInt(got), (want == nil) == (got == nil) && (want == nil || *want == *got))
}

func (d *differ) str(field string, want, got *string) {
	d.add(field, fmtString(want), fmtString(got), (want == nil) == (got == nil) && (want == nil || *want == *got))
}

func (d *differ) json(field string, want, got json.RawMessage) {
	d.add(field, fmt.Sprintf("%q", want), fmt.Sprintf("%q", got), jsonEqual(want, got))
}

func (d differ) String() string { return strings.Join(d, "\n") }

// diffKey describes how got differs from want, or returns "".
func diffKey(want, got *store.APIKey) string {
	var d differ
	d.add("ID", fmt.Sprintf("%q", want.ID), fmt.Sprintf("%q", got.ID), want.ID == got.ID)
	d.add("Name", fmt.Sprintf("%q", want.Name), fmt.Sprintf("%q", got.Name), want.Name == got.Name)
	d.add("Type", want.Type, got.Type, want.Type == got.Type)
	d.add("Creation", want.Creation, got.Creation, want.Creation == got.Creation)
	d.int("Expiration", want.Expiration, got.Expiration)
	d.add("Invalidated", want.Invalidated, got.Invalidated, want.Invalidated == got.Invalidated)
	d.int("Invalidation", want.Invalidation, got.Invalidation)
	d.add("Hash", want.Hash, got.Hash, want.Hash == got.Hash)
	d.json("RoleDescriptors", want.RoleDescriptors, got.RoleDescriptors)
	d.json("LimitedBy", want.LimitedBy, got.LimitedBy)
	d.json("Metadata", want.Metadata, got.Metadata)
	d.add("Creator.Principal", want.Creator.Principal, got.Creator.Principal, want.Creator.Principal == got.Creator.Principal)
	d.str("Creator.FullName", want.Creator.FullName, got.Creator.FullName)
	d.str("Creator.Email", want.Creator.Email, got.Creator.Email)
	d.json("Creator.Metadata", want.Creator.Metadata, got.Creator.Metadata)
	d.add("Creator.Realm", want.Creator.Realm, got.Creator.Realm, want.Creator.Realm == got.Creator.Realm)
	d.add("Creator.RealmType", want.Creator.RealmType, got.Creator.RealmType, want.Creator.RealmType == got.Creator.RealmType)
	d.str("CertificateIdentity", want.CertificateIdentity, got.CertificateIdentity)
	d.add("AllowedNetworks", fmt.Sprintf("%q", want.AllowedNetworks), fmt.Sprintf("%q", got.AllowedNetworks), slices.Equal(want.AllowedNetworks, got.AllowedNetworks))
	d.add("Version", want.Version, got.Version, want.Version == got.Version)
	return d.String()
}

// diffUser describes how got differs from want, or returns "". Nil and
// empty Roles are equal.
func diffUser(want, got *store.User) string {
	var d differ
	d.add("Username", fmt.Sprintf("%q", want.Username), fmt.Sprintf("%q", got.Username), want.Username == got.Username)
	d.add("PasswordHash", want.PasswordHash, got.PasswordHash, want.PasswordHash == got.PasswordHash)
	d.add("Roles", fmt.Sprintf("%q", want.Roles), fmt.Sprintf("%q", got.Roles), slices.Equal(want.Roles, got.Roles))
	d.str("FullName", want.FullName, got.FullName)
	d.str("Email", want.Email, got.Email)
	d.json("Metadata", want.Metadata, got.Metadata)
	d.add("Enabled", want.Enabled, got.Enabled, want.Enabled == got.Enabled)
	d.add("Reserved", want.Reserved, got.Reserved, want.Reserved == got.Reserved)
	return d.String()
}

// testKeyCertificateIdentity follows a cross-cluster key's certificate
// identity through every read and every kind of update: set, kept by an
// update of other fields, replaced, cleared, and set to the empty pattern
// (a valid one, told apart from none).
func (s *suite) testKeyCertificateIdentity(t *testing.T) {
	st := s.open(t)
	k := newKey("cc")
	k.Type = "cross_cluster"
	k.CertificateIdentity = ptr("CN=remote-1,O=Example")
	insert(t, st, k)
	insert(t, st, newKey("rest"))

	read := func(id string) (viaGet, viaFind, viaQuery *string) {
		t.Helper()
		viaGet = mustGetKey(t, st, id).CertificateIdentity
		view(t, st, func(r store.Reader) error {
			found, err := r.FindAPIKeys(t.Context(), store.KeyFilter{IDs: []string{id}})
			if err != nil || len(found) != 1 {
				return fmt.Errorf("find %q: %d keys, %v", id, len(found), err)
			}
			viaFind = found[0].CertificateIdentity
			req, err := query.Parse(fmt.Appendf(nil, `{"query":{"ids":{"values":[%q]}}}`, id), query.Options{Now: fixtureNow})
			if err != nil {
				return err
			}
			page, err := r.QueryAPIKeys(t.Context(), &store.KeySearch{Search: req.Search})
			if err != nil || len(page.Keys) != 1 {
				return fmt.Errorf("query %q: %v", id, err)
			}
			viaQuery = page.Keys[0].CertificateIdentity
			return nil
		})
		return viaGet, viaFind, viaQuery
	}
	expect := func(step, id string, want *string) {
		t.Helper()
		g, f, q := read(id)
		for _, got := range []struct {
			how string
			v   *string
		}{{"GetAPIKey", g}, {"FindAPIKeys", f}, {"QueryAPIKeys", q}} {
			if !equalStr(got.v, want) {
				t.Errorf("%s: %s(%s).CertificateIdentity = %s, want %s", step, got.how, id, show(got.v), show(want))
			}
		}
	}
	change := func(fn func(k *store.APIKey)) {
		t.Helper()
		update(t, st, func(w store.Writer) error {
			k, err := w.GetAPIKey(t.Context(), "cc")
			if err != nil {
				return err
			}
			fn(k)
			return w.UpdateAPIKey(t.Context(), k)
		})
	}

	expect("after insert", "cc", ptr("CN=remote-1,O=Example"))
	expect("a key without one", "rest", nil)
	change(func(k *store.APIKey) { k.Metadata = json.RawMessage(`{"env":"prod"}`) })
	expect("after a metadata update", "cc", ptr("CN=remote-1,O=Example"))
	change(func(k *store.APIKey) { k.CertificateIdentity = ptr(`CN=remote-[0-9]+,O=Example`) })
	expect("after replacing it", "cc", ptr(`CN=remote-[0-9]+,O=Example`))
	change(func(k *store.APIKey) { k.CertificateIdentity = ptr("") })
	expect("after setting the empty pattern", "cc", ptr(""))
	change(func(k *store.APIKey) { k.CertificateIdentity = nil })
	expect("after clearing it", "cc", nil)
	if got := mustGetKey(t, st, "cc").Version; got != 5 {
		t.Errorf("version after four updates = %d, want 5", got)
	}
}

func equalStr(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func show(p *string) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprintf("%q", *p)
}

// testKeyAllowedNetworks follows a key's allowed networks through every
// read and every kind of update: set at insert, kept by an update of
// other fields, replaced (order kept), cleared; a key without any reads
// back nil.
func (s *suite) testKeyAllowedNetworks(t *testing.T) {
	st := s.open(t)
	k := newKey("bound")
	k.AllowedNetworks = []string{"10.0.0.0/8", "2001:db8::/32", "local"}
	insert(t, st, k)
	insert(t, st, newKey("free"))

	read := func(id string) map[string][]string {
		t.Helper()
		got := map[string][]string{"GetAPIKey": mustGetKey(t, st, id).AllowedNetworks}
		view(t, st, func(r store.Reader) error {
			found, err := r.FindAPIKeys(t.Context(), store.KeyFilter{IDs: []string{id}})
			if err != nil || len(found) != 1 {
				return fmt.Errorf("find %q: %d keys, %v", id, len(found), err)
			}
			got["FindAPIKeys"] = found[0].AllowedNetworks
			req, err := query.Parse(fmt.Appendf(nil, `{"query":{"ids":{"values":[%q]}}}`, id), query.Options{Now: fixtureNow})
			if err != nil {
				return err
			}
			page, err := r.QueryAPIKeys(t.Context(), &store.KeySearch{Search: req.Search})
			if err != nil || len(page.Keys) != 1 {
				return fmt.Errorf("query %q: %v", id, err)
			}
			got["QueryAPIKeys"] = page.Keys[0].AllowedNetworks
			return nil
		})
		return got
	}
	expect := func(step, id string, want []string) {
		t.Helper()
		for how, got := range read(id) {
			if !slices.Equal(got, want) || (want == nil) != (got == nil) {
				t.Errorf("%s: %s(%s).AllowedNetworks = %q, want %q", step, how, id, got, want)
			}
		}
	}
	change := func(fn func(k *store.APIKey)) {
		t.Helper()
		update(t, st, func(w store.Writer) error {
			k, err := w.GetAPIKey(t.Context(), "bound")
			if err != nil {
				return err
			}
			fn(k)
			return w.UpdateAPIKey(t.Context(), k)
		})
	}

	expect("after insert", "bound", []string{"10.0.0.0/8", "2001:db8::/32", "local"})
	expect("a key without any", "free", nil)
	change(func(k *store.APIKey) { k.Metadata = json.RawMessage(`{"env":"prod"}`) })
	expect("after a metadata update", "bound", []string{"10.0.0.0/8", "2001:db8::/32", "local"})
	change(func(k *store.APIKey) { k.AllowedNetworks = []string{"192.0.2.7/32", "10.0.0.0/8"} })
	expect("after replacing them", "bound", []string{"192.0.2.7/32", "10.0.0.0/8"})
	change(func(k *store.APIKey) { k.AllowedNetworks = nil })
	expect("after clearing them", "bound", nil)
	if got := mustGetKey(t, st, "bound").Version; got != 4 {
		t.Errorf("version after three updates = %d, want 4", got)
	}
}
