package auth

import (
	"slices"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

func TestValidateApplicationName(t *testing.T) {
	tests := []struct {
		name     string
		app      string
		wildcard bool
		want     string
	}{
		{"plain", "myapp", false, ""},
		{"with suffix", "myapp-prod_1", false, ""},
		{"underscore suffix", "kibana_.kibana", false, ""},
		{"digits and capitals after the first letter", "aB9", false, ""},
		{"blank", "", false, "Application names cannot be blank"},
		{"wildcard refused", "myapp*", false, "Application names may not contain '*' (found 'myapp*')"},
		{"star alone refused", "*", false, "Application names may not contain '*' (found '*')"},
		{"star alone in a role", "*", true, ""},
		{"trailing wildcard in a role", "my*", true, ""},
		{"inner wildcard in a role", "my*app", true, "Application name patterns only support trailing wildcards (found 'my*app')"},
		{"whitespace", "my app", false, "Application names may not contain whitespace (found 'my app')"},
		{"tab", "my\tapp", false, "Application names may not contain whitespace (found 'my\tapp')"},
		{"uppercase first", "Myapp", false, "An application name prefix must match the pattern ^[a-z][A-Za-z0-9]*$ (found 'Myapp')"},
		{"digit first", "1app", false, "An application name prefix must match the pattern ^[a-z][A-Za-z0-9]*$ (found '1app')"},
		{"dot in prefix", "my.app", false, "An application name prefix must match the pattern ^[a-z][A-Za-z0-9]*$ (found 'my.app')"},
		{"too short", "ab", false, "An application name prefix must be at least 3 characters long (found 'ab')"},
		{"short prefix before suffix", "ab-cdef", false, "An application name prefix must be at least 3 characters long (found 'ab')"},
		{"short pattern in a role", "a*", true, ""},
		{"empty prefix", "-app", false, "An application name prefix must match the pattern ^[a-z][A-Za-z0-9]*$ (found '')"},
		{"bad suffix", "myapp-a/b", false, `An application name suffix may not contain any of the characters [' ','"','*',',','/','<','>','?','\','|'] (found 'a/b')`},
		{"comma in suffix", "myapp-a,b", false, `An application name suffix may not contain any of the characters [' ','"','*',',','/','<','>','?','\','|'] (found 'a,b')`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ValidateApplicationName(tc.app, tc.wildcard); got != tc.want {
				t.Errorf("ValidateApplicationName(%q, %v) = %q, want %q", tc.app, tc.wildcard, got, tc.want)
			}
		})
	}
}

