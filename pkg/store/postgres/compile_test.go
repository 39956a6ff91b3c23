package postgres

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/apikeyctl/apikeyctl/pkg/query"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

func TestPrefixEnd(t *testing.T) {
	tests := []struct {
		name, prefix, want string
		ok                 bool
	}{
		{"ascii", "abc", "abd", true},
		{"percent", "50%", "50&", true},
		{"two-byte", "é", "ê", true},
		{"three-byte", "日", "旦", true},
		{"before the surrogates", "a\uD7FF", "a\uE000", true},
		{"last code point", "z\U0010FFFF", "{", true},
		{"only the last code point", "\U0010FFFF", "", false},
		{"empty", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := prefixEnd(tt.prefix)
			if got != tt.want || ok != tt.ok {
				t.Errorf("prefixEnd(%q) = %q, %v; want %q, %v", tt.prefix, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestLikePattern(t *testing.T) {
	tests := []struct {
		name, pattern, like, literal string
	}{
		{"operators", "de*p?", `de%p_`, "de"},
		{"escaped operators", `a\*b\?*`, `a*b?%`, "a*b?"},
		{"like's own characters", `50%_\x*`, `50\%\_x%`, "50%_x"},
		{"backslash", `a\\b`, `a\\b`, `a\b`},
		{"leading star", "*x", "%x", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			like, literal := likePattern(tt.pattern)
			if like != tt.like || literal != tt.literal {
				t.Errorf("likePattern(%q) = %q, %q; want %q, %q", tt.pattern, like, literal, tt.like, tt.literal)
			}
		})
	}
}

// TestQueryUsesIndexes: the nodes of a query tree on an indexed field
// are served by its index (sequential scans turned off, so that the
// planner shows what it can use rather than what a small table makes
// cheapest), and their values are bound, never part of the SQL.
func TestQueryUsesIndexes(t *testing.T) {
	db := mustOpen(t)
	ctx := t.Context()
	const v = "x'--"
	tests := []struct {
		name  string
		q     query.Query
		index string // in the query plan
	}{
		{"ids", &query.IDs{Values: []string{v, "y"}}, "api_keys_id_key"},
		{"term name", &query.Term{Field: query.F("name"), Values: []any{v}}, "api_keys_name"},
		{"terms realm", &query.Term{Field: query.F("realm"), Values: []any{v, "y"}}, "api_keys_realm"},
		{"term username", &query.Term{Field: query.F("username"), Values: []any{v}}, "api_keys_owner"},
		{"prefix name", &query.Prefix{Field: query.F("name"), Value: v}, "api_keys_name"},
		{"wildcard name", &query.Wildcard{Field: query.F("name"), Pattern: v + "*"}, "api_keys_name"},
		{"range creation", &query.Range{Field: query.F("creation"), From: int64(1), IncludeFrom: true}, "api_keys_creation"},
		{"range expiration", &query.Range{Field: query.F("expiration"), To: int64(1)}, "api_keys_expiration"},
		{"metadata path term", &query.Term{Field: query.F("metadata.env"), Values: []any{v}}, "api_key_leaves_path_value"},
		{"metadata path prefix", &query.Prefix{Field: query.F("metadata.env"), Value: v}, "api_key_leaves_path_value"},
		{"metadata path terms", &query.Term{Field: query.F("metadata.env"), Values: []any{v, "y"}}, "api_key_leaves_path_value"},
		{"metadata path range", &query.Range{Field: query.F("metadata.env"), From: v, To: "z"}, "api_key_leaves_path_value"},
		{"metadata term", &query.Term{Field: query.F("metadata"), Values: []any{v}}, "api_key_leaves_value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tx, err := db.pool.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(ctx)
			q, err := compileSearch(&store.KeySearch{Search: query.Search{Query: tt.q, Size: 10}}, &valueSets{ctx: ctx, tx: tx})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(q.countSQL, v) || strings.Contains(q.pageSQL, v) {
				t.Errorf("a value is part of the SQL: %s", q.pageSQL)
			}
			if _, err := tx.Exec(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
				t.Fatal(err)
			}
			rows, err := tx.Query(ctx, "EXPLAIN "+q.countSQL, q.whereArgs...)
			if err != nil {
				t.Fatal(err)
			}
			plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatal(err)
			}
			p := strings.Join(plan, "\n")
			if !strings.Contains(p, tt.index) || strings.Contains(p, "Seq Scan") {
				t.Errorf("query plan does not use %s alone:\n%s", tt.index, p)
			}
		})
	}
}

// TestLongMetadataValues: metadata values longer than the indexes hold
// (a B-tree entry is at most about 2,700 bytes) are stored, and every
// comparison sees them whole, however far from their start they differ.
func TestLongMetadataValues(t *testing.T) {
	db := mustOpen(t)
	ctx := t.Context()
	long := strings.Repeat("x", 250)
	huge := strings.Repeat("0123456789abcdef", 1000)
	values := map[string]string{"a": long + "a", "b": long + "b", "c": "y", "d": huge}
	err := db.Update(ctx, func(w store.Writer) error {
		for _, id := range []string{"a", "b", "c", "d"} {
			md, _ := json.Marshal(map[string]string{"k": values[id]})
			err := w.InsertAPIKey(ctx, &store.APIKey{ID: id, Name: id, Type: "rest", Hash: "h", Metadata: md,
				Creator: store.Creator{Principal: "p", Realm: "r", RealmType: "native"}})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	k := query.F("metadata.k")
	tests := []struct {
		name string
		q    query.Query
		want []string
	}{
		{"term", &query.Term{Field: k, Values: []any{long + "a"}}, []string{"a"}},
		{"terms", &query.Term{Field: k, Values: []any{long + "b", huge}}, []string{"b", "d"}},
		{"term on every leaf", &query.Term{Field: query.F("metadata"), Values: []any{huge}}, []string{"d"}},
		{"prefix", &query.Prefix{Field: k, Value: long}, []string{"a", "b"}},
		{"range after", &query.Range{Field: k, From: long + "a"}, []string{"b", "c"}},
		{"range up to", &query.Range{Field: k, To: long + "b", IncludeTo: true}, []string{"a", "b", "d"}},
		{"wildcard", &query.Wildcard{Field: k, Pattern: long + "?"}, []string{"a", "b"}},
		{"case insensitive", &query.Term{Field: k, Values: []any{strings.ToUpper(long) + "B"}, CaseInsensitive: true}, []string{"b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var page *store.KeyPage
			err := db.View(ctx, func(r store.Reader) (err error) {
				page, err = r.QueryAPIKeys(ctx, &store.KeySearch{Search: query.Search{Query: tt.q, Size: 10}})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, key := range page.Keys {
				got = append(got, key.ID)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("keys = %v, want %v", got, tt.want)
			}
		})
	}
}
