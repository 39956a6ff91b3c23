package keyservice_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
)

// TestSetUserEnabled: a disabled user loses its password and its access
// tokens at the next request, keeps its API keys (as in Elasticsearch),
// and gets all of them back when enabled again.
func TestSetUserEnabled(t *testing.T) {
	audit := &events{}
	fx := newFixture(t, func(o *keyservice.Options) { o.Auditor = audit })
	withTokenUsers(t, fx)
	owner := fx.as("owner") // warms the user cache with owner's password
	key := fx.create(owner, "kept")
	token := fx.token(fx.as("tokener"), passwordGrant("owner", "password-owner")).AccessToken

	basic := func() error {
		_, err := fx.svc.AuthenticateCredential(context.Background(), auth.Credential{Scheme: auth.SchemeBasic, Username: "owner", Password: "password-owner"})
		return err
	}
	bearer := func() error { _, err := fx.bearer(token); return err }
	apiKey := func() error { _, err := fx.authKey(key.Encoded); return err }
	enabled := func() bool {
		users, err := fx.svc.GetUsers(fx.root, []string{"owner"})
		if err != nil {
			t.Fatal(err)
		}
		return users["owner"].Enabled
	}

	if err := fx.svc.SetUserEnabled(fx.as("secadmin"), "owner", false); err != nil {
		t.Fatalf("disable: %v", err)
	}
	if enabled() {
		t.Fatal("GET /_security/user shows owner enabled after disabling")
	}
	wantErr(t, basic(), 401, "security_exception", "unable to authenticate user [owner] for REST request")
	wantErr(t, bearer(), 401, "security_exception", "")
	if err := apiKey(); err != nil {
		t.Fatalf("API key of a disabled user: %v", err)
	}
	// Disabling twice is no error, as in Elasticsearch.
	if err := fx.svc.SetUserEnabled(fx.root, "owner", false); err != nil {
		t.Fatalf("disable again: %v", err)
	}

	if err := fx.svc.SetUserEnabled(fx.root, "owner", true); err != nil {
		t.Fatalf("enable: %v", err)
	}
	for name, call := range map[string]func() error{"password": basic, "token": bearer, "api key": apiKey} {
		if err := call(); err != nil {
			t.Errorf("%s after enabling: %v", name, err)
		}
	}
	if !enabled() {
		t.Fatal("GET /_security/user shows owner disabled after enabling")
	}
	if n, m := len(audit.of(keyservice.AuditDisableUser)), len(audit.of(keyservice.AuditEnableUser)); n != 2 || m != 1 {
		t.Fatalf("audit: %d change_disable_user, %d change_enable_user events; want 2 and 1", n, m)
	}
	if ev := audit.of(keyservice.AuditEnableUser)[0]; ev.Request != auth.ActionSetEnabled || len(ev.Names) != 1 || ev.Names[0] != "owner" {
		t.Fatalf("audit event: %+v", ev)
	}
}

func TestSetUserEnabledRefused(t *testing.T) {
	fx := newFixture(t)
	superKey := fx.asKey(fx.create(fx.as("secadmin"), "sec"))
	tests := []struct {
		name    string
		ctx     context.Context
		user    string
		enabled bool
		status  int
		typ     string
		reason  string
	}{
		{"own account", fx.as("secadmin"), "secadmin", false, 400, "illegal_argument_exception", "users may not update the enabled status of their own account"},
		{"own account enabled", fx.as("secadmin"), "secadmin", true, 400, "illegal_argument_exception", "users may not update the enabled status of their own account"},
		{"unknown user disabled", fx.root, "ghost", false, 400, "validation_exception", "Validation Failed: 1: only existing users can be disabled;"},
		{"unknown user enabled", fx.root, "ghost", true, 400, "validation_exception", "Validation Failed: 1: only existing users can be enabled;"},
		{"without manage_security", fx.as("admin"), "owner", false, 403, "security_exception", "action [cluster:admin/xpack/security/user/set_enabled] is unauthorized for user [admin]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, fx.svc.SetUserEnabled(tt.ctx, tt.user, tt.enabled), tt.status, tt.typ, tt.reason)
		})
	}
	// An API key is not its owner's account: its owner may be disabled
	// through it, as in Elasticsearch, and the key keeps working.
	if err := fx.svc.SetUserEnabled(superKey, "secadmin", false); err != nil {
		t.Fatalf("disable the key's owner through the key: %v", err)
	}
}