func TestValidatePrivilegeNameAndAction(t *testing.T) {
	names := []struct {
		name, in, want string
	}{
		{"plain", "read", ""},
		{"punctuation", "read_all.v-2", ""},
		{"uppercase first", "Read", "Application privilege names must match the pattern ^[a-z][a-zA-Z0-9_.-]*$ (found 'Read')"},
		{"action-like", "data:read", "Application privilege names must match the pattern ^[a-z][a-zA-Z0-9_.-]*$ (found 'data:read')"},
		{"empty", "", "Application privilege names must match the pattern ^[a-z][a-zA-Z0-9_.-]*$ (found '')"},
	}
	for _, tc := range names {
		t.Run("name/"+tc.name, func(t *testing.T) {
			if got := ValidatePrivilegeName(tc.in); got != tc.want {
				t.Errorf("ValidatePrivilegeName(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
	actions := []struct {
		name string
		in   string
		want []string
	}{
		{"slash", "data/read", nil},
		{"colon", "action:login", nil},
		{"star", "*", nil},
		{"no separator", "login", []string{"action [login] must contain one of [ '/' , '*' , ':' ]"}},
		{"space", "data: read", []string{"Application privilege names and actions must match the pattern ^\\p{Graph}*$ (found 'data: read')"}},
		{"both", "lo gin", []string{"action [lo gin] must contain one of [ '/' , '*' , ':' ]", "Application privilege names and actions must match the pattern ^\\p{Graph}*$ (found 'lo gin')"}},
	}
	for _, tc := range actions {
		t.Run("action/"+tc.name, func(t *testing.T) {
			if got := ValidatePrivilegeAction(tc.in); !slices.Equal(got, tc.want) {
				t.Errorf("ValidatePrivilegeAction(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestPatternsSubset(t *testing.T) {
	tests := []struct {
		name       string
		sub, super []string
		want       bool
	}{
		{"equal literal", []string{"a/b"}, []string{"a/b"}, true},
		{"literal in star", []string{"data:read/x"}, []string{"data:read/*"}, true},
		{"star in narrower star", []string{"data:*"}, []string{"data:read/*"}, false},
		{"narrower star in star", []string{"data:read/*"}, []string{"data:*"}, true},
		{"union covers", []string{"a*"}, []string{"ab*", "a", "a?*"}, true},
		{"union misses the empty tail", []string{"a*"}, []string{"ab*", "a?*"}, false},
		{"question mark", []string{"a?c"}, []string{"a*"}, true},
		{"question mark not covered", []string{"a?"}, []string{"ab"}, false},
		{"escaped star is literal", []string{`a\*`}, []string{"a*"}, true},
		{"star not in escaped star", []string{"a*"}, []string{`a\*`}, false},
		{"empty sub", nil, []string{"x"}, true},
		{"empty super", []string{"x"}, nil, false},
		{"total", []string{"anything*at?all"}, []string{"*"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := patternsSubset(tc.sub, tc.super); got != tc.want {
				t.Errorf("patternsSubset(%q, %q) = %v, want %v", tc.sub, tc.super, got, tc.want)
			}
		})
	}
}

// TestHasPrivilegesApplication checks has privileges' application part:
// a role's privilege names stand for their stored actions, a requested
// privilege may be a name or an action, resources are wildcard patterns.
func TestHasPrivilegesApplication(t *testing.T) {
	stored := []ApplicationPrivilegeDef{
		{Application: "myapp", Name: "read", Actions: []string{"data:read/*", "action:login"}},
		{Application: "myapp", Name: "write", Actions: []string{"data:write/*", "action:login"}},
		{Application: "myapp", Name: "admin", Actions: []string{"*"}},
		{Application: "otherapp", Name: "read", Actions: []string{"data:read/*"}},
	}
	role := func(aps ...api.ApplicationPrivileges) *Subject {
		return &Subject{Username: "u", Descriptors: api.RoleDescriptors{{Name: "r", Descriptor: api.RoleDescriptor{Applications: aps}}}}
	}
	reader := role(api.ApplicationPrivileges{Application: "myapp", Privileges: []string{"read"}, Resources: []string{"shared/*", "user/alice"}})
	tests := []struct {
		name      string
		sub       *Subject
		app       string
		resource  string
		privilege string
		want      bool
	}{
		{"name granted by its own name", reader, "myapp", "user/alice", "read", true},
		{"action of the granted name", reader, "myapp", "user/alice", "action:login", true},
		{"action under a granted pattern", reader, "myapp", "shared/x", "data:read/doc", true},
		{"action pattern within a granted one", reader, "myapp", "shared/x", "data:read/doc/*", true},
		{"action pattern wider than the granted one", reader, "myapp", "shared/x", "data:*", false},
		{"other name whose actions are not all granted", reader, "myapp", "user/alice", "write", false},
		{"unknown privilege name", reader, "myapp", "user/alice", "delete", false},
		{"action outside", reader, "myapp", "user/alice", "data:write/x", false},
		{"resource pattern within", reader, "myapp", "shared/a*", "read", true},
		{"resource pattern wider", reader, "myapp", "shared*", "read", false},
		{"resource not granted", reader, "myapp", "user/bob", "read", false},
		{"other application", reader, "otherapp", "user/alice", "read", false},
		{"admin's star grants every name", role(api.ApplicationPrivileges{Application: "myapp", Privileges: []string{"admin"}, Resources: []string{"*"}}), "myapp", "any/thing", "write", true},
		{"admin's star grants an unknown action", role(api.ApplicationPrivileges{Application: "myapp", Privileges: []string{"admin"}, Resources: []string{"*"}}), "myapp", "x", "custom:op", true},
		{"two names cover a third", role(api.ApplicationPrivileges{Application: "myapp", Privileges: []string{"read", "write"}, Resources: []string{"*"}}), "myapp", "x", "read", true},
		{"application pattern", role(api.ApplicationPrivileges{Application: "my*", Privileges: []string{"read"}, Resources: []string{"*"}}), "myapp", "x", "data:read/y", true},
		{"action privilege in a role", role(api.ApplicationPrivileges{Application: "myapp", Privileges: []string{"data:read/*"}, Resources: []string{"*"}}), "myapp", "x", "read", false},
		{"action privilege in a role covers an action", role(api.ApplicationPrivileges{Application: "myapp", Privileges: []string{"data:read/*"}, Resources: []string{"*"}}), "myapp", "x", "data:read/z", true},
		{"superuser", OSSubject("root"), "myapp", "anything", "write", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := &api.HasPrivilegesRequest{Application: []api.ApplicationPrivilegesCheck{{Application: tc.app, Privileges: []string{tc.privilege}, Resources: []string{tc.resource}}}}
			resp := HasPrivileges(tc.sub, req, stored)
			if got := resp.Application[tc.app][tc.resource][tc.privilege]; got != tc.want || resp.HasAllRequested != tc.want {
				t.Errorf("%s %s %s = %v (has_all_requested %v), want %v", tc.app, tc.resource, tc.privilege, got, resp.HasAllRequested, tc.want)
			}
		})
	}
}

func TestAuthorizeApplications(t *testing.T) {
	global := func(apps ...any) *Subject {
		return &Subject{Username: "u", Descriptors: api.RoleDescriptors{{Name: "r", Descriptor: api.RoleDescriptor{
			Global: map[string]any{"application": map[string]any{"manage": map[string]any{"applications": apps}}},
		}}}}
	}
	cluster := func(privs ...string) *Subject {
		return &Subject{Username: "u", Descriptors: api.RoleDescriptors{{Name: "r", Descriptor: api.RoleDescriptor{Cluster: privs}}}}
	}
	tests := []struct {
		name   string
		sub    *Subject
		action string
		apps   []string
		want   bool
	}{
		{"manage_security puts", cluster("manage_security"), ActionPutPrivileges, []string{"myapp"}, true},
		{"read_security gets", cluster("read_security"), ActionGetPrivileges, nil, true},
		{"read_security does not put", cluster("read_security"), ActionPutPrivileges, []string{"myapp"}, false},
		{"manage_api_key does not put", cluster("manage_api_key"), ActionPutPrivileges, []string{"myapp"}, false},
		{"global manage of the app", global("myapp"), ActionPutPrivileges, []string{"myapp"}, true},
		{"global manage by pattern", global("my*"), ActionDeletePrivileges, []string{"myapp"}, true},
		{"global manage of another app", global("otherapp"), ActionPutPrivileges, []string{"myapp", "otherapp"}, false},
		{"get all needs a star", global("myapp"), ActionGetPrivileges, nil, false},
		{"get all with a star", global("*"), ActionGetPrivileges, nil, true},
		{"nothing", cluster("monitor"), ActionGetPrivileges, []string{"myapp"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := AuthorizeApplications(tc.sub, tc.action, tc.apps); got != tc.want {
				t.Errorf("AuthorizeApplications(%s, %q) = %v, want %v", tc.action, tc.apps, got, tc.want)
			}
		})
	}
}

// TestValidateDescriptorApplications: a role's application entries take
// an application name or a trailing-wildcard pattern, and privilege names
// or actions without whitespace, as Elasticsearch's role validation.
func TestValidateDescriptorApplications(t *testing.T) {
	tests := []struct {
		name string
		ap   api.ApplicationPrivileges
		want []string
	}{
		{"valid", api.ApplicationPrivileges{Application: "myapp", Privileges: []string{"read", "data:read/*"}, Resources: []string{"*"}}, nil},
		{"pattern", api.ApplicationPrivileges{Application: "my*", Privileges: []string{"*"}, Resources: []string{"*"}}, nil},
		{"blank", api.ApplicationPrivileges{Application: "", Privileges: []string{"read"}, Resources: []string{"*"}}, []string{"Application names cannot be blank"}},
		{"inner wildcard and a spaced privilege", api.ApplicationPrivileges{Application: "m*app", Privileges: []string{"re ad"}, Resources: []string{"*"}},
			[]string{"Application name patterns only support trailing wildcards (found 'm*app')", "Application privilege names and actions must match the pattern ^\\p{Graph}*$ (found 're ad')"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var v api.Validation
			ValidateDescriptor(api.RoleDescriptor{Applications: []api.ApplicationPrivileges{tc.ap}}, &v)
			if got := v.Messages(); !slices.Equal(got, tc.want) {
				t.Errorf("messages = %q, want %q", got, tc.want)
			}
		})
	}
}
