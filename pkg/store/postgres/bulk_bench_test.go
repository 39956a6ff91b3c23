package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/query"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// bulkKeys is the number of keys of one owner the bulk benchmarks change
// at once.
const bulkKeys = 2000

// seedOwner stores bulkKeys keys of principal "bulk" and returns their ids.
func seedOwner(b *testing.B, db *DB) []string {
	b.Helper()
	ctx := context.Background()
	ids := make([]string, bulkKeys)
	err := db.Update(ctx, func(w store.Writer) error {
		for i := range ids {
			ids[i] = fmt.Sprintf("bulk%05d", i)
			k := &store.APIKey{ID: ids[i], Name: "bulk", Type: "rest", Creation: int64(i), Hash: "h",
				Metadata: json.RawMessage(`{"env":"prod","team":"a"}`),
				Creator:  store.Creator{Principal: "bulk", Realm: "native", RealmType: "native"}}
			if err := w.InsertAPIKey(ctx, k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return ids
}

// BenchmarkBulkUpdate changes the metadata of bulkKeys keys in one
// Update the way keyservice's bulk update does (FindAPIKeys of the ids,
// then UpdateAPIKey per key), and, as the floor to compare it with, the
// same change by hand: one UPDATE of every row and one statement each to
// drop and write their metadata leaves, in one transaction.
func BenchmarkBulkUpdate(b *testing.B) {
	b.Run("store", func(b *testing.B) {
		db := mustOpen(b)
		ids := seedOwner(b, db)
		ctx := context.Background()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			md := json.RawMessage(fmt.Sprintf(`{"rotated":%d}`, i))
			err := db.Update(ctx, func(w store.Writer) error {
				keys, err := w.FindAPIKeys(ctx, store.KeyFilter{IDs: ids})
				if err != nil {
					return err
				}
				for _, k := range keys {
					next := *k
					next.Metadata = md
					if err := w.UpdateAPIKey(ctx, &next); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("hand-sql", func(b *testing.B) {
		db := mustOpen(b)
		ids := seedOwner(b, db)
		ctx := context.Background()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			md := fmt.Sprintf(`{"rotated":%d}`, i)
			tx, err := db.pool.Begin(ctx)
			if err != nil {
				b.Fatal(err)
			}
			for _, q := range []struct {
				sql  string
				args []any
			}{
				{`UPDATE api_keys SET metadata = $1::text::json, version = version + 1 WHERE id = ANY($2::text[])`, []any{md, ids}},
				{`DELETE FROM api_key_leaves WHERE key_seq IN (SELECT seq FROM api_keys WHERE id = ANY($1::text[]))`, []any{ids}},
				{`INSERT INTO api_key_leaves (path, value, key_seq)
					SELECT 'rotated', $1, seq FROM api_keys WHERE id = ANY($2::text[])`, []any{fmt.Sprint(i), ids}},
			} {
				if _, err := tx.Exec(ctx, q.sql, q.args...); err != nil {
					b.Fatal(err)
				}
			}
			if err := tx.Commit(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkInvalidateOwner invalidates the bulkKeys keys of one owner
// through the store (InvalidateAPIKeys by username and realm) and by
// hand (one UPDATE in its own transaction); the keys are made valid
// again, untimed, between rounds.
func BenchmarkInvalidateOwner(b *testing.B) {
	reset := func(b *testing.B, db *DB) {
		b.StopTimer()
		if _, err := db.pool.Exec(context.Background(),
			`UPDATE api_keys SET invalidated = 0, invalidation = NULL WHERE principal = 'bulk'`); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.Run("store", func(b *testing.B) {
		db := mustOpen(b)
		seedOwner(b, db)
		ctx := context.Background()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			reset(b, db)
			var n int
			err := db.Update(ctx, func(w store.Writer) error {
				ids, err := w.InvalidateAPIKeys(ctx, store.KeyFilter{Username: "bulk", Realms: []string{"native"}}, int64(i+1))
				n = len(ids)
				return err
			})
			if err != nil || n != bulkKeys {
				b.Fatalf("invalidated %d: %v", n, err)
			}
		}
	})
	b.Run("hand-sql", func(b *testing.B) {
		db := mustOpen(b)
		seedOwner(b, db)
		ctx := context.Background()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			reset(b, db)
			tag, err := db.pool.Exec(ctx, `UPDATE api_keys SET invalidated = 1, invalidation = $1
				WHERE principal = 'bulk' AND realm = 'native' AND invalidated = 0`, int64(i+1))
			if err != nil || tag.RowsAffected() != bulkKeys {
				b.Fatalf("invalidated %d: %v", tag.RowsAffected(), err)
			}
		}
	})
}

// BenchmarkTermName runs a query API keys search for one name, one at a
// time, through a View (a count and a page), and, as the floor, the page
// alone by hand with the count as a window function: one statement
// outside any transaction.
func BenchmarkTermName(b *testing.B) {
	db := mustOpen(b)
	seedOwner(b, db)
	ctx := context.Background()
	search := &store.KeySearch{Search: query.Search{
		Query: &query.Term{Field: query.F(query.FieldName), Values: []any{"bulk"}}, Size: 10}}
	b.Run("store", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			err := db.View(ctx, func(r store.Reader) error {
				page, err := r.QueryAPIKeys(ctx, search)
				if err == nil && (page.Total != bulkKeys || len(page.Keys) != 10) {
					err = fmt.Errorf("total %d, %d keys", page.Total, len(page.Keys))
				}
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("hand-sql", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			rows, err := db.pool.Query(ctx, "SELECT count(*) OVER (), "+keyColumns+
				" FROM api_keys WHERE name = $1 ORDER BY seq LIMIT 10", "bulk")
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for rows.Next() {
				n++
			}
			if rows.Close(); rows.Err() != nil || n != 10 {
				b.Fatalf("%d rows: %v", n, rows.Err())
			}
		}
	})
}
