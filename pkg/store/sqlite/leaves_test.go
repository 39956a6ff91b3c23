package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/query"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// leafKey is a key with the given metadata.
func leafKey(id, metadata string) *store.APIKey {
	return &store.APIKey{
		ID: id, Name: "k-" + id, Type: "rest", Creation: 1, Hash: "h",
		Metadata: json.RawMessage(metadata),
		Creator:  store.Creator{Principal: "u", Realm: "native1", RealmType: "native"},
	}
}

// leafRows are the (path, value) rows stored for a key, sorted.
func leafRows(t *testing.T, db *DB, id string) []string {
	t.Helper()
	rows, err := db.write.Query("SELECT path, value FROM api_key_metadata WHERE key_id = ? ORDER BY path, value", id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p, v string
		if err := rows.Scan(&p, &v); err != nil {
			t.Fatal(err)
		}
		out = append(out, p+"="+v)
	}
	return out
}

// termIDs are the ids of the keys a term query on field finds.
func termIDs(t *testing.T, db *DB, field, value string) []string {
	t.Helper()
	body := fmt.Sprintf(`{"query":{"term":{%q:%q}},"size":100}`, field, value)
	req, err := query.Parse([]byte(body), query.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	err = db.View(t.Context(), func(r store.Reader) error {
		page, err := r.QueryAPIKeys(t.Context(), &store.KeySearch{Search: req.Search})
		for _, k := range page.Keys {
			ids = append(ids, k.ID)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestLeavesFollowWrites: insert, update and delete keep a key's leaves,
// one row per distinct leaf, as query.Flatten gives them.
func TestLeavesFollowWrites(t *testing.T) {
	db := mustOpen(t, tempPath(t))
	ctx := t.Context()
	k := leafKey("a", `{"env":"prod","tags":["x","y","x"],"n":1.50,"ok":true,"none":null,"o":{"p":{"q":"deep"}},"":"empty"}`)
	if err := db.Update(ctx, func(w store.Writer) error { return w.InsertAPIKey(ctx, k) }); err != nil {
		t.Fatal(err)
	}
	want := []string{"=empty", "env=prod", "n=1.50", "o.p.q=deep", "ok=true", "tags=x", "tags=y"}
	if got := leafRows(t, db, "a"); !slices.Equal(got, want) {
		t.Errorf("leaves after insert = %q, want %q", got, want)
	}

	k.Metadata = json.RawMessage(`{"env":"dev"}`)
	if err := db.Update(ctx, func(w store.Writer) error { return w.UpdateAPIKey(ctx, k) }); err != nil {
		t.Fatal(err)
	}
	if got := leafRows(t, db, "a"); !slices.Equal(got, []string{"env=dev"}) {
		t.Errorf("leaves after update = %q", got)
	}
	if got := termIDs(t, db, "metadata.env", "prod"); len(got) != 0 {
		t.Errorf("the old value still matches: %q", got)
	}
	if got := termIDs(t, db, "metadata.env", "dev"); !slices.Equal(got, []string{"a"}) {
		t.Errorf("term metadata.env:dev = %q", got)
	}

	k.Expiration = new(int64)
	if err := db.Update(ctx, func(w store.Writer) error { return w.UpdateAPIKey(ctx, k) }); err != nil {
		t.Fatal(err)
	}
	err := db.Update(ctx, func(w store.Writer) error {
		_, err := w.DeleteInactiveAPIKeys(ctx, 10, 100)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.write.QueryRow("SELECT count(*) FROM api_key_leaves").Scan(&n); err != nil || n != 0 {
		t.Errorf("leaves of a deleted key: %d, %v", n, err)
	}
}

// TestManyLeaves: metadata with tens of thousands of leaves is indexed in
// time linear in its size (the recursive trigger of migration 0003 took
// most of an hour for 100,000) and every leaf is found.
func TestManyLeaves(t *testing.T) {
	db := mustOpen(t, tempPath(t))
	ctx := t.Context()
	const n = 50000
	var b strings.Builder
	b.WriteString(`{"wide":{`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"f%d":"v%d"`, i, i)
	}
	b.WriteString(`},"list":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `%d`, i)
	}
	b.WriteString(`]}`)
	k := leafKey("big", b.String())
	if err := db.Update(ctx, func(w store.Writer) error { return w.InsertAPIKey(ctx, k) }); err != nil {
		t.Fatal(err)
	}
	var leaves int
	if err := db.write.QueryRow("SELECT count(*) FROM api_key_metadata WHERE key_id = 'big'").Scan(&leaves); err != nil || leaves != 2*n {
		t.Fatalf("leaves = %d, %v; want %d", leaves, err, 2*n)
	}
	for _, c := range []struct{ field, value string }{
		{"metadata.wide.f0", "v0"}, {"metadata.wide.f49999", "v49999"}, {"metadata.list", "31337"}, {"metadata", "v123"},
	} {
		if got := termIDs(t, db, c.field, c.value); !slices.Equal(got, []string{"big"}) {
			t.Errorf("term %s:%s = %q", c.field, c.value, got)
		}
	}
}

// TestMigrationKeepsLeaves: a database of schema 3, whose leaves its
// triggers computed, keeps every key and leaf through migrations 0004
// and 0005.
func TestMigrationKeepsLeaves(t *testing.T) {
	path := tempPath(t)
	raw, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		t.Fatal(err)
	}
	old := &DB{path: path, write: raw}
	if err := old.migrate(context.Background(), migrations[:3]); err != nil {
		t.Fatal(err)
	}
	_, err = raw.Exec(`INSERT INTO api_keys (id, name, type, creation, expiration, invalidated, invalidation, hash,
		role_descriptors, limited_by, metadata, principal, full_name, email, creator_metadata, realm, realm_type, version) VALUES
		('a', 'one', 'rest', 1, NULL, 0, NULL, 'h', NULL, '{"r":{"cluster":["all"]}}', '{"env":"prod","tags":["x","y"],"n":7}', 'u', NULL, NULL, NULL, 'native1', 'native', 1),
		('b', 'two', 'rest', 2, NULL, 0, NULL, 'h', NULL, '{"r":{"cluster":["all"]}}', '{"env":"dev"}', 'u', NULL, NULL, NULL, 'native1', 'native', 1),
		('c', 'three', 'rest', 3, NULL, 0, NULL, 'h', '{}', NULL, NULL, 'v', NULL, NULL, NULL, 'native1', 'native', 1)`)
	if err != nil {
		t.Fatal(err)
	}
	raw.Close()

	db := mustOpen(t, path)
	if got := leafRows(t, db, "a"); !slices.Equal(got, []string{"env=prod", "n=7", "tags=x", "tags=y"}) {
		t.Errorf("leaves of a = %q", got)
	}
	// The keys are whole, their shared limited-by snapshot stored once.
	for id, limitedBy := range map[string]string{"a": `{"r":{"cluster":["all"]}}`, "b": `{"r":{"cluster":["all"]}}`, "c": ""} {
		k, err := getKey(t, db, id)
		if err != nil {
			t.Fatal(err)
		}
		if string(k.LimitedBy) != limitedBy || k.Version != 1 {
			t.Errorf("key %s: limited_by %s, version %d", id, k.LimitedBy, k.Version)
		}
	}
	var snapshots int
	if err := db.write.QueryRow("SELECT count(*) FROM api_key_snapshots").Scan(&snapshots); err != nil || snapshots != 1 {
		t.Errorf("snapshots = %d, %v", snapshots, err)
	}
	if got := termIDs(t, db, "metadata.env", "dev"); !slices.Equal(got, []string{"b"}) {
		t.Errorf("term metadata.env:dev = %q", got)
	}
	// New writes index their own leaves.
	ctx := t.Context()
	if err := db.Update(ctx, func(w store.Writer) error { return w.InsertAPIKey(ctx, leafKey("d", `{"env":"dev"}`)) }); err != nil {
		t.Fatal(err)
	}
	if got := termIDs(t, db, "metadata.env", "dev"); !slices.Equal(got, []string{"b", "d"}) {
		t.Errorf("term metadata.env:dev after insert = %q", got)
	}
}
