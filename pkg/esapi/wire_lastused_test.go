package esapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/esapi"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
)

// TestWireLastUsed: without with_last_used Get and Query answer exactly
// what they answered before the feature (no usage field, byte for byte
// the answer of a service that records nothing); with it, every key has
// usage_count and a used key last_used and last_used_from.
func TestWireLastUsed(t *testing.T) {
	ctx := context.Background()
	db := openTempDB(t)
	svc, err := keyservice.New(db, keyservice.Options{PasswordHashing: "bcrypt4", RecordUsage: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Bootstrap(ctx, "wire-password"); err != nil {
		t.Fatal(err)
	}
	plain, err := keyservice.New(db, keyservice.Options{PasswordHashing: "bcrypt4"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(esapi.NewHandler(esapi.Config{Service: svc, Authenticator: svc}))
	t.Cleanup(srv.Close)
	plainSrv := httptest.NewServer(esapi.NewHandler(esapi.Config{Service: plain, Authenticator: plain}))
	t.Cleanup(plainSrv.Close)

	root := auth.WithSubject(ctx, auth.OSSubject("root"))
	used, err := svc.CreateAPIKey(root, &api.CreateAPIKeyRequest{Name: ptrTo("used")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateAPIKey(root, &api.CreateAPIKeyRequest{Name: ptrTo("never")}); err != nil {
		t.Fatal(err)
	}

	elastic := "Basic ZWxhc3RpYzp3aXJlLXBhc3N3b3Jk" // elastic:wire-password
	if status, _, _ := rawCall(t, srv.URL, http.MethodGet, "/_security/_authenticate", "ApiKey "+used.Encoded, ""); status != 200 {
		t.Fatalf("authenticate with the key: %d", status)
	}

	for _, tc := range []struct{ name, method, path, body string }{
		{"get", http.MethodGet, "/_security/api_key", ""},
		{"query", http.MethodPost, "/_security/_query/api_key", `{"sort":["name"]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, got := rawCall(t, srv.URL, tc.method, tc.path, elastic, tc.body)
			_, _, want := rawCall(t, plainSrv.URL, tc.method, tc.path, elastic, tc.body)
			if got != want {
				t.Errorf("without with_last_used:\ngot  %s\nwant %s", got, want)
			}
			for _, field := range []string{"last_used", "usage_count"} {
				if strings.Contains(got, field) {
					t.Errorf("without with_last_used the answer has %s: %s", field, got)
				}
			}
			sep := "?"
			status, _, body := rawCall(t, srv.URL, tc.method, tc.path+sep+"with_last_used=true", elastic, tc.body)
			if status != 200 {
				t.Fatalf("with_last_used: HTTP %d: %s", status, body)
			}
			var resp struct {
				APIKeys []map[string]any `json:"api_keys"`
			}
			if err := json.Unmarshal([]byte(body), &resp); err != nil {
				t.Fatal(err)
			}
			for _, k := range resp.APIKeys {
				switch k["name"] {
				case "used":
					if k["usage_count"] != 1.0 || k["last_used"] == nil || k["last_used_from"] != "127.0.0.1" {
						t.Errorf("used key: %v", k)
					}
				case "never":
					_, hasLast := k["last_used"]
					if k["usage_count"] != 0.0 || hasLast {
						t.Errorf("key never used: %v", k)
					}
				}
			}
		})
	}
	status, _, body := rawCall(t, srv.URL, http.MethodGet, "/_security/api_key?with_last_used=maybe", elastic, "")
	if status != 400 {
		t.Errorf("with_last_used=maybe: HTTP %d: %s", status, body)
	}
}

func ptrTo[T any](v T) *T { return &v }
