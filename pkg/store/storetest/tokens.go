package storetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// This file holds the contract of the OAuth2 token records and of the
// retention of API keys.

// newToken returns a token with every field set.
func newToken(id string) *store.Token {
	return &store.Token{
		ID:          id,
		AccessHash:  "access-" + id,
		RefreshHash: "refresh-" + id,
		Creation:    1_700_000_000_000,
		Expiration:  1_700_000_001_200,
		Principal:   "bob",
		Realm:       "default_native",
		Subject:     json.RawMessage(`{"username":"bob","realm":{"name":"default_native","type":"native"}}`),
		Client:      json.RawMessage(`{"username":"elastic","realm":{"name":"reserved","type":"reserved"}}`),
	}
}

func insertTokens(t *testing.T, st store.Store, tokens ...*store.Token) {
	t.Helper()
	update(t, st, func(w store.Writer) error {
		for _, tok := range tokens {
			c := *tok
			if err := w.InsertToken(t.Context(), &c); err != nil {
				return err
			}
		}
		return nil
	})
}

func getTokenBy(t *testing.T, st store.Store, refresh bool, hash string) (*store.Token, error) {
	t.Helper()
	var tok *store.Token
	err := st.View(t.Context(), func(r store.Reader) error {
		var err error
		if refresh {
			tok, err = r.GetTokenByRefreshHash(t.Context(), hash)
		} else {
			tok, err = r.GetTokenByAccessHash(t.Context(), hash)
		}
		return err
	})
	return tok, err
}

func mustGetToken(t *testing.T, st store.Store, accessHash string) *store.Token {
	t.Helper()
	tok, err := getTokenBy(t, st, false, accessHash)
	if err != nil {
		t.Fatalf("GetTokenByAccessHash(%q): %v", accessHash, err)
	}
	return tok
}

// diffToken describes how got differs from want, "" when equal.
func diffToken(want, got *store.Token) string {
	var d bytes.Buffer
	cmp := func(field string, w, g any) {
		if fmt.Sprint(w) != fmt.Sprint(g) {
			fmt.Fprintf(&d, "  %s: got %v, want %v\n", field, g, w)
		}
	}
	cmp("ID", want.ID, got.ID)
	cmp("AccessHash", want.AccessHash, got.AccessHash)
	cmp("RefreshHash", want.RefreshHash, got.RefreshHash)
	cmp("Creation", want.Creation, got.Creation)
	cmp("Expiration", want.Expiration, got.Expiration)
	cmp("Invalidated", want.Invalidated, got.Invalidated)
	cmp("RefreshInvalidated", want.RefreshInvalidated, got.RefreshInvalidated)
	cmp("Refreshed", want.Refreshed, got.Refreshed)
	cmp("RefreshTime", fmtInt(want.RefreshTime), fmtInt(got.RefreshTime))
	cmp("Superseding", want.Superseding, got.Superseding)
	cmp("Principal", want.Principal, got.Principal)
	cmp("Realm", want.Realm, got.Realm)
	cmp("Subject", string(want.Subject), string(got.Subject))
	cmp("Client", string(want.Client), string(got.Client))
	cmp("Version", want.Version, got.Version)
	return d.String()
}

func (s *suite) testTokenRoundTrip(t *testing.T) {
	full := newToken("full")
	full.Invalidated, full.RefreshInvalidated, full.Refreshed = true, true, true
	full.RefreshTime = ptr(int64(1_700_000_000_500))
	full.Superseding = "c2VhbGVk"
	withoutRefresh := newToken("client-credentials")
	withoutRefresh.RefreshHash = ""
	withoutRefresh.Client = nil
	for _, tok := range []*store.Token{full, withoutRefresh} {
		t.Run(tok.ID, func(t *testing.T) {
			st := s.open(t)
			in := *tok
			in.Version = 9
			update(t, st, func(w store.Writer) error { return w.InsertToken(t.Context(), &in) })
			if in.Version != 1 {
				t.Errorf("InsertToken set Version %d, want 1", in.Version)
			}
			want := *tok
			want.Version = 1
			if d := diffToken(&want, mustGetToken(t, st, tok.AccessHash)); d != "" {
				t.Errorf("GetTokenByAccessHash after insert:\n%s", d)
			}
			if tok.RefreshHash == "" {
				return
			}
			got, err := getTokenBy(t, st, true, tok.RefreshHash)
			if err != nil {
				t.Fatalf("GetTokenByRefreshHash: %v", err)
			}
			if d := diffToken(&want, got); d != "" {
				t.Errorf("GetTokenByRefreshHash after insert:\n%s", d)
			}
		})
	}
}

func (s *suite) testTokenGetNotFound(t *testing.T) {
	st := s.open(t)
	noRefresh := newToken("n")
	noRefresh.RefreshHash = ""
	insertTokens(t, st, newToken("a"), noRefresh)
	for _, c := range []struct {
		name    string
		refresh bool
		hash    string
	}{
		{"unknown access hash", false, "access-x"},
		{"a refresh hash is not an access hash", false, "refresh-a"},
		{"unknown refresh hash", true, "refresh-x"},
		{"empty refresh hash never matches a token without one", true, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := getTokenBy(t, st, c.refresh, c.hash); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("got %v, want ErrNotFound", err)
			}
		})
	}
}

