package keyservice_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
	"github.com/apikeyctl/apikeyctl/pkg/store"
	"github.com/apikeyctl/apikeyctl/pkg/store/sqlite"
)

// seedKeys stores n copies of one key the service created for the caller
// root, with ids key-0 ... key-(n-1), in one transaction.
func seedKeys(b *testing.B, db store.Store, svc *keyservice.Service, root context.Context, n int) []string {
	b.Helper()
	name := "seed"
	resp, err := svc.CreateAPIKey(root, &api.CreateAPIKeyRequest{Name: &name, Metadata: api.MetadataFromMap(map[string]any{"team": "a", "env": "prod"})})
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]string, n)
	err = db.Update(context.Background(), func(w store.Writer) error {
		k, err := w.GetAPIKey(context.Background(), resp.ID)
		if err != nil {
			return err
		}
		for i := range n {
			c := *k
			c.ID = fmt.Sprintf("key-%d", i)
			ids[i] = c.ID
			if err := w.InsertAPIKey(context.Background(), &c); err != nil {
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

// BenchmarkBulkUpdate changes the metadata of 10,000 keys of 50,000 in
// one bulk update request, and invalidates 5,000 keys by name.
func BenchmarkBulkUpdate(b *testing.B) {
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
	ids := seedKeys(b, db, svc, root, 50000)[:10000]
	b.Run("update-10000", func(b *testing.B) {
		i := 0
		for b.Loop() {
			resp, err := svc.BulkUpdateAPIKeys(root, &api.BulkUpdateAPIKeysRequest{IDs: ids, Metadata: api.MetadataFromMap(map[string]any{"team": "b", "round": i})})
			if err != nil {
				b.Fatal(err)
			}
			if len(resp.Updated) != len(ids) {
				b.Fatalf("updated %d of %d", len(resp.Updated), len(ids))
			}
			i++
		}
	})
}

// BenchmarkCreateAPIKey creates keys from 64 concurrent callers: group
// commit writes the creates waiting together with one fsync.
func BenchmarkCreateAPIKey(b *testing.B) {
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
	b.SetParallelism(32)
	b.RunParallel(func(pb *testing.PB) {
		name := "parallel"
		for pb.Next() {
			if _, err := svc.CreateAPIKey(root, &api.CreateAPIKeyRequest{Name: &name, Metadata: api.MetadataFromMap(map[string]any{"team": "a", "env": "prod"})}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
