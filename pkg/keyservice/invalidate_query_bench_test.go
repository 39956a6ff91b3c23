package keyservice_test

import (
	"context"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
	"github.com/apikeyctl/apikeyctl/pkg/store/sqlite"
)

// BenchmarkInvalidateByQuery plans and then invalidates, by a query on
// their name, 100,001 keys: the default cap and one more (a max_keys of
// its own).
func BenchmarkInvalidateByQuery(b *testing.B) {
	const n = keyservice.DefaultInvalidateByQueryMax
	setup := func(b *testing.B) (*keyservice.Service, context.Context) {
		ctx := context.Background()
		db, err := sqlite.Open(ctx, b.TempDir()+"/keys.db")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		svc, err := keyservice.New(db, keyservice.Options{})
		if err != nil {
			b.Fatal(err)
		}
		root := auth.WithSubject(ctx, auth.OSSubject("root"))
		seedKeys(b, db, svc, root, n)
		return svc, root
	}
	q := []byte(`{"term":{"name":"seed"}}`)
	b.Run("dry run", func(b *testing.B) {
		svc, root := setup(b)
		for b.Loop() {
			resp, err := svc.InvalidateAPIKeysByQuery(root, &api.InvalidateByQueryRequest{Query: q, DryRun: true, MaxKeys: n + 1})
			if err != nil || resp.Count != n+1 {
				b.Fatalf("%v, %+v", err, resp)
			}
		}
	})
	b.Run("run", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			svc, root := setup(b)
			b.StartTimer()
			resp, err := svc.InvalidateAPIKeysByQuery(root, &api.InvalidateByQueryRequest{Query: q, ExpectCount: ptr(n + 1), MaxKeys: n + 1})
			if err != nil || len(resp.InvalidatedAPIKeys) != n+1 {
				b.Fatalf("%v, %+v", err, resp)
			}
		}
	})
}
