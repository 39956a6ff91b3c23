package esapi

import (
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

func ptr[T any](v T) *T { return &v }

func TestRoutes(t *testing.T) {
	tests := []struct {
		name       string
		req        req
		wantMethod string
		wantArg    any
		wantStatus int
		wantBody   string
	}{
		{
			name:       "create with PUT",
			req:        req{method: "PUT", target: "/_security/api_key?refresh=wait_for", body: `{"name":"k","expiration":"1d"}`},
			wantMethod: "CreateAPIKey",
			wantArg:    &api.CreateAPIKeyRequest{Name: ptr("k"), Expiration: ptr("1d"), Refresh: "wait_for"},
			wantStatus: 200,
			wantBody:   `{"id":"id1","name":"k","api_key":"secret","encoded":"ZW5j"}`,
		},
		{
			name:       "create with POST",
			req:        req{method: "POST", target: "/_security/api_key", body: `{"name":"k"}`},
			wantMethod: "CreateAPIKey",
			wantArg:    &api.CreateAPIKeyRequest{Name: ptr("k")},
			wantStatus: 200,
		},
		{
			name:       "get API keys with every parameter",
			req:        req{method: "GET", target: "/_security/api_key?name=app-*&username=bob&realm_name=native&owner=false&active_only&with_limited_by=true&with_profile_uid=false"},
			wantMethod: "GetAPIKeys",
			wantArg:    &api.GetAPIKeysRequest{Name: "app-*", Username: "bob", RealmName: "native", ActiveOnly: true, WithLimitedBy: true},
			wantStatus: 200,
			wantBody:   `{"api_keys":[]}`,
		},
		{
			name:       "get API keys by id",
			req:        req{method: "GET", target: "/_security/api_key?id=abc&owner=true"},
			wantMethod: "GetAPIKeys",
			wantArg:    &api.GetAPIKeysRequest{ID: "abc", Owner: true},
			wantStatus: 404,
			wantBody:   `{"api_keys":[]}`,
		},
		{
			name:       "invalidate",
			req:        req{method: "DELETE", target: "/_security/api_key", body: `{"ids":["a","b"]}`},
			wantMethod: "InvalidateAPIKeys",
			wantArg:    &api.InvalidateAPIKeysRequest{IDs: []string{"a", "b"}},
			wantStatus: 200,
			wantBody:   `{"invalidated_api_keys":["a","b"],"previously_invalidated_api_keys":[],"error_count":0}`,
		},
		{
			name:       "authenticate",
			req:        req{method: "GET", target: "/_security/_authenticate"},
			wantMethod: "Authenticate",
			wantStatus: 200,
		},
		{
			name:       "put user",
			req:        req{method: "PUT", target: "/_security/user/bob?refresh=true", body: `{"password":"secret123","roles":["admin"]}`},
			wantMethod: "PutUser",
			wantArg:    &api.PutUserRequest{Username: "bob", Password: ptr("secret123"), Roles: []string{"admin"}},
			wantStatus: 200,
			wantBody:   `{"created":true}`,
		},
		{
			name:       "put user with POST and an encoded name",
			req:        req{method: "POST", target: "/_security/user/b%40b", body: `{"password":"secret123","roles":[]}`},
			wantMethod: "PutUser",
			wantArg:    &api.PutUserRequest{Username: "b@b", Password: ptr("secret123"), Roles: []string{}},
			wantStatus: 200,
		},
		{
			name:       "get all users",
			req:        req{method: "GET", target: "/_security/user"},
			wantMethod: "GetUsers",
			wantArg:    []string(nil),
			wantStatus: 200,
			wantBody:   `{}`,
		},
		{
			name:       "get named users decodes the comma",
			req:        req{method: "GET", target: "/_security/user/a%2Cb,%20c?with_profile_uid=true"},
			wantMethod: "GetUsers",
			wantArg:    []string{"a", "b", "c"},
			wantStatus: 404,
			wantBody:   `{}`,
		},
		{
			name:       "get user named _password",
			req:        req{method: "GET", target: "/_security/user/_password"},
			wantMethod: "GetUsers",
			wantArg:    []string{"_password"},
			wantStatus: 404,
		},
		{
			name:       "delete user",
			req:        req{method: "DELETE", target: "/_security/user/bob"},
			wantMethod: "DeleteUser",
			wantArg:    "bob",
			wantStatus: 200,
			wantBody:   `{"found":true}`,
		},
		{
			name:       "change a named user's password",
			req:        req{method: "POST", target: "/_security/user/bob/_password", body: `{"password":"newpass1"}`},
			wantMethod: "ChangePassword",
			wantArg:    &api.ChangePasswordRequest{Username: "bob", Password: ptr("newpass1")},
			wantStatus: 200,
			wantBody:   `{}`,
		},
		{
			name:       "change the caller's own password",
			req:        req{method: "PUT", target: "/_security/user/_password", body: `{"password":"newpass1"}`},
			wantMethod: "ChangePassword",
			wantArg:    &api.ChangePasswordRequest{Username: "elastic", Password: ptr("newpass1")},
			wantStatus: 200,
		},
		{
			name:       "enable a user",
			req:        req{method: "PUT", target: "/_security/user/bob/_enable?refresh=true"},
			wantMethod: "SetUserEnabled",
			wantArg:    map[string]any{"username": "bob", "enabled": true},
			wantStatus: 200,
			wantBody:   `{}`,
		},
		{
			name:       "disable a user with POST",
			req:        req{method: "POST", target: "/_security/user/bob/_disable"},
			wantMethod: "SetUserEnabled",
			wantArg:    map[string]any{"username": "bob", "enabled": false},
			wantStatus: 200,
			wantBody:   `{}`,
		},
		{
			name:       "get user privileges",
			req:        req{method: "GET", target: "/_security/user/_privileges"},
			wantMethod: "GetUserPrivileges",
			wantStatus: 200,
			wantBody:   `{"cluster":["all"],"global":[],"indices":[],"applications":[],"run_as":[]}`,
		},
		{
			name:       "put role",
			req:        req{method: "PUT", target: "/_security/role/my%20role", body: `{"cluster":["manage_own_api_key"]}`},
			wantMethod: "PutRole",
			wantArg:    &api.PutRoleRequest{Name: "my role", Descriptor: api.RoleDescriptor{Cluster: []string{"manage_own_api_key"}}},
			wantStatus: 200,
			wantBody:   `{"role":{"created":true}}`,
		},
		{
			name:       "put role with POST",
			req:        req{method: "POST", target: "/_security/role/r1", body: `{"cluster":[]}`},
			wantMethod: "PutRole",
			wantArg:    &api.PutRoleRequest{Name: "r1", Descriptor: api.RoleDescriptor{Cluster: []string{}}},
			wantStatus: 200,
		},
		{
			name:       "get all roles",
			req:        req{method: "GET", target: "/_security/role"},
			wantMethod: "GetRoles",
			wantArg:    []string(nil),
			wantStatus: 200,
			wantBody:   `{}`,
		},
		{
			name:       "get named roles",
			req:        req{method: "GET", target: "/_security/role/r1,r2"},
			wantMethod: "GetRoles",
			wantArg:    []string{"r1", "r2"},
			wantStatus: 404,
			wantBody:   `{}`,
		},
		{
			name:       "delete role",
			req:        req{method: "DELETE", target: "/_security/role/r1"},
			wantMethod: "DeleteRole",
			wantArg:    "r1",
			wantStatus: 200,
			wantBody:   `{"found":true}`,
		},
		{
			name:       "trailing slash",
			req:        req{method: "GET", target: "/_security/role/"},
			wantMethod: "GetRoles",
			wantArg:    []string(nil),
			wantStatus: 200,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, w := serve(t, nil, tt.req, tt.wantStatus)
			h.checkCall(t, tt.wantMethod, tt.wantArg)
			if h.svc.sub == nil || h.svc.sub.Username != "elastic" {
				t.Errorf("subject in context = %+v, want elastic", h.svc.sub)
			}
			if tt.wantBody != "" && w.Body.String() != tt.wantBody {
				t.Errorf("body = %s, want %s", w.Body, tt.wantBody)
			}
		})
	}
}

