package keyservice_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
	"github.com/apikeyctl/apikeyctl/pkg/metrics"
	"github.com/apikeyctl/apikeyctl/pkg/store/sqlite"
)

// BenchmarkAuthenticateAPIKey is the service's share of an authenticated
// request: hit is a key whose record is cached, miss one read from the
// store each time (its cache cleared), as a key used for the first time
// after a write; hit-last-used is hit with the uses of keys recorded
// (Options.RecordUsage, written by FlushUsage, which it does not call);
// hit-metrics and miss-metrics count for the metrics as the daemon does
// (Options.Recorder).
func BenchmarkAuthenticateAPIKey(b *testing.B) {
	b.Run("hit", func(b *testing.B) { benchmarkAuthenticateAPIKey(b, false, false, nil) })
	b.Run("miss", func(b *testing.B) { benchmarkAuthenticateAPIKey(b, false, true, nil) })
	b.Run("hit-last-used", func(b *testing.B) { benchmarkAuthenticateAPIKey(b, true, false, nil) })
	b.Run("hit-metrics", func(b *testing.B) { benchmarkAuthenticateAPIKey(b, false, false, metrics.New(metrics.Options{})) })
	b.Run("miss-metrics", func(b *testing.B) { benchmarkAuthenticateAPIKey(b, false, true, metrics.New(metrics.Options{})) })
}

func benchmarkAuthenticateAPIKey(b *testing.B, recordUsage, miss bool, rec keyservice.Recorder) {
	ctx := auth.WithOrigin(context.Background(), auth.Origin{Type: auth.OriginREST, Address: "10.0.0.5:41000"})
	db, err := sqlite.Open(ctx, b.TempDir()+"/keys.db")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	svc, err := keyservice.New(db, keyservice.Options{RecordUsage: recordUsage, Recorder: rec})
	if err != nil {
		b.Fatal(err)
	}
	root := auth.WithSubject(ctx, auth.OSSubject("root"))
	var creds []auth.Credential
	for i := range 100 {
		name := fmt.Sprintf("bench-%d", i)
		resp, err := svc.CreateAPIKey(root, &api.CreateAPIKeyRequest{Name: &name, Metadata: api.MetadataFromMap(map[string]any{"team": "a", "n": i})})
		if err != nil {
			b.Fatal(err)
		}
		creds = append(creds, auth.Credential{Scheme: auth.SchemeAPIKey, KeyID: resp.ID, KeySecret: resp.APIKey})
	}
	i := 0
	// The processor time per authentication, besides ns/op: on a loaded
	// machine the wall clock measures the other processes too.
	start := cpuTime()
	for b.Loop() {
		cred := creds[i%len(creds)]
		if miss {
			if _, err := svc.ClearAPIKeyCache(root, []string{cred.KeyID}); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := svc.AuthenticateCredential(ctx, cred); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}
