package keyservice_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// TestBulkPutRoles: each role succeeds or fails alone, and the answer
// names them as Elasticsearch does, in its member order.
func TestBulkPutRoles(t *testing.T) {
	fx := newFixture(t)
	req := &api.BulkPutRolesRequest{Roles: api.RoleDescriptors{
		{Name: "new_role", Descriptor: api.RoleDescriptor{Cluster: []string{"monitor"}}},
		{Name: "own_keys", Descriptor: api.RoleDescriptor{Cluster: []string{"manage_own_api_key"}}},
		{Name: "reader", Descriptor: api.RoleDescriptor{Cluster: []string{"read_security", "monitor"}}},
		{Name: "superuser", Descriptor: api.RoleDescriptor{Cluster: []string{"all"}}},
		{Name: "bad_privilege", Descriptor: api.RoleDescriptor{Cluster: []string{"no_such_privilege"}}},
	}}
	resp, err := fx.svc.BulkPutRoles(fx.root, req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"noop":["own_keys"],"created":["new_role"],"updated":["reader"],"errors":{"count":2,"details":{` +
		`"superuser":{"type":"action_request_validation_exception","reason":"Validation Failed: 1: Role [superuser] is reserved and may not be used.;"},` +
		`"bad_privilege":{"type":"action_request_validation_exception","reason":"Validation Failed: 1: unknown cluster privilege [no_such_privilege]. a privilege must be either one of the predefined cluster privilege names [`
	if len(got) < len(want) || string(got[:len(want)]) != want {
		t.Fatalf("answer:\n got %s\nwant %s…", got, want)
	}
	roles, err := fx.svc.GetRoles(fx.root, []string{"new_role", "reader", "bad_privilege"})
	if err != nil {
		t.Fatal(err)
	}
	if len(roles) != 2 || len(roles["reader"].Cluster) != 2 || roles["new_role"].Cluster[0] != "monitor" {
		t.Errorf("stored roles = %+v", roles)
	}

	// The same request again changes nothing that was written.
	again, err := fx.svc.BulkPutRoles(fx.root, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Noop) != 3 || len(again.Created)+len(again.Updated) != 0 || len(again.Errors) != 2 {
		t.Errorf("second put = %+v", again)
	}

	empty, err := fx.svc.BulkPutRoles(fx.root, &api.BulkPutRolesRequest{Roles: api.RoleDescriptors{}})
	if b, _ := json.Marshal(empty); err != nil || string(b) != "{}" {
		t.Errorf("no roles: %s %v", b, err)
	}
}

// TestBulkDeleteRoles: deleted, not found (also a name given twice) and
// the built-in roles refused, each alone.
func TestBulkDeleteRoles(t *testing.T) {
	fx := newFixture(t)
	resp, err := fx.svc.BulkDeleteRoles(fx.root, &api.BulkDeleteRolesRequest{Names: []string{"reader", "ghost", "superuser", "reader", "monitor"}})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(resp)
	want := `{"deleted":["reader","monitor"],"not_found":["ghost","reader"],"errors":{"count":1,"details":{"superuser":{"type":"illegal_argument_exception","reason":"role [superuser] is reserved and cannot be deleted"}}}}`
	if string(got) != want {
		t.Fatalf("answer:\n got %s\nwant %s", got, want)
	}
	if roles, err := fx.svc.GetRoles(fx.root, []string{"reader", "monitor"}); err != nil || len(roles) != 0 {
		t.Errorf("deleted roles still there: %v %v", roles, err)
	}
}

// TestBulkRolesNeedManageSecurity: read_security reads roles but changes
// none; the 403 names the bulk action.
func TestBulkRolesNeedManageSecurity(t *testing.T) {
	fx := newFixture(t)
	tests := []struct {
		name   string
		call   func(ctx context.Context) error
		action string
	}{
		{"bulk put", func(ctx context.Context) error {
			_, err := fx.svc.BulkPutRoles(ctx, &api.BulkPutRolesRequest{Roles: api.RoleDescriptors{{Name: "x"}}})
			return err
		}, "role/bulk_put"},
		{"bulk delete", func(ctx context.Context) error {
			_, err := fx.svc.BulkDeleteRoles(ctx, &api.BulkDeleteRolesRequest{Names: []string{"reader"}})
			return err
		}, "role/bulk_delete"},
		{"clear realm cache", func(ctx context.Context) error {
			_, err := fx.svc.ClearRealmCache(ctx, &api.ClearRealmCacheRequest{})
			return err
		}, "realm/cache/clear"},
		{"clear roles cache", func(ctx context.Context) error {
			_, err := fx.svc.ClearRolesCache(ctx, nil)
			return err
		}, "roles/cache/clear"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, tt.call(fx.as("reader")), 403, "security_exception", "action [cluster:admin/xpack/security/"+tt.action+"] is unauthorized for user [reader]")
			if err := tt.call(fx.as("secadmin")); err != nil {
				t.Errorf("manage_security: %v", err)
			}
		})
	}
}

// TestClearRealmAndRolesCache: a cached user is served from memory until
// its realm's cache, its name, or one of its roles is cleared; then the
// next authentication reads the store again.
func TestClearRealmAndRolesCache(t *testing.T) {
	tp := newTwoProcesses(t)
	pw := "password-1"
	if _, err := tp.daemon.PutRole(tp.root, &api.PutRoleRequest{Name: "r", Descriptor: api.RoleDescriptor{Cluster: []string{"monitor"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := tp.daemon.PutUser(tp.root, &api.PutUserRequest{Username: "u", Password: &pw, Roles: []string{"r"}}); err != nil {
		t.Fatal(err)
	}
	// readsOfAuth authenticates u and counts the store reads it took.
	readsOfAuth := func() int64 {
		t.Helper()
		before := tp.reads.views.Load()
		if _, err := tp.authUser("u", pw); err != nil {
			t.Fatal(err)
		}
		return tp.reads.views.Load() - before
	}
	readsOfAuth()
	tests := []struct {
		name   string
		clear  func() (*api.ClearCacheResponse, error)
		evicts bool
	}{
		{"another user", func() (*api.ClearCacheResponse, error) {
			return tp.daemon.ClearRealmCache(tp.root, &api.ClearRealmCacheRequest{Realms: []string{"default_native"}, Usernames: []string{"v"}})
		}, false},
		{"another realm", func() (*api.ClearCacheResponse, error) {
			return tp.daemon.ClearRealmCache(tp.root, &api.ClearRealmCacheRequest{Realms: []string{"reserved"}})
		}, false},
		{"the user", func() (*api.ClearCacheResponse, error) {
			return tp.daemon.ClearRealmCache(tp.root, &api.ClearRealmCacheRequest{Realms: []string{"default_native"}, Usernames: []string{"u"}})
		}, true},
		{"its realm", func() (*api.ClearCacheResponse, error) {
			return tp.daemon.ClearRealmCache(tp.root, &api.ClearRealmCacheRequest{Realms: []string{"default_native"}})
		}, true},
		{"every realm", func() (*api.ClearCacheResponse, error) {
			return tp.daemon.ClearRealmCache(tp.root, &api.ClearRealmCacheRequest{Realms: []string{"_all"}})
		}, true},
		{"another role", func() (*api.ClearCacheResponse, error) {
			return tp.daemon.ClearRolesCache(tp.root, []string{"other"})
		}, false},
		{"its role", func() (*api.ClearCacheResponse, error) {
			return tp.daemon.ClearRolesCache(tp.root, []string{"other", "r"})
		}, true},
		{"every role", func() (*api.ClearCacheResponse, error) {
			return tp.daemon.ClearRolesCache(tp.root, []string{"*"})
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := tt.clear()
			if err != nil || resp.Nodes.Successful != 1 || len(resp.NodeNames) != 1 {
				t.Fatalf("clear: %+v %v", resp, err)
			}
			if n := readsOfAuth(); (n > 0) != tt.evicts {
				t.Errorf("store reads of the next authentication = %d, want evicted=%v", n, tt.evicts)
			}
			readsOfAuth()
		})
	}
}

// TestClearUnknownRealm: as in Elasticsearch, a realm that does not exist
// fails the node, which a nodes response reports with a 200.
func TestClearUnknownRealm(t *testing.T) {
	fx := newFixture(t)
	resp, err := fx.svc.ClearRealmCache(fx.root, &api.ClearRealmCacheRequest{Realms: []string{"default_native", "ldap1"}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Nodes.Failed != 1 || resp.Nodes.Successful != 0 || len(resp.NodeNames) != 0 || len(resp.Nodes.Failures) != 1 {
		t.Fatalf("answer = %+v", resp)
	}
	b, _ := json.Marshal(resp.Nodes.Failures[0])
	var failure struct {
		Type     string `json:"type"`
		NodeID   string `json:"node_id"`
		CausedBy struct {
			Type   string `json:"type"`
			Reason string `json:"reason"`
		} `json:"caused_by"`
	}
	if err := json.Unmarshal(b, &failure); err != nil {
		t.Fatal(err)
	}
	if failure.Type != "failed_node_exception" || failure.NodeID == "" || failure.CausedBy.Type != "illegal_argument_exception" || failure.CausedBy.Reason != "could not find active realm [ldap1]" {
		t.Errorf("failure = %s", b)
	}
}