func (s *suite) testTokenInsertConflict(t *testing.T) {
	st := s.open(t)
	insertTokens(t, st, newToken("a"))
	sameID := newToken("a")
	sameID.AccessHash, sameID.RefreshHash = "other-access", "other-refresh"
	sameAccess := newToken("b")
	sameAccess.AccessHash = "access-a"
	sameRefresh := newToken("c")
	sameRefresh.RefreshHash = "refresh-a"
	for name, tok := range map[string]*store.Token{"id": sameID, "access hash": sameAccess, "refresh hash": sameRefresh} {
		t.Run(name, func(t *testing.T) {
			update(t, st, func(w store.Writer) error {
				err := w.InsertToken(t.Context(), tok)
				if !errors.Is(err, store.ErrConflict) {
					t.Errorf("InsertToken with a duplicate %s = %v, want ErrConflict", name, err)
				}
				// The transaction stays usable.
				_, err = w.GetTokenByAccessHash(t.Context(), "access-a")
				return err
			})
		})
	}
	// Two tokens without refresh tokens do not collide on the empty hash.
	x, y := newToken("x"), newToken("y")
	x.RefreshHash, y.RefreshHash = "", ""
	insertTokens(t, st, x, y)
}

func (s *suite) testTokenUpdate(t *testing.T) {
	st := s.open(t)
	insertTokens(t, st, newToken("a"))
	tok := mustGetToken(t, st, "access-a")
	tok.Invalidated, tok.RefreshInvalidated, tok.Refreshed = true, true, true
	tok.RefreshTime = ptr(int64(5))
	tok.Superseding = "sealed"
	// Immutable fields are not written.
	tok.Principal, tok.Expiration = "mallory", 1
	update(t, st, func(w store.Writer) error { return w.UpdateToken(t.Context(), tok) })
	if tok.Version != 2 {
		t.Errorf("Version after UpdateToken = %d, want 2", tok.Version)
	}
	want := newToken("a")
	want.Invalidated, want.RefreshInvalidated, want.Refreshed = true, true, true
	want.RefreshTime = ptr(int64(5))
	want.Superseding = "sealed"
	want.Version = 2
	if d := diffToken(want, mustGetToken(t, st, "access-a")); d != "" {
		t.Errorf("after UpdateToken:\n%s", d)
	}

	// A stale version conflicts and changes nothing; a missing token is
	// not found.
	stale := *tok
	stale.Version = 1
	stale.Invalidated = false
	update(t, st, func(w store.Writer) error {
		if err := w.UpdateToken(t.Context(), &stale); !errors.Is(err, store.ErrConflict) {
			t.Errorf("UpdateToken(stale) = %v, want ErrConflict", err)
		}
		missing := newToken("missing")
		missing.Version = 1
		if err := w.UpdateToken(t.Context(), missing); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UpdateToken(missing) = %v, want ErrNotFound", err)
		}
		return nil
	})
	if !mustGetToken(t, st, "access-a").Invalidated {
		t.Error("a stale UpdateToken undid the invalidation")
	}
}

func (s *suite) testTokenFind(t *testing.T) {
	st := s.open(t)
	const now = 1_700_000_100_000
	const refreshSince = now - 86_400_000
	active := newToken("active") // access valid at now
	active.Expiration = now + 1
	expiredRefreshable := newToken("refreshable")
	expiredRefreshable.Expiration = now - 1
	expiredRefreshable.Creation = refreshSince
	expiredDone := newToken("done")
	expiredDone.Expiration = now - 1
	expiredDone.RefreshHash = ""
	invalidated := newToken("invalidated")
	invalidated.Expiration = now + 1
	invalidated.Invalidated, invalidated.RefreshInvalidated = true, true
	tooOld := newToken("too-old")
	tooOld.Expiration = now - 1
	tooOld.Creation = refreshSince - 1
	otherRealm := newToken("other-realm")
	otherRealm.Realm = "reserved"
	otherRealm.Expiration = now + 1
	otherUser := newToken("other-user")
	otherUser.Principal = "alice"
	otherUser.Expiration = now + 1
	otherUser.Creation = 1_700_000_000_001
	insertTokens(t, st, active, expiredRefreshable, expiredDone, invalidated, tooOld, otherRealm, otherUser)

	for _, c := range []struct {
		name string
		f    store.TokenFilter
		want []string
	}{
		{"all", store.TokenFilter{}, []string{"too-old", "refreshable", "active", "done", "invalidated", "other-realm", "other-user"}},
		{"realm", store.TokenFilter{Realm: "reserved"}, []string{"other-realm"}},
		{"principal", store.TokenFilter{Principal: "alice"}, []string{"other-user"}},
		{"realm and principal", store.TokenFilter{Realm: "default_native", Principal: "bob"}, []string{"too-old", "refreshable", "active", "done", "invalidated"}},
		{"active", store.TokenFilter{Principal: "bob", ActiveAt: now, RefreshSince: refreshSince}, []string{"refreshable", "active", "other-realm"}},
		{"nothing", store.TokenFilter{Principal: "nobody"}, []string{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got []*store.Token
			view(t, st, func(r store.Reader) error {
				var err error
				got, err = r.FindTokens(t.Context(), c.f)
				return err
			})
			ids := []string{}
			for _, tok := range got {
				ids = append(ids, tok.ID)
			}
			// Order is by creation, then id.
			if !slices.Equal(ids, c.want) {
				t.Errorf("FindTokens(%+v) = %q, want %q", c.f, ids, c.want)
			}
		})
	}
}

