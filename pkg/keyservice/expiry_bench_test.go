package keyservice_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
	"github.com/apikeyctl/apikeyctl/pkg/store"
	"github.com/apikeyctl/apikeyctl/pkg/store/sqlite"
)

// BenchmarkDueExpiryNotices measures the daemon's steady-state scan: 100k
// keys expiring over a year, the ~1,900 within the 7-day lead all already
// notified, so that every scan reads the whole window and finds nothing.
func BenchmarkDueExpiryNotices(b *testing.B) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, b.TempDir()+"/keys.db")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	svc, err := keyservice.New(db, keyservice.Options{Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	const n = 100_000
	err = db.Update(ctx, func(w store.Writer) error {
		for i := range n {
			exp := now.Add(time.Duration(i+1) * (365 * 24 * time.Hour / n)).UnixMilli()
			if err := w.InsertAPIKey(ctx, &store.APIKey{ID: fmt.Sprintf("key-%07d", i), Name: "k", Type: api.TypeRest,
				Creation: now.UnixMilli(), Expiration: &exp, Hash: "{SSHA256}x",
				Creator: store.Creator{Principal: "u", Realm: "os", RealmType: "os"}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	root := auth.WithSubject(ctx, auth.OSSubject("root"))
	p := keyservice.NoticePolicy{Leads: []time.Duration{24 * time.Hour, 7 * 24 * time.Hour}, MaxAttempts: 5}
	for {
		due, err := svc.DueExpiryNotices(root, p, 1000)
		if err != nil {
			b.Fatal(err)
		}
		if len(due) == 0 {
			break
		}
		for _, d := range due {
			if _, err := svc.RecordExpiryNotice(root, p, d, nil); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ResetTimer()
	for b.Loop() {
		due, err := svc.DueExpiryNotices(root, p, 100)
		if err != nil || len(due) != 0 {
			b.Fatalf("%d due, %v", len(due), err)
		}
	}
}
