package keyservice_test

import (
	"context"
	"fmt"
	"net/netip"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
	"github.com/apikeyctl/apikeyctl/pkg/store/sqlite"
)

// BenchmarkAuthenticateBoundAPIKey is the hot path of a cached key bound
// to networks, against one bound to none: the list is scanned from the
// cached record, the client matching its last entry (the longest scan).
func BenchmarkAuthenticateBoundAPIKey(b *testing.B) {
	for _, n := range []int{0, 1, api.MaxAllowedNetworks} {
		b.Run(fmt.Sprintf("networks-%d", n), func(b *testing.B) {
			ctx := auth.WithOrigin(context.Background(), auth.Origin{Type: auth.OriginREST, Address: "10.0.0.5:41000", Client: netip.MustParseAddr("10.0.0.5")})
			db, err := sqlite.Open(ctx, b.TempDir()+"/keys.db")
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { db.Close() })
			svc, err := keyservice.New(db, keyservice.Options{})
			if err != nil {
				b.Fatal(err)
			}
			var nets []string
			for i := range n - 1 {
				nets = append(nets, fmt.Sprintf("192.168.%d.0/24", i))
			}
			if n > 0 {
				nets = append(nets, "10.0.0.0/8")
			}
			name := "bench"
			resp, err := svc.CreateAPIKeyExtended(auth.WithSubject(ctx, auth.OSSubject("root")),
				&api.ExtendedCreateAPIKeyRequest{CreateAPIKeyRequest: api.CreateAPIKeyRequest{Name: &name}, AllowedNetworks: nets})
			if err != nil {
				b.Fatal(err)
			}
			cred := auth.Credential{Scheme: auth.SchemeAPIKey, KeyID: resp.ID, KeySecret: resp.APIKey}
			for b.Loop() {
				if _, err := svc.AuthenticateCredential(ctx, cred); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
