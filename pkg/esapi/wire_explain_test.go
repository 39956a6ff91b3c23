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

// TestWireExplain: POST /_apikeyd/_explain over apikeyd's HTTP stack and
// a real store: an accepted key, the refusal of an invalidated one with
// Elasticsearch's answer, the same refusal for an unknown id and a wrong
// secret to a user who is not an administrator, and the 403 of a
// non-administrator explaining by id. No answer holds the secret.
func TestWireExplain(t *testing.T) {
	ctx := context.Background()
	db := openTempDB(t)
	svc, err := keyservice.New(db, keyservice.Options{PasswordHashing: "bcrypt4"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Bootstrap(ctx, "wire-password"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(esapi.NewHandler(esapi.Config{Service: svc, Authenticator: svc, Admin: svc}))
	t.Cleanup(srv.Close)
	root := auth.WithSubject(ctx, auth.OSSubject("root"))
	live, err := svc.CreateAPIKey(root, &api.CreateAPIKeyRequest{Name: ptrTo("live")})
	if err != nil {
		t.Fatal(err)
	}
	dead, err := svc.CreateAPIKey(root, &api.CreateAPIKeyRequest{Name: ptrTo("dead")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.InvalidateAPIKeys(root, &api.InvalidateAPIKeysRequest{IDs: []string{dead.ID}}); err != nil {
		t.Fatal(err)
	}
	pw := "password-viewer"
	if _, err := svc.PutUser(root, &api.PutUserRequest{Username: "viewer", Password: &pw, Roles: []string{}}); err != nil {
		t.Fatal(err)
	}
	elastic := "Basic ZWxhc3RpYzp3aXJlLXBhc3N3b3Jk"    // elastic:wire-password
	viewer := "Basic dmlld2VyOnBhc3N3b3JkLXZpZXdlcg==" // viewer:password-viewer

	for _, tc := range []struct {
		name, authz, body string
		status            int
		accepted          bool
		answer            string
	}{
		{"accepted", elastic, `{"api_key":"` + live.Encoded + `"}`, 200, true, `{"status":200}`},
		{"invalidated", elastic, `{"api_key":"` + dead.ID + `:` + dead.APIKey + `"}`, 200, false,
			`{"status":401,"type":"security_exception","reason":"unable to authenticate with provided credentials and anonymous access is not allowed for this request","additional_unsuccessful_credentials":"API key: api key [` + dead.ID + `] has been invalidated"}`},
		{"non-admin, unknown id", viewer, `{"api_key":"AAAAAAAAAAAAAAAAAAAA:` + live.APIKey + `"}`, 200, false,
			`{"status":401,"type":"security_exception","reason":"unable to authenticate with provided credentials and anonymous access is not allowed for this request"}`},
		{"non-admin, wrong secret", viewer, `{"api_key":"` + live.ID + `:AAAAAAAAAAAAAAAAAAAAAA"}`, 200, false,
			`{"status":401,"type":"security_exception","reason":"unable to authenticate with provided credentials and anonymous access is not allowed for this request"}`},
		{"non-admin by id", viewer, `{"id":"` + live.ID + `"}`, 403, false, ``},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := rawCall(t, srv.URL, http.MethodPost, "/_apikeyd/_explain", tc.authz, tc.body)
			if status != tc.status {
				t.Fatalf("HTTP %d: %s", status, body)
			}
			if strings.Contains(body, live.APIKey) || strings.Contains(body, dead.APIKey) {
				t.Fatalf("the answer holds a secret: %s", body)
			}
			if status != 200 {
				return
			}
			var resp struct {
				Accepted bool            `json:"accepted"`
				Answer   json.RawMessage `json:"answer"`
			}
			if err := json.Unmarshal([]byte(body), &resp); err != nil {
				t.Fatal(err)
			}
			if resp.Accepted != tc.accepted || string(resp.Answer) != tc.answer {
				t.Fatalf("accepted %v answer %s,\nwant %v %s", resp.Accepted, resp.Answer, tc.accepted, tc.answer)
			}
		})
	}
}
