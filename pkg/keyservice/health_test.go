package keyservice_test

import (
	"context"
	"errors"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// TestClusterHealthAuthorization: cluster:monitor/health is granted by
// monitor and by every privilege that implies it (manage, all), for users
// and API keys alike, and refused with Elasticsearch's 403 otherwise.
func TestClusterHealthAuthorization(t *testing.T) {
	fx := newFixture(t)
	for role, privs := range map[string][]string{"manager": {"manage"}, "pattern": {"cluster:monitor/*"}} {
		if _, err := fx.svc.PutRole(fx.root, &api.PutRoleRequest{Name: role, Descriptor: api.RoleDescriptor{Cluster: privs}}); err != nil {
			t.Fatal(err)
		}
		pw := "password-" + role
		if _, err := fx.svc.PutUser(fx.root, &api.PutUserRequest{Username: role, Password: &pw, Roles: []string{role}}); err != nil {
			t.Fatal(err)
		}
	}
	keyWith := func(name string, cluster ...string) *api.CreateAPIKeyResponse {
		return fx.create(fx.root, name, func(r *api.CreateAPIKeyRequest) {
			r.RoleDescriptors = api.RoleDescriptors{{Name: name, Descriptor: api.RoleDescriptor{Cluster: cluster}}}
		})
	}
	monitorKey := keyWith("monitor-only", "monitor")
	emptyKey := keyWith("nothing")
	manageKey := keyWith("manage", "manage")
	// A key's privileges are limited by its owner's: a manage_security
	// owner's monitor key, or a manage_own_api_key owner's, gets nothing.
	securityMonitor := fx.create(fx.as("secadmin"), "secadmin-monitor", func(r *api.CreateAPIKeyRequest) {
		r.RoleDescriptors = api.RoleDescriptors{{Name: "m", Descriptor: api.RoleDescriptor{Cluster: []string{"monitor"}}}}
	})
	ownKeysMonitor := fx.create(fx.as("owner"), "owner-monitor", func(r *api.CreateAPIKeyRequest) {
		r.RoleDescriptors = api.RoleDescriptors{{Name: "m", Descriptor: api.RoleDescriptor{Cluster: []string{"monitor"}}}}
	})

	const grantedBy = ", this action is granted by the cluster privileges [monitor,manage,all]"
	tests := []struct {
		name   string
		ctx    context.Context
		reason string // empty: allowed
	}{
		{"monitor user", fx.as("nobody"), ""},
		{"manage user", fx.as("manager"), ""},
		{"action pattern", fx.as("pattern"), ""},
		{"superuser", fx.root, ""},
		{"monitor-only key", fx.asKey(monitorKey), ""},
		{"manage key", fx.asKey(manageKey), ""},
		{"manage_security user", fx.as("secadmin"), "action [cluster:monitor/health] is unauthorized for user [secadmin] with effective roles [security]" + grantedBy},
		{"manage_api_key user", fx.as("admin"), "action [cluster:monitor/health] is unauthorized for user [admin] with effective roles [all_keys]" + grantedBy},
		{"read_security user", fx.as("reader"), "action [cluster:monitor/health] is unauthorized for user [reader] with effective roles [reader]" + grantedBy},
		{"key without cluster privileges", fx.asKey(emptyKey), "action [cluster:monitor/health] is unauthorized for API key id [" + emptyKey.ID + "] of user [root]" + grantedBy},
		{"monitor key of a manage_security owner", fx.asKey(securityMonitor), "action [cluster:monitor/health] is unauthorized for API key id [" + securityMonitor.ID + "] of user [secadmin]" + grantedBy},
		{"monitor key of an owner without monitor", fx.asKey(ownKeysMonitor), "action [cluster:monitor/health] is unauthorized for API key id [" + ownKeysMonitor.ID + "] of user [owner]" + grantedBy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := fx.svc.ClusterHealth(tt.ctx, &api.ClusterHealthRequest{})
			if tt.reason == "" {
				if err != nil || resp.Status != api.HealthGreen || resp.TimedOut {
					t.Fatalf("want green, got %+v, %v", resp, err)
				}
				return
			}
			var e *api.Error
			if !errors.As(err, &e) || e.Code != api.Forbidden || e.Reason != tt.reason {
				t.Fatalf("got %v\nwant %s", err, tt.reason)
			}
		})
	}
}

// TestClusterHealthParameterBeforeAuthorization: a malformed parameter is
// a 400 for any caller, as Elasticsearch's REST layer parses it before
// the action is authorized.
func TestClusterHealthParameterBeforeAuthorization(t *testing.T) {
	fx := newFixture(t)
	_, err := fx.svc.ClusterHealth(fx.as("owner"), &api.ClusterHealthRequest{WaitForStatus: "blue"})
	var e *api.Error
	if !errors.As(err, &e) || e.Code != api.Invalid || e.Reason != "unknown cluster health status [blue]" {
		t.Fatalf("got %v", err)
	}
}
