package keyservice_test

import (
	"context"
	"slices"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
)

func privilege(app, name string, actions ...string) api.ApplicationPrivilege {
	return api.ApplicationPrivilege{Application: app, Name: name, Actions: actions}
}

// TestPutPrivilegesValidation checks Elasticsearch's rules of a put
// privileges request, every complaint listed, nothing written.
func TestPutPrivilegesValidation(t *testing.T) {
	fx := newFixture(t)
	tests := []struct {
		name   string
		privs  []api.ApplicationPrivilege
		reason string
	}{
		{"none", nil, "Validation Failed: 1: At least one application privilege must be provided;"},
		{"wildcard application", []api.ApplicationPrivilege{privilege("myapp*", "read", "a:b")}, "Validation Failed: 1: Application names may not contain '*' (found 'myapp*');"},
		{"short application", []api.ApplicationPrivilege{privilege("ab", "read", "a:b")}, "Validation Failed: 1: An application name prefix must be at least 3 characters long (found 'ab');"},
		{"bad name", []api.ApplicationPrivilege{privilege("myapp", "_read", "a:b")}, "Validation Failed: 1: Application privilege names must match the pattern ^[a-z][a-zA-Z0-9_.-]*$ (found '_read');"},
		{"no action", []api.ApplicationPrivilege{privilege("myapp", "read")}, "Validation Failed: 1: Application privileges must have at least one action;"},
		{"action without separator", []api.ApplicationPrivilege{privilege("myapp", "read", "login")}, "Validation Failed: 1: action [login] must contain one of [ '/' , '*' , ':' ];"},
		{"reserved metadata", []api.ApplicationPrivilege{{Application: "myapp", Name: "read", Actions: []string{"a:b"}, Metadata: api.MetadataFromMap(map[string]any{"_x": 1})}}, "Validation Failed: 1: metadata keys may not start with [_] (in privilege myapp read);"},
		{"every complaint", []api.ApplicationPrivilege{privilege("My", "Read", "lo gin")},
			"Validation Failed: 1: An application name prefix must match the pattern ^[a-z][A-Za-z0-9]*$ (found 'My');2: Application privilege names must match the pattern ^[a-z][a-zA-Z0-9_.-]*$ (found 'Read');3: action [lo gin] must contain one of [ '/' , '*' , ':' ];4: Application privilege names and actions must match the pattern ^\\p{Graph}*$ (found 'lo gin');"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := fx.svc.PutPrivileges(fx.root, &api.PutPrivilegesRequest{Privileges: tc.privs})
			wantErr(t, err, 400, "action_request_validation_exception", tc.reason)
		})
	}
	got, err := fx.svc.GetPrivileges(fx.root, "", nil)
	if err != nil || len(got) != 0 {
		t.Fatalf("after refused puts: %v %v", got, err)
	}
}

