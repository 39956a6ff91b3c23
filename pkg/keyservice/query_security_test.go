package keyservice_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// queryFixture adds users with names and e-mail addresses and roles with
// descriptions, applications and metadata to the fixture's.
func queryFixture(t *testing.T) *fixture {
	t.Helper()
	fx := newFixture(t)
	if _, _, err := fx.svc.Bootstrap(fx.root, ""); err != nil {
		t.Fatal(err)
	}
	pw := "password-x"
	for _, u := range []api.PutUserRequest{
		{Username: "jane", Roles: []string{"reader", "ops"}, FullName: ptr("Jane Doe"), Email: ptr("Jane.Doe@Example.com")},
		{Username: "john", Roles: []string{"ops"}, FullName: ptr("John Smith"), Email: ptr("john@corp.example.org"), Enabled: ptr(false)},
	} {
		u.Password = &pw
		if _, err := fx.svc.PutUser(fx.root, &u); err != nil {
			t.Fatal(err)
		}
	}
	var md api.Metadata
	if err := json.Unmarshal([]byte(`{"team":"payments","level":2,"tags":["a","b"]}`), &md); err != nil {
		t.Fatal(err)
	}
	for _, r := range []api.PutRoleRequest{
		{Name: "ops", Descriptor: api.RoleDescriptor{Cluster: []string{"monitor"}, Description: "Operations on call", Metadata: md}},
		{Name: "kibana_app", Descriptor: api.RoleDescriptor{Applications: []api.ApplicationPrivileges{
			{Application: "kibana-.kibana", Privileges: []string{"read"}, Resources: []string{"space:default", "space:ops"}},
		}}},
	} {
		if _, err := fx.svc.PutRole(fx.root, &r); err != nil {
			t.Fatal(err)
		}
	}
	return fx
}

func TestQueryUsers(t *testing.T) {
	fx := queryFixture(t)
	tests := []struct {
		name   string
		body   string
		want   []string
		total  int
		sorted bool
	}{
		{"empty body: every native user by name, not the reserved elastic", ``,
			[]string{"admin", "jane", "john", "nobody", "other", "owner", "reader", "secadmin"}, 8, false},
		{"size and from", `{"from":2,"size":2}`, []string{"john", "nobody"}, 8, false},
		{"term on roles", `{"query":{"term":{"roles":"ops"}}}`, []string{"jane", "john"}, 2, false},
		{"enabled false", `{"query":{"term":{"enabled":false}}}`, []string{"john"}, 1, false},
		{"match on full_name is analysed", `{"query":{"match":{"full_name":"SMITH"}}}`, []string{"john"}, 1, false},
		{"term on full_name matches a term", `{"query":{"term":{"full_name":"jane"}}}`, []string{"jane"}, 1, false},
		{"email domain", `{"query":{"term":{"email":"example.com"}}}`, []string{"jane"}, 1, false},
		{"email whole address, lower-cased", `{"query":{"term":{"email":"jane.doe@example.com"}}}`, []string{"jane"}, 1, false},
		{"prefix on username", `{"query":{"prefix":{"username":"o"}}}`, []string{"other", "owner"}, 2, false},
		{"ids are the documents' ids", `{"query":{"ids":{"values":["user-jane","john"]}}}`, []string{"jane"}, 1, false},
		{"simple_query_string over all fields", `{"query":{"simple_query_string":{"query":"doe"}}}`, []string{"jane"}, 1, false},
		{"sort descending", `{"sort":[{"username":"desc"}],"size":3}`, []string{"secadmin", "reader", "owner"}, 8, true},
		{"search_after", `{"sort":["username"],"search_after":["owner"]}`, []string{"reader", "secadmin"}, 8, true},
		{"exists email", `{"query":{"exists":{"field":"email"}},"sort":["enabled","username"]}`, []string{"john", "jane"}, 2, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := fx.svc.QueryUsers(fx.as("reader"), &api.QueryUsersRequest{Body: json.RawMessage(tc.body)})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, u := range resp.Users {
				got = append(got, u.Username)
				if (u.Sort != nil) != tc.sorted {
					t.Errorf("%s: _sort %v, want sorted=%v", u.Username, u.Sort, tc.sorted)
				}
			}
			if !slices.Equal(got, tc.want) || resp.Total != tc.total || resp.Count != len(tc.want) {
				t.Fatalf("got %v total %d count %d, want %v total %d", got, resp.Total, resp.Count, tc.want, tc.total)
			}
		})
	}
}