func TestSpecialStatuses(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(*fakeService)
		req        req
		wantStatus int
		wantBody   string
	}{
		{
			name:       "get API keys by id finds one",
			setup:      func(f *fakeService) { f.apiKeys = []api.APIKey{{ID: "abc", Name: "n", Type: "rest"}} },
			req:        req{method: "GET", target: "/_security/api_key?id=abc"},
			wantStatus: 200,
		},
		{
			name:       "get API keys by name finds none",
			req:        req{method: "GET", target: "/_security/api_key?name=nothing"},
			wantStatus: 200,
			wantBody:   `{"api_keys":[]}`,
		},
		{
			name:       "delete missing user",
			setup:      func(f *fakeService) { f.notFound = true },
			req:        req{method: "DELETE", target: "/_security/user/ghost"},
			wantStatus: 404,
			wantBody:   `{"found":false}`,
		},
		{
			name:       "delete missing role",
			setup:      func(f *fakeService) { f.notFound = true },
			req:        req{method: "DELETE", target: "/_security/role/ghost"},
			wantStatus: 404,
			wantBody:   `{"found":false}`,
		},
		{
			name: "get named users finds some",
			setup: func(f *fakeService) {
				f.users = api.GetUsersResponse{"a": {Username: "a", Roles: []string{}, Metadata: api.Metadata{}, Enabled: true}}
			},
			req:        req{method: "GET", target: "/_security/user/a,b"},
			wantStatus: 200,
			wantBody:   `{"a":{"username":"a","roles":[],"full_name":null,"email":null,"metadata":{},"enabled":true}}`,
		},
		{
			name:       "get named roles finds some",
			setup:      func(f *fakeService) { f.roles = api.GetRolesResponse{"r": {}} },
			req:        req{method: "GET", target: "/_security/role/r,x"},
			wantStatus: 200,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, w := serve(t, tt.setup, tt.req, tt.wantStatus)
			if tt.wantBody != "" && w.Body.String() != tt.wantBody {
				t.Errorf("body = %s, want %s", w.Body, tt.wantBody)
			}
		})
	}
}

// envelope is the decoded error envelope.
