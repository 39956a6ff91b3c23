package esapi_test

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v9"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
)

func basicAuth(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

// mustAuth authenticates a user with its password.
func mustAuth(t *testing.T, svc *keyservice.Service, user, password string) *auth.Subject {
	t.Helper()
	sub, err := svc.AuthenticateCredential(context.Background(), auth.Credential{Scheme: auth.SchemeBasic, Username: user, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

// TestWireUserEnabled pins the answers of the enable and disable user APIs
// and of get user privileges, byte for byte, over a real service.
func TestWireUserEnabled(t *testing.T) {
	svc, srv := newWireServer(t)
	root := auth.WithSubject(context.Background(), auth.OSSubject("root"))
	if _, err := svc.PutRole(root, &api.PutRoleRequest{Name: "viewer", Descriptor: api.RoleDescriptor{
		Cluster: []string{"monitor", "manage_own_api_key"},
		Indices: []api.IndicesPrivileges{{Names: []string{"logs-*"}, Privileges: []string{"read", "view_index_metadata"}}},
	}}); err != nil {
		t.Fatal(err)
	}
	pw := "bob-password"
	if _, err := svc.PutUser(root, &api.PutUserRequest{Username: "bob", Password: &pw, Roles: []string{"viewer"}}); err != nil {
		t.Fatal(err)
	}
	key, err := svc.CreateAPIKey(auth.WithSubject(context.Background(), mustAuth(t, svc, "bob", pw)), &api.CreateAPIKeyRequest{Name: ptrTo("bob's")})
	if err != nil {
		t.Fatal(err)
	}
	call := func(method, path, authz string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, srv+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", authz)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(data)
	}
	elastic, bob, bobKey := basicAuth("elastic", "wire-password"), basicAuth("bob", pw), "ApiKey "+key.Encoded
	bobPrivileges := `{"cluster":["manage_own_api_key","monitor"],"global":[],"indices":[{"names":["logs-*"],"privileges":["read","view_index_metadata"],"allow_restricted_indices":false}],"applications":[],"run_as":[]}`
	for _, tc := range []struct {
		name, method, path, authz string
		status                    int
		body                      string
	}{
		{"privileges of bob", http.MethodGet, "/_security/user/_privileges", bob, 200, bobPrivileges},
		{"disable bob", http.MethodPut, "/_security/user/bob/_disable?refresh=wait_for", elastic, 200, `{}`},
		{"bob's password refused", http.MethodGet, "/_security/_authenticate", bob, 401,
			`{"error":{"root_cause":[{"type":"security_exception","reason":"unable to authenticate user [bob] for REST request","header":{"WWW-Authenticate":["Basic realm=\"security\", charset=\"UTF-8\"","Bearer realm=\"security\"","ApiKey"]}}],"type":"security_exception","reason":"unable to authenticate user [bob] for REST request","header":{"WWW-Authenticate":["Basic realm=\"security\", charset=\"UTF-8\"","Bearer realm=\"security\"","ApiKey"]}},"status":401}`},
		{"bob's API key still works", http.MethodGet, "/_security/user/_privileges", bobKey, 200, bobPrivileges},
		{"enable bob", http.MethodPost, "/_security/user/bob/_enable", elastic, 200, `{}`},
		{"bob's password works again", http.MethodGet, "/_security/user/_privileges", bob, 200, bobPrivileges},
		{"elastic may not disable itself", http.MethodPost, "/_security/user/elastic/_disable", elastic, 400,
			`{"error":{"root_cause":[{"type":"illegal_argument_exception","reason":"users may not update the enabled status of their own account"}],"type":"illegal_argument_exception","reason":"users may not update the enabled status of their own account"},"status":400}`},
		{"unknown user", http.MethodPut, "/_security/user/ghost/_enable", elastic, 400,
			`{"error":{"root_cause":[{"type":"validation_exception","reason":"Validation Failed: 1: only existing users can be enabled;"}],"type":"validation_exception","reason":"Validation Failed: 1: only existing users can be enabled;"},"status":400}`},
		{"bob may not disable others", http.MethodPut, "/_security/user/elastic/_disable", bob, 403,
			`{"error":{"root_cause":[{"type":"security_exception","reason":"action [cluster:admin/xpack/security/user/set_enabled] is unauthorized for user [bob] with effective roles [viewer], this action is granted by the cluster privileges [manage_security,all]"}],"type":"security_exception","reason":"action [cluster:admin/xpack/security/user/set_enabled] is unauthorized for user [bob] with effective roles [viewer], this action is granted by the cluster privileges [manage_security,all]"},"status":403}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := call(tc.method, tc.path, tc.authz)
			if status != tc.status || body != tc.body {
				t.Fatalf("got  %d %s\nwant %d %s", status, body, tc.status, tc.body)
			}
		})
	}
}

// TestOfficialGoClientUsers enables and disables a user and lists its
// privileges with the official Go client's typed API.
func TestOfficialGoClientUsers(t *testing.T) {
	ctx := context.Background()
	svc, srv := newWireServer(t)
	root := auth.WithSubject(ctx, auth.OSSubject("root"))
	pw := "carol-password"
	if _, err := svc.PutUser(root, &api.PutUserRequest{Username: "carol", Password: &pw, Roles: []string{"superuser"}}); err != nil {
		t.Fatal(err)
	}
	es := newTypedClient(t, elasticsearch.Config{Addresses: []string{srv}, Username: "elastic", Password: "wire-password"})
	carol := newTypedClient(t, elasticsearch.Config{Addresses: []string{srv}, Username: "carol", Password: pw})

	privs, err := carol.Security.GetUserPrivileges().Do(ctx)
	if err != nil {
		t.Fatalf("get user privileges: %v", err)
	}
	if !slices.Equal(privs.Cluster, []string{"all"}) || len(privs.Indices) != 1 || !privs.Indices[0].AllowRestrictedIndices ||
		len(privs.Applications) != 1 || !slices.Equal(privs.RunAs, []string{"*"}) || len(privs.Global) != 0 {
		t.Fatalf("get user privileges: %+v", privs)
	}
	if _, err := es.Security.DisableUser("carol").Do(ctx); err != nil {
		t.Fatalf("disable: %v", err)
	}
	_, err = carol.Security.GetUserPrivileges().Do(ctx)
	wantStatus(t, err, 401, "security_exception")
	users, err := es.Security.GetUser().Username("carol").Do(ctx)
	if err != nil || users["carol"].Enabled {
		t.Fatalf("get user after disabling: %+v %v", users, err)
	}
	if _, err := es.Security.EnableUser("carol").Do(ctx); err != nil {
		t.Fatalf("enable: %v", err)
	}
	if _, err := carol.Security.GetUserPrivileges().Do(ctx); err != nil {
		t.Fatalf("get user privileges after enabling: %v", err)
	}
	_, err = es.Security.DisableUser("elastic").Do(ctx)
	wantStatus(t, err, 400, "illegal_argument_exception")
	_, err = es.Security.EnableUser("ghost").Do(ctx)
	wantStatus(t, err, 400, "validation_exception")
	if strings.Contains(err.Error(), "ghost") {
		t.Fatalf("the unknown user's answer names it, unlike Elasticsearch's: %v", err)
	}
}
