package esapi_test

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/elastic/go-elasticsearch/v9"
	"github.com/elastic/go-elasticsearch/v9/typedapi/security/hasprivileges"
	"github.com/elastic/go-elasticsearch/v9/typedapi/security/putprivileges"
	"github.com/elastic/go-elasticsearch/v9/typedapi/types"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
)

// TestWirePrivileges pins the answers of the application privilege APIs,
// byte for byte, over a real service: put, get, has privileges resolving
// a role's privilege names to their stored actions, delete, and the
// errors.
func TestWirePrivileges(t *testing.T) {
	svc, srv := newWireServer(t)
	root := auth.WithSubject(context.Background(), auth.OSSubject("root"))
	if _, err := svc.PutRole(root, &api.PutRoleRequest{Name: "myapp-reader", Descriptor: api.RoleDescriptor{
		Applications: []api.ApplicationPrivileges{{Application: "myapp", Privileges: []string{"read"}, Resources: []string{"shared/*"}}},
	}}); err != nil {
		t.Fatal(err)
	}
	pw := "dave-password"
	if _, err := svc.PutUser(root, &api.PutUserRequest{Username: "dave", Password: &pw, Roles: []string{"myapp-reader"}}); err != nil {
		t.Fatal(err)
	}
	call := func(method, path, authz, body string) (int, string) {
		t.Helper()
		status, _, data := rawCall(t, srv, method, path, authz, body)
		return status, data
	}
	elastic, dave := basicAuth("elastic", "wire-password"), basicAuth("dave", pw)
	put := `{"myapp":{"read":{"actions":["data:read/*","action:login","data:read/*"],"metadata":{"description":"Read access to myapp"}}}}`
	hasBody := `{"application":[{"application":"myapp","privileges":["read","action:login","data:read/doc","data:write/doc","write"],"resources":["shared/a","shared/*","private"]}]}`
	errBody := func(typ, reason string) string {
		return `{"error":{"root_cause":[{"type":"` + typ + `","reason":"` + reason + `"}],"type":"` + typ + `","reason":"` + reason + `"},"status":`
	}
	for _, tc := range []struct {
		name, method, path, authz, body string
		status                          int
		want                            string
	}{
		{"has privileges before the privilege exists", http.MethodPost, "/_security/user/_has_privileges", dave, `{"application":[{"application":"myapp","privileges":["action:login"],"resources":["shared/a"]}]}`, 200,
			`{"username":"dave","has_all_requested":false,"cluster":{},"index":{},"application":{"myapp":{"shared/a":{"action:login":false}}}}`},
		{"put creates", http.MethodPut, "/_security/privilege?refresh=wait_for", elastic, put, 200, `{"myapp":{"read":{"created":true}}}`},
		{"put again replaces", http.MethodPost, "/_security/privilege", elastic, put, 200, `{"myapp":{"read":{"created":false}}}`},
		{"get by name", http.MethodGet, "/_security/privilege/myapp/read", elastic, "", 200,
			`{"myapp":{"read":{"application":"myapp","name":"read","actions":["data:read/*","action:login"],"metadata":{"description":"Read access to myapp"}}}}`},
		{"get unknown names", http.MethodGet, "/_security/privilege/myapp/nope,gone", elastic, "", 404, `{}`},
		{"get an application without privileges", http.MethodGet, "/_security/privilege/otherapp", elastic, "", 200, `{}`},
		{"has privileges resolves names to actions", http.MethodPost, "/_security/user/_has_privileges", dave, hasBody, 200,
			`{"username":"dave","has_all_requested":false,"cluster":{},"index":{},"application":{"myapp":{` +
				`"private":{"action:login":false,"data:read/doc":false,"data:write/doc":false,"read":false,"write":false},` +
				`"shared/*":{"action:login":true,"data:read/doc":true,"data:write/doc":false,"read":true,"write":false},` +
				`"shared/a":{"action:login":true,"data:read/doc":true,"data:write/doc":false,"read":true,"write":false}}}}`},
		{"dave may not put", http.MethodPut, "/_security/privilege", dave, put, 403,
			errBody("security_exception", "action [cluster:admin/xpack/security/privilege/put] is unauthorized for user [dave] with effective roles [myapp-reader], this action is granted by the cluster privileges [manage_security,all]") + `403}`},
		{"invalid names and actions", http.MethodPut, "/_security/privilege", elastic, `{"My App":{"Read":{"actions":["login"]}}}`, 400,
			errBody("action_request_validation_exception", "Validation Failed: 1: Application names may not contain whitespace (found 'My App');2: Application privilege names must match the pattern ^[a-z][a-zA-Z0-9_.-]*$ (found 'Read');3: action [login] must contain one of [ '/' , '*' , ':' ];") + `400}`},
		{"no action", http.MethodPut, "/_security/privilege", elastic, `{"myapp":{"read":{}}}`, 400,
			errBody("action_request_validation_exception", "Validation Failed: 1: Application privileges must have at least one action;") + `400}`},
		{"name in the body differs", http.MethodPut, "/_security/privilege", elastic, `{"myapp":{"read":{"name":"write","actions":["a:b"]}}}`, 400,
			errBody("illegal_argument_exception", "privilege name [write] in source does not match the provided name [read]") + `400}`},
		{"privilege not an object", http.MethodPut, "/_security/privilege", elastic, `{"myapp":{"read":["a:b"]}}`, 400,
			errBody("parse_exception", "expected the value for myapp to be an object, but found START_ARRAY instead") + `400}`},
		{"unknown field", http.MethodPut, "/_security/privilege", elastic, `{"myapp":{"read":{"actions":["a:b"],"colour":"red"}}}`, 400,
			errBody("x_content_parse_exception", "[1:37] [application-privilege] unknown field [colour]") + `400}`},
		{"reserved metadata", http.MethodPut, "/_security/privilege", elastic, `{"myapp":{"read":{"actions":["a:b"],"metadata":{"_x":1}}}}`, 400,
			errBody("action_request_validation_exception", "Validation Failed: 1: metadata keys may not start with [_] (in privilege myapp read);") + `400}`},
		{"has privileges on a wildcard application", http.MethodPost, "/_security/user/_has_privileges", dave, `{"application":[{"application":"my*","privileges":["read"],"resources":["x"]}]}`, 400,
			errBody("action_request_validation_exception", "Validation Failed: 1: Application names may not contain '*' (found 'my*');") + `400}`},
		{"delete", http.MethodDelete, "/_security/privilege/myapp/read,nope", elastic, "", 200, `{"myapp":{"nope":{"found":false},"read":{"found":true}}}`},
		{"delete nothing", http.MethodDelete, "/_security/privilege/myapp/read", elastic, "", 404, `{"myapp":{"read":{"found":false}}}`},
		{"has privileges after the delete", http.MethodPost, "/_security/user/_has_privileges", dave, `{"application":[{"application":"myapp","privileges":["read","action:login"],"resources":["shared/a"]}]}`, 200,
			`{"username":"dave","has_all_requested":false,"cluster":{},"index":{},"application":{"myapp":{"shared/a":{"action:login":false,"read":true}}}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := call(tc.method, tc.path, tc.authz, tc.body)
			if status != tc.status || body != tc.want {
				t.Fatalf("got  %d %s\nwant %d %s", status, body, tc.status, tc.want)
			}
		})
	}
}

// TestOfficialGoClientPrivileges drives the application privilege APIs
// with the official Go client's typed API.
func TestOfficialGoClientPrivileges(t *testing.T) {
	ctx := context.Background()
	svc, srv := newWireServer(t)
	root := auth.WithSubject(ctx, auth.OSSubject("root"))
	if _, err := svc.PutRole(root, &api.PutRoleRequest{Name: "myapp-admin", Descriptor: api.RoleDescriptor{
		Global:       map[string]any{"application": map[string]any{"manage": map[string]any{"applications": []any{"myapp"}}}},
		Applications: []api.ApplicationPrivileges{{Application: "myapp", Privileges: []string{"admin"}, Resources: []string{"*"}}},
	}}); err != nil {
		t.Fatal(err)
	}
	pw := "erin-password"
	if _, err := svc.PutUser(root, &api.PutUserRequest{Username: "erin", Password: &pw, Roles: []string{"myapp-admin"}}); err != nil {
		t.Fatal(err)
	}
	es := newTypedClient(t, elasticsearch.Config{Addresses: []string{srv}, Username: "elastic", Password: "wire-password"})
	erin := newTypedClient(t, elasticsearch.Config{Addresses: []string{srv}, Username: "erin", Password: pw})

	body := putprivileges.Request{"myapp": {
		"admin": {Actions: []string{"*"}},
		"read":  {Actions: []string{"data:read/*"}, Metadata: types.Metadata{"level": []byte("1")}},
	}}
	put, err := erin.Security.PutPrivileges().Request(&body).Do(ctx)
	if err != nil {
		t.Fatalf("put privileges by the application's manager: %v", err)
	}
	if !put["myapp"]["admin"].Created || !put["myapp"]["read"].Created {
		t.Fatalf("put privileges: %+v", put)
	}
	other := putprivileges.Request{"otherapp": {"read": {Actions: []string{"a:b"}}}}
	_, err = erin.Security.PutPrivileges().Request(&other).Do(ctx)
	wantStatus(t, err, 403, "security_exception")

	got, err := es.Security.GetPrivileges().Application("myapp").Name("read").Do(ctx)
	if err != nil {
		t.Fatalf("get privileges: %v", err)
	}
	if p := got["myapp"]["read"]; !slices.Equal(p.Actions, []string{"data:read/*"}) || p.Application == nil || *p.Application != "myapp" || string(p.Metadata["level"]) != "1" {
		t.Fatalf("get privileges: %+v", got)
	}
	all, err := es.Security.GetPrivileges().Do(ctx)
	if err != nil || len(all["myapp"]) != 2 {
		t.Fatalf("get every privilege: %+v %v", all, err)
	}

	has, err := erin.Security.HasPrivileges().Request(&hasprivileges.Request{Application: []types.ApplicationPrivilegesCheck{
		{Application: "myapp", Privileges: []string{"read", "data:write/x", "admin"}, Resources: []string{"any/thing"}},
	}}).Do(ctx)
	if err != nil {
		t.Fatalf("has privileges: %v", err)
	}
	if !has.HasAllRequested || !has.Application["myapp"]["any/thing"]["read"] || !has.Application["myapp"]["any/thing"]["data:write/x"] {
		t.Fatalf("has privileges: %+v", has)
	}

	builtin, err := es.Security.GetBuiltinPrivileges().Do(ctx)
	if err != nil || len(builtin.Cluster) == 0 || !slices.Contains(builtin.Index, "read") || len(builtin.RemoteCluster) == 0 {
		t.Fatalf("get builtin privileges: %+v %v", builtin, err)
	}
	if _, err := es.Security.ClearCachedPrivileges("myapp").Do(ctx); err != nil {
		t.Fatalf("clear cached privileges: %v", err)
	}

	del, err := erin.Security.DeletePrivileges("myapp", "read").Do(ctx)
	if err != nil || !del["myapp"]["read"].Found {
		t.Fatalf("delete privileges: %+v %v", del, err)
	}
	_, err = es.Security.GetPrivileges().Application("myapp").Name("read").Do(ctx)
	wantStatus(t, err, 404, "")
}