// TestPrivilegesLifecycle: put, get, has privileges and delete, with
// their audit events, the authorization of each, and no stale answer
// from a cached authentication after a put or a delete.
func TestPrivilegesLifecycle(t *testing.T) {
	audit := &events{}
	fx := newFixture(t, func(o *keyservice.Options) { o.Auditor = audit })
	if _, err := fx.svc.PutRole(fx.root, &api.PutRoleRequest{Name: "app_reader", Descriptor: api.RoleDescriptor{
		Applications: []api.ApplicationPrivileges{{Application: "myapp", Privileges: []string{"read"}, Resources: []string{"*"}}},
	}}); err != nil {
		t.Fatal(err)
	}
	pw := "password-appuser"
	if _, err := fx.svc.PutUser(fx.root, &api.PutUserRequest{Username: "appuser", Password: &pw, Roles: []string{"app_reader", "own_keys"}}); err != nil {
		t.Fatal(err)
	}
	appuser := fx.as("appuser") // cached from here on
	// A key of appuser's own, limited to reading one resource.
	key := fx.asKey(fx.create(appuser, "narrow", func(r *api.CreateAPIKeyRequest) {
		r.RoleDescriptors = api.RoleDescriptors{{Name: "r", Descriptor: api.RoleDescriptor{
			Applications: []api.ApplicationPrivileges{{Application: "myapp", Privileges: []string{"data:read/*"}, Resources: []string{"doc/1"}}},
		}}}
	}))
	has := func(ctx context.Context, resource, priv string) bool {
		t.Helper()
		resp, err := fx.svc.HasPrivileges(ctx, &api.HasPrivilegesRequest{Application: []api.ApplicationPrivilegesCheck{{Application: "myapp", Privileges: []string{priv}, Resources: []string{resource}}}})
		if err != nil {
			t.Fatal(err)
		}
		return resp.Application["myapp"][resource][priv]
	}
	if has(appuser, "doc/1", "data:read/x") {
		t.Fatal("read granted data:read/x before the privilege was stored")
	}

	_, err := fx.svc.PutPrivileges(fx.as("reader"), &api.PutPrivilegesRequest{Privileges: []api.ApplicationPrivilege{privilege("myapp", "read", "data:read/*")}})
	wantErr(t, err, 403, "security_exception", "action [cluster:admin/xpack/security/privilege/put] is unauthorized for user [reader] with effective roles [reader], this action is granted by the cluster privileges [manage_security,all]")
	put, err := fx.svc.PutPrivileges(fx.as("secadmin"), &api.PutPrivilegesRequest{Privileges: []api.ApplicationPrivilege{
		privilege("myapp", "read", "data:read/*", "action:login", "data:read/*"),
		privilege("myapp", "write", "data:write/*"),
	}})
	if err != nil || !put["myapp"]["read"].Created || !put["myapp"]["write"].Created {
		t.Fatalf("put: %v %v", put, err)
	}
	if !has(appuser, "doc/1", "data:read/x") || !has(appuser, "any", "read") || has(appuser, "any", "write") {
		t.Fatal("the cached user does not see the stored privilege")
	}
	// The key's own entry grants data:read/* on doc/1: not all of read,
	// whose actions include action:login.
	if !has(key, "doc/1", "data:read/x") || has(key, "doc/2", "data:read/x") || has(key, "doc/1", "read") {
		t.Fatal("the key's own descriptors do not limit its owner's")
	}

	got, err := fx.svc.GetPrivileges(fx.as("reader"), "myapp", []string{"read", "nope"})
	if err != nil || len(got["myapp"]) != 1 || !slices.Equal(got["myapp"]["read"].Actions, []string{"data:read/*", "action:login"}) {
		t.Fatalf("get by read_security: %+v %v", got, err)
	}
	_, err = fx.svc.GetPrivileges(fx.as("nobody"), "", nil)
	wantErr(t, err, 403, "security_exception", "privilege/get] is unauthorized for user [nobody]")

	del, err := fx.svc.DeletePrivileges(fx.as("secadmin"), "myapp", []string{"read", "gone"})
	if err != nil || !del["myapp"]["read"].Found || del["myapp"]["gone"].Found {
		t.Fatalf("delete: %v %v", del, err)
	}
	if has(appuser, "doc/1", "data:read/x") {
		t.Fatal("the cached user still holds the deleted privilege's actions")
	}
	_, err = fx.svc.DeletePrivileges(fx.root, "", nil)
	wantErr(t, err, 400, "action_request_validation_exception", "Validation Failed: 1: application name is missing;2: privileges are missing;")

	puts, dels := audit.of(keyservice.AuditPutPrivileges), audit.of(keyservice.AuditDeletePrivileges)
	if len(puts) != 1 || !slices.Equal(puts[0].Names, []string{"myapp/read", "myapp/write"}) || puts[0].Request != auth.ActionPutPrivileges {
		t.Fatalf("put_privileges events: %+v", puts)
	}
	if len(dels) != 1 || !slices.Equal(dels[0].Names, []string{"myapp/read"}) {
		t.Fatalf("delete_privileges events: %+v", dels)
	}
}

func TestHasPrivilegesValidation(t *testing.T) {
	fx := newFixture(t)
	_, err := fx.svc.HasPrivileges(fx.as("owner"), &api.HasPrivilegesRequest{})
	wantErr(t, err, 400, "action_request_validation_exception", "Validation Failed: 1: must specify at least one privilege;")
	_, err = fx.svc.HasPrivileges(fx.as("owner"), &api.HasPrivilegesRequest{Application: []api.ApplicationPrivilegesCheck{{Application: "*", Privileges: []string{"read"}, Resources: []string{"x"}}}})
	wantErr(t, err, 400, "action_request_validation_exception", "Validation Failed: 1: Application names may not contain '*' (found '*');")
}

func TestGetBuiltinPrivileges(t *testing.T) {
	fx := newFixture(t)
	got, err := fx.svc.GetBuiltinPrivileges(fx.as("reader"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.IsSorted(got.Cluster) || !slices.Contains(got.Cluster, "manage_own_api_key") || !slices.IsSorted(got.Index) ||
		slices.Contains(got.Index, "read_failure_store") || !slices.Equal(got.RemoteCluster, []string{"monitor_enrich", "monitor_stats"}) {
		t.Fatalf("builtin privileges: %+v", got)
	}
	_, err = fx.svc.GetBuiltinPrivileges(fx.as("nobody"))
	wantErr(t, err, 403, "security_exception", "privilege/builtin/get] is unauthorized")
}