func (s *suite) testTokenDeleteOld(t *testing.T) {
	st := s.open(t)
	var tokens []*store.Token
	for i := range 5 {
		tok := newToken(fmt.Sprintf("t%d", i))
		tok.Creation = int64(100 + i)
		tokens = append(tokens, tok)
	}
	insertTokens(t, st, tokens...)
	del := func(before int64, limit int) int {
		var n int
		update(t, st, func(w store.Writer) error {
			var err error
			n, err = w.DeleteTokensCreatedBefore(t.Context(), before, limit)
			return err
		})
		return n
	}
	if n := del(103, 0); n != 0 {
		t.Errorf("limit 0 deleted %d", n)
	}
	if n := del(103, 2); n != 2 {
		t.Errorf("first batch deleted %d, want 2", n)
	}
	if n := del(103, 10); n != 1 {
		t.Errorf("second batch deleted %d, want 1 (created at 100, 101, 102 are before 103)", n)
	}
	for i, want := range []bool{false, false, false, true, true} {
		_, err := getTokenBy(t, st, false, fmt.Sprintf("access-t%d", i))
		if exists := err == nil; exists != want {
			t.Errorf("token t%d exists = %v, want %v (%v)", i, exists, want, err)
		}
	}
}

// retentionFixture returns keys on both sides of the cutoff 1000 for
// every branch of the retention rule.
func retentionFixture() (keys []*store.APIKey, inactive []string) {
	mk := func(id string, expiration *int64, invalidated bool, invalidation *int64) *store.APIKey {
		k := newKey(id)
		k.Expiration = expiration
		k.Invalidated = invalidated
		k.Invalidation = invalidation
		return k
	}
	keys = []*store.APIKey{
		mk("active-no-expiry", nil, false, nil),
		mk("active-expires-later", ptr(int64(5000)), false, nil),
		mk("expired-inside-period", ptr(int64(1001)), false, nil),
		mk("expired-at-cutoff", ptr(int64(1000)), false, nil),
		mk("expired-long-ago", ptr(int64(1)), false, nil),
		mk("invalidated-inside-period", nil, true, ptr(int64(1001))),
		mk("invalidated-at-cutoff", nil, true, ptr(int64(1000))),
		mk("invalidated-unknown-instant", nil, true, nil),
		mk("invalidated-recently-expired-long-ago", ptr(int64(1)), true, ptr(int64(4000))),
		mk("invalidated-long-ago-expires-later", ptr(int64(9000)), true, ptr(int64(2))),
		mk("not-invalidated-stale-instant", nil, false, ptr(int64(2))),
	}
	inactive = []string{
		"expired-at-cutoff", "expired-long-ago",
		"invalidated-at-cutoff", "invalidated-long-ago-expires-later",
		"invalidated-recently-expired-long-ago", "invalidated-unknown-instant",
	}
	return keys, inactive
}

func (s *suite) testRetentionInactiveIDs(t *testing.T) {
	st := s.open(t)
	keys, inactive := retentionFixture()
	insert(t, st, keys...)
	var got []string
	view(t, st, func(r store.Reader) error {
		var err error
		got, err = r.InactiveAPIKeyIDs(t.Context(), 1000)
		return err
	})
	if !slices.Equal(got, inactive) {
		t.Errorf("InactiveAPIKeyIDs(1000) =\n  %q\nwant\n  %q", got, inactive)
	}
}

func (s *suite) testRetentionDeleteBatches(t *testing.T) {
	st := s.open(t)
	keys, inactive := retentionFixture()
	insert(t, st, keys...)
	del := func(limit int) []string {
		var ids []string
		update(t, st, func(w store.Writer) error {
			var err error
			ids, err = w.DeleteInactiveAPIKeys(t.Context(), 1000, limit)
			return err
		})
		return ids
	}
	if got := del(0); len(got) != 0 {
		t.Errorf("limit 0 deleted %q", got)
	}
	var all []string
	for _, limit := range []int{4, 4, 4} {
		batch := del(limit)
		if len(batch) > limit {
			t.Fatalf("a batch of limit %d deleted %d", limit, len(batch))
		}
		all = append(all, batch...)
	}
	if !slices.Equal(all, inactive) {
		t.Errorf("batches deleted\n  %q\nwant, in id order,\n  %q", all, inactive)
	}
	for _, k := range keys {
		_, err := getKey(t, st, k.ID)
		if gone := errors.Is(err, store.ErrNotFound); gone != slices.Contains(inactive, k.ID) {
			t.Errorf("key %s: deleted = %v (%v)", k.ID, gone, err)
		}
	}
}