func TestGetUserPrivileges(t *testing.T) {
	fx := newFixture(t)
	q1, q2 := `{"term":{"public":true}}`, `{"term":{"team":"a"}}`
	roles := map[string]api.RoleDescriptor{
		"logs_read": {
			Cluster: []string{"monitor", "manage_own_api_key"},
			Indices: []api.IndicesPrivileges{
				{Names: []string{"logs-*", "audit"}, Privileges: []string{"read"}, FieldSecurity: &api.FieldSecurity{Grant: []string{"public.*"}}, Query: &q1},
				{Names: []string{".security"}, Privileges: []string{"read"}, AllowRestrictedIndices: true},
			},
			Applications: []api.ApplicationPrivileges{{Application: "kibana", Privileges: []string{"read"}, Resources: []string{"*"}}},
			RunAs:        []string{"bob"},
		},
		"logs_write": {
			Cluster: []string{"monitor"},
			Global:  map[string]any{"application": map[string]any{"manage": map[string]any{"applications": []any{"kibana"}}}},
			Indices: []api.IndicesPrivileges{
				{Names: []string{"audit", "logs-*"}, Privileges: []string{"write", "read"}, FieldSecurity: &api.FieldSecurity{Grant: []string{"a"}, Except: []string{"a.b"}}, Query: &q2},
			},
			Applications:  []api.ApplicationPrivileges{{Application: "kibana", Privileges: []string{"write"}, Resources: []string{"*"}}},
			RunAs:         []string{"alice", "bob"},
			RemoteIndices: []api.RemoteIndicesPrivileges{{Clusters: []string{"eu", "us"}, IndicesPrivileges: api.IndicesPrivileges{Names: []string{"r-*"}, Privileges: []string{"read"}}}},
		},
	}
	for name, d := range roles {
		if _, err := fx.svc.PutRole(fx.root, &api.PutRoleRequest{Name: name, Descriptor: d}); err != nil {
			t.Fatal(err)
		}
	}
	pw := "password-merged"
	if _, err := fx.svc.PutUser(fx.root, &api.PutUserRequest{Username: "merged", Password: &pw, Roles: []string{"logs_read", "logs_write", "missing"}}); err != nil {
		t.Fatal(err)
	}
	noRoles := fx.asKey(fx.create(fx.as("merged"), "owner's privileges"))
	assigned := fx.asKey(fx.create(fx.as("merged"), "assigned", func(r *api.CreateAPIKeyRequest) {
		r.RoleDescriptors = api.RoleDescriptors{{Name: "r", Descriptor: api.RoleDescriptor{Cluster: []string{"monitor"}}}}
	}))
	merged := `{"cluster":["manage_own_api_key","monitor"],` +
		`"global":[{"application":{"manage":{"applications":["kibana"]}}}],` +
		`"indices":[{"names":["audit","logs-*"],"privileges":["read","write"],"field_security":[{"grant":["a"],"except":["a.b"]},{"grant":["public.*"]}],"query":["{\"term\":{\"public\":true}}","{\"term\":{\"team\":\"a\"}}"],"allow_restricted_indices":false},` +
		`{"names":[".security"],"privileges":["read"],"allow_restricted_indices":true}],` +
		`"applications":[{"application":"kibana","privileges":["read","write"],"resources":["*"]}],` +
		`"run_as":["alice","bob"],` +
		`"remote_indices":[{"names":["r-*"],"privileges":["read"],"allow_restricted_indices":false,"clusters":["eu","us"]}]}`
	tests := []struct {
		name string
		ctx  context.Context
		want string
	}{
		{"roles merged", fx.as("merged"), merged},
		{"API key without role descriptors: its owner's", noRoles, merged},
		{"no privileges beyond a cluster one", fx.as("nobody"), `{"cluster":["monitor"],"global":[],"indices":[],"applications":[],"run_as":[]}`},
		{"superuser", fx.root, `{"cluster":["all"],"global":[],"indices":[{"names":["*"],"privileges":["all"],"allow_restricted_indices":true}],"applications":[{"application":"*","privileges":["*"],"resources":["*"]}],"run_as":["*"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := fx.svc.GetUserPrivileges(tt.ctx)
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.Marshal(resp)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
	t.Run("API key with role descriptors", func(t *testing.T) {
		_, err := fx.svc.GetUserPrivileges(assigned)
		wantErr(t, err, 400, "illegal_argument_exception", "Cannot retrieve privileges for API keys with assigned role descriptors. Please use the Get API key information API https://ela.st/es-api-get-api-key")
	})
	t.Run("a field or query restriction dropped by an unrestricted entry", func(t *testing.T) {
		for name, d := range map[string]api.RoleDescriptor{
			"restricted":   {Indices: []api.IndicesPrivileges{{Names: []string{"x"}, Privileges: []string{"read"}, FieldSecurity: &api.FieldSecurity{Grant: []string{"f"}}, Query: &q1}}},
			"unrestricted": {Indices: []api.IndicesPrivileges{{Names: []string{"x"}, Privileges: []string{"read"}}}},
		} {
			if _, err := fx.svc.PutRole(fx.root, &api.PutRoleRequest{Name: name, Descriptor: d}); err != nil {
				t.Fatal(err)
			}
		}
		pw := "password-open"
		if _, err := fx.svc.PutUser(fx.root, &api.PutUserRequest{Username: "open", Password: &pw, Roles: []string{"restricted", "unrestricted"}}); err != nil {
			t.Fatal(err)
		}
		resp, err := fx.svc.GetUserPrivileges(fx.as("open"))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(resp.Indices)
		if want := `[{"names":["x"],"privileges":["read"],"allow_restricted_indices":false}]`; string(got) != want {
			t.Fatalf("got  %s\nwant %s", got, want)
		}
	})
}

// TestDisableReservedUser: as in Elasticsearch, a reserved user (the
// bootstrap superuser elastic) may be disabled by another superuser, and
// stays reserved.
func TestDisableReservedUser(t *testing.T) {
	fx := newFixture(t)
	if _, _, err := fx.svc.Bootstrap(context.Background(), "elastic-password"); err != nil {
		t.Fatal(err)
	}
	elastic := func() (*auth.Subject, error) {
		return fx.svc.AuthenticateCredential(context.Background(), auth.Credential{Scheme: auth.SchemeBasic, Username: "elastic", Password: "elastic-password"})
	}
	if err := fx.svc.SetUserEnabled(fx.root, "elastic", false); err != nil {
		t.Fatalf("disable elastic: %v", err)
	}
	_, err := elastic()
	wantErr(t, err, 401, "security_exception", "unable to authenticate user [elastic] for REST request")
	if err := fx.svc.SetUserEnabled(fx.root, "elastic", true); err != nil {
		t.Fatalf("enable elastic: %v", err)
	}
	if sub, err := elastic(); err != nil || sub.Realm != auth.ReservedRealm {
		t.Fatalf("elastic after enabling: %+v %v", sub, err)
	}
}
