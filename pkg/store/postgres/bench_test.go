package postgres

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// BenchmarkCreate creates API keys from many goroutines at once (16 per
// core): through the store (Update and InsertAPIKey), and, as the floor
// to compare it with, as the same rows inserted by one single-statement
// transaction each, straight through the store's pool.
func BenchmarkCreate(b *testing.B) {
	const parallelism = 16
	newKey := func(id string) *store.APIKey {
		return &store.APIKey{ID: id, Name: "parallel", Type: "rest", Creation: 1, Hash: "h",
			Creator: store.Creator{Principal: "p", Realm: "r", RealmType: "native"}}
	}
	b.Run("store", func(b *testing.B) {
		db := mustOpen(b)
		g0, err := db.Generation(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		var n atomic.Int64
		b.ResetTimer()
		b.SetParallelism(parallelism)
		b.RunParallel(func(pb *testing.PB) {
			ctx := context.Background()
			for pb.Next() {
				k := newKey(fmt.Sprintf("k%d", n.Add(1)))
				if err := db.Update(ctx, func(w store.Writer) error { return w.InsertAPIKey(ctx, k) }); err != nil {
					b.Error(err)
					return
				}
			}
		})
		// Each committed transaction moves the generation once.
		g1, err := db.Generation(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(b.N)/float64(g1-g0), "creates/commit")
	})
	b.Run("raw-insert", func(b *testing.B) {
		db := mustOpen(b)
		var n atomic.Int64
		b.ResetTimer()
		b.SetParallelism(parallelism)
		b.RunParallel(func(pb *testing.PB) {
			ctx := context.Background()
			for pb.Next() {
				k := newKey(fmt.Sprintf("k%d", n.Add(1)))
				var seq int64
				err := db.pool.QueryRow(ctx, insertKeySQL,
					k.ID, k.Name, k.Type, k.Creation, k.Expiration, flag(k.Invalidated), k.Invalidation, k.Hash,
					jsonArg(k.RoleDescriptors), jsonArg(k.LimitedBy), jsonArg(k.Metadata),
					k.Creator.Principal, k.Creator.FullName, k.Creator.Email, jsonArg(k.Creator.Metadata),
					k.Creator.Realm, k.Creator.RealmType, int64(1), k.CertificateIdentity).Scan(&seq)
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
