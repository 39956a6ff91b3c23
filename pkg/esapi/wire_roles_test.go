package esapi_test

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v9"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
)

// TestWireBulkRoles pins the answers of bulk put and bulk delete roles
// and of the realm and roles cache APIs, byte for byte.
func TestWireBulkRoles(t *testing.T) {
	svc, srv := newWireServer(t)
	root := auth.WithSubject(context.Background(), auth.OSSubject("root"))
	if _, err := svc.PutRole(root, &api.PutRoleRequest{Name: "same", Descriptor: api.RoleDescriptor{Cluster: []string{"monitor"}}}); err != nil {
		t.Fatal(err)
	}
	call := func(method, path, body string) (int, string) {
		t.Helper()
		status, _, data := rawCall(t, srv, method, path, basicAuth("elastic", "wire-password"), body)
		return status, data
	}
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		want                     string
	}{
		{"bulk put", http.MethodPost, "/_security/role?refresh=true",
			`{"roles":{"b_role":{"cluster":["monitor"],"metadata":{"team":"b"}},"same":{"cluster":["monitor"]},"a_role":{"cluster":["manage_own_api_key"]},"superuser":{}}}`,
			200, `{"noop":["same"],"created":["b_role","a_role"],"errors":{"count":1,"details":{"superuser":{"type":"action_request_validation_exception","reason":"Validation Failed: 1: Role [superuser] is reserved and may not be used.;"}}}}`},
		{"bulk put again updates", http.MethodPost, "/_security/role",
			`{"roles":{"a_role":{"cluster":["monitor"]}}}`,
			200, `{"updated":["a_role"]}`},
		{"nothing to put", http.MethodPost, "/_security/role", `{"roles":{}}`, 200, `{}`},
		{"a descriptor that cannot be read fails the request", http.MethodPost, "/_security/role",
			`{"roles":{"ok":{"cluster":["monitor"]},"bad":{"cluster":"monitor","bogus":1}}}`,
			400, `{"error":{"root_cause":[{"type":"x_content_parse_exception","reason":"[1:2] [bulk_update_roles_request_payload] failed to parse field [roles]"}],"type":"x_content_parse_exception","reason":"[1:2] [bulk_update_roles_request_payload] failed to parse field [roles]","caused_by":{"type":"parse_exception","reason":"failed to parse role [bad]. unexpected field [bogus]"}},"status":400}`},
		{"bulk put without roles", http.MethodPost, "/_security/role", `{}`,
			400, `{"error":{"root_cause":[{"type":"x_content_parse_exception","reason":"[bulk_update_roles_request_payload] failed to parse object"}],"type":"x_content_parse_exception","reason":"[bulk_update_roles_request_payload] failed to parse object","caused_by":{"type":"illegal_argument_exception","reason":"Required [roles]"}},"status":400}`},
		{"bulk delete", http.MethodDelete, "/_security/role", `{"names":["a_role","ghost","superuser"]}`,
			200, `{"deleted":["a_role"],"not_found":["ghost"],"errors":{"count":1,"details":{"superuser":{"type":"illegal_argument_exception","reason":"role [superuser] is reserved and cannot be deleted"}}}}`},
		{"bulk delete without names", http.MethodDelete, "/_security/role", `{"name":["x"]}`,
			400, `{"error":{"root_cause":[{"type":"x_content_parse_exception","reason":"[1:2] [bulk_delete_roles_request] unknown field [name]"}],"type":"x_content_parse_exception","reason":"[1:2] [bulk_delete_roles_request] unknown field [name]"},"status":400}`},
		{"clear an unknown realm", http.MethodPost, "/_security/realm/ldap1/_clear_cache", "",
			200, `{"_nodes":{"total":1,"successful":0,"failed":1,"failures":[{"type":"failed_node_exception","reason":"Failed node [NODE]","node_id":"NODE","caused_by":{"type":"illegal_argument_exception","reason":"could not find active realm [ldap1]"}}]},"cluster_name":"apikeyd","nodes":{}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := call(tc.method, tc.path, tc.body)
			if id := nodeID(body); id != "" {
				body = strings.ReplaceAll(body, id, "NODE")
			}
			if status != tc.status || body != tc.want {
				t.Fatalf("got  %d %s\nwant %d %s", status, body, tc.status, tc.want)
			}
		})
	}
}

// nodeID finds the node id in a failed node answer ("" when none).
func nodeID(body string) string {
	const marker = `"node_id":"`
	i := strings.Index(body, marker)
	if i < 0 {
		return ""
	}
	rest := body[i+len(marker):]
	return rest[:strings.IndexByte(rest, '"')]
}

// TestOfficialGoClientBulkRoles puts and deletes roles in bulk and clears
// the realm and roles caches with the official Go client's typed API.
func TestOfficialGoClientBulkRoles(t *testing.T) {
	ctx := context.Background()
	_, srv := newWireServer(t)
	es := newTypedClient(t, elasticsearch.Config{Addresses: []string{srv}, Username: "elastic", Password: "wire-password"})

	put, err := es.Security.BulkPutRole().Raw(strings.NewReader(`{"roles":{"reader":{"cluster":["read_security"]},"writer":{"cluster":["manage_security"],"description":"writes"},"superuser":{}}}`)).Do(ctx)
	if err != nil {
		t.Fatalf("bulk put: %v", err)
	}
	if !slices.Equal(put.Created, []string{"reader", "writer"}) || put.Errors == nil || put.Errors.Count != 1 || put.Errors.Details["superuser"].Type != "action_request_validation_exception" {
		t.Fatalf("bulk put: %+v", put)
	}
	roles, err := es.Security.GetRole().Name("writer").Do(ctx)
	if err != nil || roles["writer"].Description == nil || *roles["writer"].Description != "writes" {
		t.Fatalf("get role: %+v %v", roles, err)
	}

	realms, err := es.Security.ClearCachedRealms("default_native,reserved").Usernames("elastic").Do(ctx)
	if err != nil || realms.NodeStats.Successful != 1 || len(realms.Nodes) != 1 || realms.ClusterName != "apikeyd" {
		t.Fatalf("clear realms: %+v %v", realms, err)
	}
	failed, err := es.Security.ClearCachedRealms("ldap1").Do(ctx)
	if err != nil || failed.NodeStats.Failed != 1 || len(failed.NodeStats.Failures) != 1 {
		t.Fatalf("clear an unknown realm: %+v %v", failed, err)
	}
	cleared, err := es.Security.ClearCachedRoles("reader,writer").Do(ctx)
	if err != nil || cleared.NodeStats.Successful != 1 {
		t.Fatalf("clear roles: %+v %v", cleared, err)
	}

	del, err := es.Security.BulkDeleteRole().Names("reader", "ghost").Do(ctx)
	if err != nil || !slices.Equal(del.Deleted, []string{"reader"}) || !slices.Equal(del.NotFound, []string{"ghost"}) || del.Errors != nil {
		t.Fatalf("bulk delete: %+v %v", del, err)
	}

	reader := newTypedClient(t, elasticsearch.Config{Addresses: []string{srv}, Username: "elastic", Password: "wrong"})
	_, err = reader.Security.BulkDeleteRole().Names("writer").Do(ctx)
	wantStatus(t, err, 401, "security_exception")
}

// TestWireRoleTextUnescaped: a role's strings come back with <, > and &
// as written, as Elasticsearch writes them, not as \u003c escapes.
func TestWireRoleTextUnescaped(t *testing.T) {
	ctx := context.Background()
	_, srv := newWireServer(t)
	es := newTypedClient(t, elasticsearch.Config{Addresses: []string{srv}, Username: "elastic", Password: "wire-password"})
	if _, err := es.Security.PutRole("html").Raw(strings.NewReader(`{"description":"<ops> & friends","cluster":["monitor"],"metadata":{"note":"a<b"}}`)).Do(ctx); err != nil {
		t.Fatal(err)
	}
	resp, err := es.Security.GetRole().Name("html").Perform(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{`"description":"<ops> & friends"`, `"note":"a<b"`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("%s lacks %s", body, want)
		}
	}
}