func TestQueryRoles(t *testing.T) {
	fx := queryFixture(t)
	tests := []struct {
		name  string
		body  string
		want  []string
		total int
	}{
		{"empty body: the native roles by name, not superuser", ``,
			[]string{"all_keys", "key_grant", "kibana_app", "monitor", "ops", "own_keys", "reader", "security"}, 8},
		{"metadata key", `{"query":{"term":{"metadata.team":"payments"}}}`, []string{"ops"}, 1},
		{"metadata number as written", `{"query":{"term":{"metadata.level":"2"}}}`, []string{"ops"}, 1},
		{"metadata array leaf", `{"query":{"term":{"metadata.tags":"b"}}}`, []string{"ops"}, 1},
		{"description is text", `{"query":{"match":{"description":"on-call operations"}}}`, []string{"ops"}, 1},
		{"application", `{"query":{"term":{"applications.application":"kibana-.kibana"}}}`, []string{"kibana_app"}, 1},
		{"resources wildcard", `{"query":{"wildcard":{"applications.resources":"space:o*"}}}`, []string{"kibana_app"}, 1},
		{"application privileges", `{"query":{"term":{"applications.privileges":"read"}}}`, []string{"kibana_app"}, 1},
		{"name sort desc", `{"sort":[{"name":{"order":"desc"}}],"size":2}`, []string{"security", "reader"}, 8},
		{"ids", `{"query":{"ids":{"values":["role-ops"]}}}`, []string{"ops"}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := fx.svc.QueryRoles(fx.as("reader"), &api.QueryRolesRequest{Body: json.RawMessage(tc.body)})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range resp.Roles {
				got = append(got, r.Name)
			}
			if !slices.Equal(got, tc.want) || resp.Total != tc.total || resp.Count != len(tc.want) {
				t.Fatalf("got %v total %d count %d, want %v total %d", got, resp.Total, resp.Count, tc.want, tc.total)
			}
		})
	}
}

func TestQueryUsersAndRolesErrors(t *testing.T) {
	fx := queryFixture(t)
	users := func(user, body string) func() error {
		return func() error {
			_, err := fx.svc.QueryUsers(fx.as(user), &api.QueryUsersRequest{Body: json.RawMessage(body)})
			return err
		}
	}
	roles := func(user, body string) func() error {
		return func() error {
			_, err := fx.svc.QueryRoles(fx.as(user), &api.QueryRolesRequest{Body: json.RawMessage(body)})
			return err
		}
	}
	tests := []struct {
		name   string
		call   func() error
		status int
		typ    string
		reason string
	}{
		{"users: password is not queryable", users("reader", `{"query":{"term":{"password":"x"}}}`),
			400, "illegal_argument_exception", "Field [password] is not allowed for querying or aggregation"},
		{"users: metadata is not queryable", users("reader", `{"query":{"exists":{"field":"metadata.a"}}}`),
			400, "illegal_argument_exception", "Field [metadata.a] is not allowed for querying or aggregation"},
		{"users: no aggregations", users("reader", `{"aggs":{"a":{"terms":{"field":"roles"}}}}`),
			400, "x_content_parse_exception", "[1:2] [query_user_request_payload] unknown field [aggs]"},
		{"users: full_name cannot be sorted", users("reader", `{"sort":["full_name"]}`),
			400, "illegal_argument_exception", "sorting is not supported for field [full_name]"},
		{"users: field pattern", users("reader", `{"query":{"prefix":{"user*":"a"}}}`),
			400, "illegal_argument_exception", "Field name pattern [user*] is not allowed for querying or aggregation"},
		{"users: unsupported query type", users("reader", `{"query":{"fuzzy":{"username":"a"}}}`),
			400, "illegal_argument_exception", "Query type [fuzzy] is not currently supported in this context"},
		{"users: result window", users("reader", `{"from":9999,"size":2}`),
			400, "search_phase_execution_exception", "Result window is too large"},
		{"users: negative size", users("reader", `{"size":-1}`),
			400, "action_request_validation_exception", "[size] parameter cannot be negative but was [-1]"},
		{"users: needs read_security", users("owner", ``),
			403, "security_exception", "cluster:admin/xpack/security/user/query"},
		{"users: a body error comes before the 403", users("owner", `{"bogus":1}`),
			400, "x_content_parse_exception", "[query_user_request_payload] unknown field [bogus]"},
		{"roles: no aggregations", roles("reader", `{"aggregations":{}}`),
			400, "x_content_parse_exception", "[query_role_request_payload] unknown field [aggregations]"},
		{"roles: cluster is not queryable", roles("reader", `{"query":{"term":{"cluster":"all"}}}`),
			400, "illegal_argument_exception", "Field [cluster] is not allowed for querying or aggregation"},
		{"roles: description has no field data", roles("reader", `{"sort":["description"]}`),
			400, "search_phase_execution_exception", "Fielddata is disabled on [description] in [.security-7]"},
		{"roles: needs read_security", roles("nobody", ``),
			403, "security_exception", "cluster:admin/xpack/security/role/query"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, tc.call(), tc.status, tc.typ, tc.reason)
		})
	}
}
