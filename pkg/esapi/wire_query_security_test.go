package esapi_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/elastic/go-elasticsearch/v9"
	"github.com/elastic/go-elasticsearch/v9/typedapi/types"
	"github.com/elastic/go-elasticsearch/v9/typedapi/types/enums/sortorder"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
)

// putQueryFixture stores two users and two roles for the query users and
// query roles tests.
func putQueryFixture(t *testing.T, svc *keyservice.Service) {
	t.Helper()
	root := auth.WithSubject(context.Background(), auth.OSSubject("root"))
	pw := "query-password"
	for _, u := range []api.PutUserRequest{
		{Username: "dora", Roles: []string{"ops"}, FullName: ptr("Dora Ops"), Email: ptr("dora@example.com"), Metadata: api.MetadataFromMap(map[string]any{"team": "ops"})},
		{Username: "eve", Roles: []string{"auditor", "ops"}, Enabled: ptr(false)},
		{Username: "gus", Roles: []string{"auditor"}},
	} {
		u.Password = &pw
		if _, err := svc.PutUser(root, &u); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []api.PutRoleRequest{
		{Name: "ops", Descriptor: api.RoleDescriptor{Cluster: []string{"read_security"}, Description: "Operators", Metadata: api.MetadataFromMap(map[string]any{"tier": "gold"})}},
		{Name: "auditor", Descriptor: api.RoleDescriptor{Cluster: []string{"monitor"}}},
	} {
		if _, err := svc.PutRole(root, &r); err != nil {
			t.Fatal(err)
		}
	}
}

// TestWireQueryUsersAndRoles pins the query users and query roles
// answers byte for byte: Elasticsearch's fields in its order, _sort only
// when the request sorted, and its errors.
func TestWireQueryUsersAndRoles(t *testing.T) {
	svc, srv := newWireServer(t)
	putQueryFixture(t, svc)
	call := func(method, path, authz, body string) (int, string) {
		t.Helper()
		status, _, data := rawCall(t, srv, method, path, authz, body)
		return status, data
	}
	elastic, dora := basicAuth("elastic", "wire-password"), basicAuth("dora", "query-password")
	dorasUser := `{"username":"dora","roles":["ops"],"full_name":"Dora Ops","email":"dora@example.com","metadata":{"team":"ops"},"enabled":true`
	evesUser := `{"username":"eve","roles":["auditor","ops"],"full_name":null,"email":null,"metadata":{},"enabled":false`
	gusUser := `{"username":"gus","roles":["auditor"],"full_name":null,"email":null,"metadata":{},"enabled":true`
	opsRole := `{"name":"ops","cluster":["read_security"],"indices":[],"applications":[],"run_as":[],"metadata":{"tier":"gold"},"transient_metadata":{"enabled":true},"description":"Operators"`
	for _, tc := range []struct {
		name, method, path, authz, body string
		status                          int
		want                            string
	}{
		{"every native user, no _sort", http.MethodGet, "/_security/_query/user", elastic, "", 200,
			`{"total":3,"count":3,"users":[` + dorasUser + `},` + evesUser + `},` + gusUser + `}]}`},
		{"with_profile_uid adds nothing without profiles; email analysed", http.MethodPost, "/_security/_query/user?with_profile_uid=true", dora, `{"query":{"term":{"email":"dora"}}}`, 200,
			`{"total":1,"count":1,"users":[` + dorasUser + `}]}`},
		{"sorted users carry _sort", http.MethodPost, "/_security/_query/user", elastic, `{"sort":[{"username":"desc"}],"from":1,"size":1}`, 200,
			`{"total":3,"count":1,"users":[` + evesUser + `,"_sort":["eve"]}]}`},
		{"password is not queryable", http.MethodPost, "/_security/_query/user", elastic, `{"query":{"term":{"password":"x"}}}`, 400,
			`{"error":{"root_cause":[{"type":"illegal_argument_exception","reason":"Field [password] is not allowed for querying or aggregation"}],"type":"illegal_argument_exception","reason":"Field [password] is not allowed for querying or aggregation"},"status":400}`},
		{"no aggregations on users", http.MethodPost, "/_security/_query/user", elastic, `{"aggs":{}}`, 400,
			`{"error":{"root_cause":[{"type":"x_content_parse_exception","reason":"[1:2] [query_user_request_payload] unknown field [aggs]"}],"type":"x_content_parse_exception","reason":"[1:2] [query_user_request_payload] unknown field [aggs]"},"status":400}`},
		{"roles by name, sorted", http.MethodPost, "/_security/_query/role", dora, `{"query":{"term":{"metadata.tier":"gold"}},"sort":["name"]}`, 200,
			`{"total":1,"count":1,"roles":[` + opsRole + `,"_sort":["ops"]}]}`},
		{"roles without sort", http.MethodGet, "/_security/_query/role", dora, `{"query":{"match":{"description":"operators"}}}`, 200,
			`{"total":1,"count":1,"roles":[` + opsRole + `}]}`},
		{"query role needs read_security", http.MethodGet, "/_security/_query/role", basicAuth("gus", "query-password"), "", 403,
			`{"error":{"root_cause":[{"type":"security_exception","reason":"action [cluster:admin/xpack/security/role/query] is unauthorized for user [gus] with effective roles [auditor], this action is granted by the cluster privileges [read_security,manage_security,all]"}],"type":"security_exception","reason":"action [cluster:admin/xpack/security/role/query] is unauthorized for user [gus] with effective roles [auditor], this action is granted by the cluster privileges [read_security,manage_security,all]"},"status":403}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := call(tc.method, tc.path, tc.authz, tc.body)
			if status != tc.status || body != tc.want {
				t.Fatalf("got  %d %s\nwant %d %s", status, body, tc.status, tc.want)
			}
		})
	}
}

// TestOfficialGoClientQueryUsersAndRoles queries users and roles with the
// official Go client's typed API and decodes the answers into its types.
func TestOfficialGoClientQueryUsersAndRoles(t *testing.T) {
	svc, srv := newWireServer(t)
	putQueryFixture(t, svc)
	ctx := t.Context()
	es := newTypedClient(t, elasticsearch.Config{Addresses: []string{srv}, Username: "elastic", Password: "wire-password"})

	users, err := es.Security.QueryUser().WithProfileUid(true).
		Query(&types.UserQueryContainer{Term: map[string]types.TermQuery{"roles": {Value: "ops"}}}).
		Sort(&types.SortOptions{SortOptions: map[string]types.FieldSort{"username": {Order: &sortorder.Desc}}}).
		Size(1).Do(ctx)
	if err != nil {
		t.Fatalf("query user: %v", err)
	}
	if users.Total != 2 || users.Count != 1 || users.Users[0].Username != "eve" || users.Users[0].Enabled || len(users.Users[0].Sort_) != 1 {
		t.Fatalf("query user: %+v", users)
	}
	next, err := es.Security.QueryUser().
		Sort(&types.SortOptions{SortOptions: map[string]types.FieldSort{"username": {Order: &sortorder.Desc}}}).
		SearchAfterValues(users.Users[0].Sort_).Do(ctx)
	if err != nil || next.Count != 1 || next.Users[0].Username != "dora" || *next.Users[0].Email != "dora@example.com" {
		t.Fatalf("query user after eve: %+v %v", next, err)
	}

	roles, err := es.Security.QueryRole().
		Query(&types.RoleQueryContainer{Match: map[string]types.MatchQuery{"description": {Query: "OPERATORS"}}}).Do(ctx)
	if err != nil {
		t.Fatalf("query role: %v", err)
	}
	if roles.Total != 1 || roles.Roles[0].Name != "ops" || *roles.Roles[0].Description != "Operators" || len(roles.Roles[0].Sort_) != 0 {
		t.Fatalf("query role: %+v", roles)
	}
	_, err = es.Security.QueryRole().Query(&types.RoleQueryContainer{
		Term: map[string]types.TermQuery{"cluster": {Value: "all"}},
	}).Do(ctx)
	wantStatus(t, err, 400, "illegal_argument_exception")
	_, err = es.Security.QueryUser().Sort(&types.SortOptions{SortOptions: map[string]types.FieldSort{"email": {}}}).Do(ctx)
	wantStatus(t, err, 400, "illegal_argument_exception")
}
