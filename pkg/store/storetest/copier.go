package storetest

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/query"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// runCopierSuite is the contract of store.Copier: records imported as
// read elsewhere keep their versions and lineage, and are served as keys
// inserted the ordinary way (metadata queries, later updates).
func (s *suite) runCopierSuite(t *testing.T) {
	t.Run("ImportAPIKey", s.testImportAPIKey)
	t.Run("ImportToken", s.testImportToken)
	t.Run("ImportRefusesBadVersion", s.testImportBadVersion)
}

// copier returns w as a store.Copier, failing the test when it is not one.
func copier(t *testing.T, w store.Writer) store.Copier {
	t.Helper()
	c, ok := w.(store.Copier)
	if !ok {
		t.Fatalf("%T is not a store.Copier", w)
	}
	return c
}

func (s *suite) testImportAPIKey(t *testing.T) {
	st := s.open(t)
	ctx := t.Context()
	k := newKey("imported")
	k.Version = 7
	k.Metadata = json.RawMessage(`{"team":{"name":"blue"}}`)
	k.CertificateIdentity = ptr("CN=remote")
	k.AllowedNetworks = []string{"10.0.0.0/8", "local"}
	// The parent no longer exists: retention deleted it in the source.
	k.Lineage = &store.Lineage{Parent: "gone", Relation: store.RelationRotation, GraceEnd: ptr(int64(1_750_000_000_000)), UntilUnused: 60_000}
	update(t, st, func(w store.Writer) error {
		c := *k
		return copier(t, w).ImportAPIKey(ctx, &c)
	})
	got := mustGetKey(t, st, "imported")
	want := *k
	want.Lineage = nil
	if d := diffKey(&want, got); d != "" {
		t.Fatalf("imported key:\n%s", d)
	}
	l, err := getLineage(t, st, "imported")
	if err != nil {
		t.Fatalf("GetLineage: %v", err)
	}
	if l.Parent != "gone" || l.Relation != store.RelationRotation || l.UntilUnused != 60_000 || l.GraceEnd == nil || *l.GraceEnd != 1_750_000_000_000 {
		t.Errorf("lineage = %+v", l)
	}

	req, err := query.Parse([]byte(`{"query":{"term":{"metadata.team.name":"blue"}}}`), query.Options{Now: fixtureNow})
	if err != nil {
		t.Fatal(err)
	}
	view(t, st, func(r store.Reader) error {
		page, err := r.QueryAPIKeys(ctx, &store.KeySearch{Search: req.Search})
		if err != nil {
			return err
		}
		if page.Total != 1 || len(page.Keys) != 1 || page.Keys[0].ID != "imported" {
			t.Errorf("metadata query of the imported key: total %d, %d keys", page.Total, len(page.Keys))
		}
		return nil
	})

	// An update goes on from the imported version.
	update(t, st, func(w store.Writer) error {
		got.Name = "renamed"
		return w.UpdateAPIKey(ctx, got)
	})
	if got.Version != 8 {
		t.Errorf("version after an update of an imported key = %d, want 8", got.Version)
	}

	err = st.Update(ctx, func(w store.Writer) error {
		c := *k
		return copier(t, w).ImportAPIKey(ctx, &c)
	})
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("a duplicate import = %v, want ErrConflict", err)
	}
}

func (s *suite) testImportToken(t *testing.T) {
	st := s.open(t)
	ctx := t.Context()
	tok := newToken("imported")
	tok.Version = 3
	update(t, st, func(w store.Writer) error {
		c := *tok
		return copier(t, w).ImportToken(ctx, &c)
	})
	var got *store.Token
	view(t, st, func(r store.Reader) error {
		var err error
		got, err = r.GetTokenByRefreshHash(ctx, tok.RefreshHash)
		return err
	})
	if d := diffToken(tok, got); d != "" {
		t.Fatalf("imported token:\n%s", d)
	}
	err := st.Update(ctx, func(w store.Writer) error {
		c := *tok
		return copier(t, w).ImportToken(ctx, &c)
	})
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("a duplicate import = %v, want ErrConflict", err)
	}
	var all []*store.Token
	view(t, st, func(r store.Reader) error {
		var err error
		all, err = r.FindTokens(ctx, store.TokenFilter{})
		return err
	})
	if ids := tokenIDs(all); !slices.Equal(ids, []string{"imported"}) {
		t.Errorf("tokens after a refused duplicate: %v", ids)
	}
}

// testImportBadVersion: a record without a version (0) is refused and
// nothing is written.
func (s *suite) testImportBadVersion(t *testing.T) {
	st := s.open(t)
	ctx := t.Context()
	err := st.Update(ctx, func(w store.Writer) error {
		if err := copier(t, w).ImportAPIKey(ctx, newKey("v0")); err == nil {
			return errors.New("ImportAPIKey took version 0")
		}
		if err := copier(t, w).ImportToken(ctx, newToken("v0")); err == nil {
			return errors.New("ImportToken took version 0")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := getKey(t, st, "v0"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a key refused for its version was stored: %v", err)
	}
}

// tokenIDs returns the ids of tokens, in order.
func tokenIDs(ts []*store.Token) []string {
	ids := make([]string, len(ts))
	for i, t := range ts {
		ids[i] = t.ID
	}
	return ids
}
