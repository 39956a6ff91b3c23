package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/query"
	"github.com/apikeyctl/apikeyctl/pkg/store"
	"github.com/apikeyctl/apikeyctl/pkg/store/storetest"
)

// TestQueryPlanUsesIndexes proves that term, terms, prefix, range and ids
// queries on every indexed field compile to SQL that SQLite serves from an
// index: EXPLAIN QUERY PLAN of both statements a search runs (the count
// and the page) must search api_keys (or api_key_metadata) with an index
// and never scan a table.
func TestQueryPlanUsesIndexes(t *testing.T) {
	db := mustOpen(t, tempPath(t))
	ctx := context.Background()
	err := db.Update(ctx, func(w store.Writer) error {
		for _, k := range storetest.GenerateKeys(1, 50, time.Now().UnixMilli()) {
			if err := w.InsertAPIKey(ctx, k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Each case names the index the plan must use.
	cases := []struct {
		body  string
		index string
	}{
		{`{"query":{"ids":{"values":["a"]}}}`, "sqlite_autoindex_api_keys_1"},
		{`{"query":{"ids":{"values":["a","b","c"]}}}`, "sqlite_autoindex_api_keys_1"},
		{`{"query":{"term":{"name":"ci"}}}`, "api_keys_name"},
		{`{"query":{"terms":{"name":["ci","cd"]}}}`, "api_keys_name"},
		{`{"query":{"prefix":{"name":"ci-"}}}`, "api_keys_name"},
		{`{"query":{"range":{"name":{"gte":"a","lt":"c"}}}}`, "api_keys_name"},
		{`{"query":{"wildcard":{"name":"ci-*-x"}}}`, "api_keys_name"},
		{`{"query":{"match":{"name":"ci"}}}`, "api_keys_name"},
		{`{"query":{"term":{"username":"alice"}}}`, "api_keys_owner"},
		{`{"query":{"terms":{"username":["alice","bob"]}}}`, "api_keys_owner"},
		{`{"query":{"prefix":{"username":"al"}}}`, "api_keys_owner"},
		{`{"query":{"range":{"username":{"gt":"a"}}}}`, "api_keys_owner"},
		{`{"query":{"term":{"realm_name":"native"}}}`, "api_keys_realm"},
		{`{"query":{"terms":{"realm":["native","file"]}}}`, "api_keys_realm"},
		{`{"query":{"prefix":{"realm_name":"nat"}}}`, "api_keys_realm"},
		{`{"query":{"term":{"type":"rest"}}}`, "api_keys_type"},
		{`{"query":{"terms":{"type":["rest","cross_cluster"]}}}`, "api_keys_type"},
		{`{"query":{"prefix":{"type":"cr"}}}`, "api_keys_type"},
		{`{"query":{"term":{"creation":1700000000000}}}`, "api_keys_creation"},
		{`{"query":{"range":{"creation":{"gte":"now-7d"}}}}`, "api_keys_creation"},
		{`{"query":{"term":{"expiration":1700000000000}}}`, "api_keys_expiration"},
		{`{"query":{"range":{"expiration":{"gt":"now","lte":"now+7d"}}}}`, "api_keys_expiration"},
		{`{"query":{"term":{"invalidated":true}}}`, "api_keys_invalidated"},
		{`{"query":{"terms":{"invalidated":[true,false]}}}`, "api_keys_invalidated"},
		{`{"query":{"range":{"invalidation":{"lt":"now"}}}}`, "api_keys_invalidation"},
		{`{"query":{"term":{"metadata.env":"prod"}}}`, "SEARCH api_key_leaves"},
		{`{"query":{"terms":{"metadata.env":["prod","dev"]}}}`, "SEARCH api_key_leaves"},
		{`{"query":{"prefix":{"metadata.env":"pr"}}}`, "SEARCH api_key_leaves"},
		{`{"query":{"range":{"metadata.version":{"gte":"1"}}}}`, "SEARCH api_key_leaves"},
		{`{"query":{"term":{"metadata":"prod"}}}`, "api_key_leaves_value"},
		{`{"query":{"prefix":{"metadata":"pr"}}}`, "api_key_leaves_value"},
		{`{"query":{"bool":{"filter":[{"term":{"username":"alice"}},{"range":{"creation":{"gte":"now-30d"}}}]}}}`, " USING "},
		{`{"query":{"term":{"name":"ci"}},"sort":["creation"],"size":5}`, "api_keys_name"},
		// A selective index wins over the few-valued ones.
		{`{"query":{"bool":{"filter":[{"range":{"expiration":{"gt":"now","lte":"now+7d"}}},{"term":{"invalidated":false}}]}}}`, "api_keys_expiration"},
		{`{"query":{"bool":{"must":[{"term":{"type":"rest"}},{"prefix":{"name":"ci-"}}]}}}`, "api_keys_name"},
		{`{"query":{"bool":{"must":{"bool":{"filter":{"term":{"metadata.env":"prod"}}}},"filter":[{"term":{"username":"alice"}},{"term":{"realm_name":"native"}}]}}}`, " USING "},
	}
	for _, c := range cases {
		req, err := query.Parse([]byte(c.body), query.Options{})
		if err != nil {
			t.Fatalf("%s: %v", c.body, err)
		}
		q := compileSearch(&store.KeySearch{Search: req.Search})
		for _, stmt := range []struct {
			sql  string
			args []any
		}{{q.countSQL, q.countArgs}, {q.pageSQL, q.pageArgs}} {
			plan := explain(t, db, stmt.sql, stmt.args)
			if !strings.Contains(plan, c.index) {
				t.Errorf("%s: the plan does not use %s:\n%s\n%s", c.body, c.index, stmt.sql, plan)
			}
			for _, line := range strings.Split(plan, "\n") {
				if strings.HasPrefix(line, "SCAN api_keys") || strings.HasPrefix(line, "SCAN api_key_leaves") {
					t.Errorf("%s: the plan scans a table:\n%s\n%s", c.body, stmt.sql, plan)
				}
			}
		}
	}
}

// explain returns EXPLAIN QUERY PLAN's detail lines.
func explain(t *testing.T, db *DB, stmt string, args []any) string {
	t.Helper()
	rows, err := db.read.Query("EXPLAIN QUERY PLAN "+stmt, args...)
	if err != nil {
		t.Fatalf("explain %s: %v", stmt, err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, detail)
	}
	return strings.Join(lines, "\n")
}

// BenchmarkQueryAPIKeys measures searches over generated keys: a term on
// an indexed field, a metadata term, a date range sorted by creation, a
// wildcard (the index narrows it to its literal prefix), and the same
// with aggregations computed over every match.
func BenchmarkQueryAPIKeys(b *testing.B) {
	for _, n := range []int{200, 10000, 100000} {
		db := mustOpen(b, tempPath(b))
		ctx := context.Background()
		now := time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)
		keys := storetest.GenerateKeys(5, n, now.UnixMilli())
		for i := 0; i < len(keys); i += 5000 {
			batch := keys[i:min(i+5000, len(keys))]
			err := db.Update(ctx, func(w store.Writer) error {
				for _, k := range batch {
					if err := w.InsertAPIKey(ctx, k); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		for _, c := range []struct{ name, body string }{
			{"term", `{"query":{"term":{"username":"carol"}},"size":10}`},
			{"metadata", `{"query":{"term":{"metadata.env":"prod"}},"size":10}`},
			{"range-sorted", `{"query":{"range":{"creation":{"gte":"now-7d"}}},"sort":[{"creation":"desc"}],"size":10}`},
			{"expiring-7d", `{"query":{"bool":{"filter":[{"range":{"expiration":{"gt":"now","lte":"now+7d"}}},{"term":{"invalidated":false}}]}},"size":100}`},
			{"match-all-sorted", `{"sort":["name","_doc"],"size":10}`},
		} {
			req, err := query.Parse([]byte(c.body), query.Options{Now: now})
			if err != nil {
				b.Fatal(err)
			}
			b.Run(fmt.Sprintf("%s/%d", c.name, n), func(b *testing.B) {
				for b.Loop() {
					err := db.View(ctx, func(r store.Reader) error {
						_, err := r.QueryAPIKeys(ctx, &store.KeySearch{Search: req.Search})
						return err
					})
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		// Aggregations: terms on username from every match in memory, from
		// the store's GROUP BY, and the baseline, the GROUP BY by hand.
		req, _ := query.Parse([]byte(`{"size":0,"aggs":{"u":{"terms":{"field":"username"}}}}`), query.Options{Now: now})
		b.Run(fmt.Sprintf("aggs-in-memory/%d", n), func(b *testing.B) {
			for b.Loop() {
				err := db.View(ctx, func(r store.Reader) error {
					page, err := r.QueryAPIKeys(ctx, &store.KeySearch{Search: req.Search, Matches: true})
					if err == nil {
						query.Aggregate(req.Aggs, page.Matches, false)
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
		field, _ := req.Aggs[0].GroupField()
		b.Run(fmt.Sprintf("aggs-grouped/%d", n), func(b *testing.B) {
			for b.Loop() {
				err := db.View(ctx, func(r store.Reader) error {
					page, err := r.QueryAPIKeys(ctx, &store.KeySearch{Search: req.Search, Groups: []query.Field{field}})
					if err == nil {
						query.AggregateGroups(req.Aggs, page.Groups, nil, false)
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("aggs-hand-sql/%d", n), func(b *testing.B) {
			type bucket struct {
				Key   string `json:"key"`
				Count int64  `json:"doc_count"`
			}
			for b.Loop() {
				rows, err := db.read.QueryContext(ctx, "SELECT principal, count(*) AS n FROM api_keys GROUP BY principal ORDER BY n DESC, principal LIMIT 10")
				if err != nil {
					b.Fatal(err)
				}
				var out []bucket
				for rows.Next() {
					var bk bucket
					if err := rows.Scan(&bk.Key, &bk.Count); err != nil {
						b.Fatal(err)
					}
					out = append(out, bk)
				}
				rows.Close()
				if _, err := json.Marshal(out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
