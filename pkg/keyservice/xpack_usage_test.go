package keyservice_test

import (
	"errors"
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// TestXPackUsageCrossClusterKeys: the remote cluster server's api_keys
// count the active cross-cluster keys by access, as Elasticsearch does:
// an invalidated key, an expired key and a REST key count nowhere.
func TestXPackUsageCrossClusterKeys(t *testing.T) {
	fx := newFixture(t)
	sec := fx.as("secadmin")
	search := []api.SearchAccess{{Names: []string{"logs*"}}}
	replication := []api.ReplicationAccess{{Names: []string{"archive*"}}}
	create := func(name string, access api.CrossClusterAccess, expiration *string) string {
		t.Helper()
		resp, err := fx.svc.CreateCrossClusterAPIKey(sec, &api.CreateCrossClusterAPIKeyRequest{Name: &name, Access: &access, Expiration: expiration})
		if err != nil {
			t.Fatal(err)
		}
		return resp.ID
	}
	create("ccs-1", api.CrossClusterAccess{Search: search}, nil)
	create("ccs-2", api.CrossClusterAccess{Search: search}, ptr("30d"))
	create("ccr", api.CrossClusterAccess{Replication: replication}, nil)
	create("both", api.CrossClusterAccess{Search: search, Replication: replication}, nil)
	create("expired", api.CrossClusterAccess{Search: search, Replication: replication}, ptr("1h"))
	invalidated := create("invalidated", api.CrossClusterAccess{Replication: replication}, nil)
	if _, err := fx.svc.InvalidateAPIKeys(fx.root, &api.InvalidateAPIKeysRequest{IDs: []string{invalidated}}); err != nil {
		t.Fatal(err)
	}
	fx.create(fx.root, "rest")
	fx.clock.t = fx.clock.t.Add(2 * time.Hour)

	resp, err := fx.svc.XPackUsage(fx.as("nobody"), &api.XPackUsageRequest{})
	if err != nil {
		t.Fatal(err)
	}
	rcs := resp.Security.RemoteClusterServer
	want := api.CrossClusterKeyUsage{Total: 4, CCS: 2, CCR: 1, CCSCCR: 1}
	if rcs.APIKeys != want || !rcs.Available || rcs.Enabled {
		t.Errorf("remote_cluster_server = %+v, want available, not enabled, api_keys %+v", rcs, want)
	}
	if sec := resp.Security; !sec.Available || !sec.Enabled || !sec.APIKeyService.Enabled || !sec.TokenService.Enabled || sec.Audit.Enabled {
		t.Errorf("security = %+v, want available and enabled, API key and token services on, no audit", sec)
	}
}

// TestXPackUsageRoles: the native roles are counted, and fls and dls say
// whether any of them restricts fields or documents.
func TestXPackUsageRoles(t *testing.T) {
	fx := newFixture(t)
	usage := func() api.RoleStoreUsage {
		t.Helper()
		resp, err := fx.svc.XPackUsage(fx.root, &api.XPackUsageRequest{})
		if err != nil {
			t.Fatal(err)
		}
		return resp.Security.Roles.Native
	}
	before := usage()
	put := func(name string, ip api.IndicesPrivileges) {
		t.Helper()
		ip.Names, ip.Privileges = []string{"logs"}, []string{"read"}
		if _, err := fx.svc.PutRole(fx.root, &api.PutRoleRequest{Name: name, Descriptor: api.RoleDescriptor{Indices: []api.IndicesPrivileges{ip}}}); err != nil {
			t.Fatal(err)
		}
	}
	put("fls", api.IndicesPrivileges{FieldSecurity: &api.FieldSecurity{Grant: []string{"message"}}})
	if got, want := usage(), (api.RoleStoreUsage{Size: before.Size + 1, FLS: true, DLS: before.DLS}); got != want {
		t.Errorf("after a role with field security: %+v, want %+v", got, want)
	}
	put("dls", api.IndicesPrivileges{Query: ptr(`{"term":{"team":"a"}}`)})
	if got, want := usage(), (api.RoleStoreUsage{Size: before.Size + 2, FLS: true, DLS: true}); got != want {
		t.Errorf("after a role with a query: %+v, want %+v", got, want)
	}
	if before.FLS || before.DLS {
		t.Errorf("the fixture's roles: %+v, want neither fls nor dls", before)
	}
}

// TestXPackUsageAuthorization: cluster:monitor/xpack/usage is granted by
// monitor (or manage, or all) and refused with Elasticsearch's 403
// otherwise; a malformed master_timeout is a 400 for any caller.
func TestXPackUsageAuthorization(t *testing.T) {
	fx := newFixture(t)
	const grantedBy = ", this action is granted by the cluster privileges [monitor,manage,all]"
	tests := []struct {
		name string
		user string
		req  api.XPackUsageRequest
		code api.Code
		want string
	}{
		{"monitor", "nobody", api.XPackUsageRequest{MasterTimeout: "30s"}, 0, ""},
		{"manage_security", "secadmin", api.XPackUsageRequest{}, api.Forbidden,
			"action [cluster:monitor/xpack/usage] is unauthorized for user [secadmin] with effective roles [security]" + grantedBy},
		{"bad master_timeout", "secadmin", api.XPackUsageRequest{MasterTimeout: "soon"}, api.Invalid,
			"failed to parse setting [master_timeout] with value [soon] as a time value: unit is missing or unrecognized"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := fx.svc.XPackUsage(fx.as(tt.user), &tt.req)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var e *api.Error
			if !errors.As(err, &e) || e.Code != tt.code || e.Reason != tt.want {
				t.Fatalf("got %v\nwant %s", err, tt.want)
			}
		})
	}
}
