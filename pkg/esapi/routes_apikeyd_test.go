package esapi

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// fakeAdmin answers the /_apikeyd/ endpoints with fixed answers.
type fakeAdmin struct {
	// Lineage answers the lineage routes (routes_lineage_test.go).
	api.Lineage
	// Restrictions answers create and clone with allowed networks
	// (wire_networks_test.go serves them from a real service).
	api.Restrictions
	copy   string
	err    error
	closed bool
	// invalidated is the last invalidate by query request, updated the
	// last extended update.
	invalidated *api.InvalidateByQueryRequest
	updated     *api.ExtendedUpdateAPIKeyRequest
	// put is the last policy put.
	put *api.ExpiryPolicy
}

func (a *fakeAdmin) UpdateAPIKeyExtended(_ context.Context, req *api.ExtendedUpdateAPIKeyRequest) (*api.UpdateAPIKeyResponse, error) {
	a.updated = req
	if a.err != nil {
		return nil, a.err
	}
	return &api.UpdateAPIKeyResponse{Updated: true}, nil
}

type closeRecorder struct {
	io.Reader
	a *fakeAdmin
}

func (c closeRecorder) Close() error { c.a.closed = true; return nil }

func (a *fakeAdmin) Backup(context.Context) (*api.Backup, error) {
	if a.err != nil {
		return nil, a.err
	}
	return &api.Backup{Size: int64(len(a.copy)), Body: closeRecorder{strings.NewReader(a.copy), a}}, nil
}

func (a *fakeAdmin) Doctor(context.Context) (*api.DoctorReport, error) {
	if a.err != nil {
		return nil, a.err
	}
	return &api.DoctorReport{Checks: []api.Check{{Name: "database integrity", Status: api.CheckOK, Message: "no problem"}}}, nil
}

func (a *fakeAdmin) InvalidateAPIKeysByQuery(_ context.Context, req *api.InvalidateByQueryRequest) (*api.InvalidateByQueryResponse, error) {
	a.invalidated = req
	if a.err != nil {
		return nil, a.err
	}
	resp := &api.InvalidateByQueryResponse{DryRun: req.DryRun, Count: 1, Plan: "sha256:" + strings.Repeat("ab", 32)}
	if req.DryRun {
		resp.APIKeys = []api.PlannedKey{{ID: "7Q2eJ5gBc8uQ3hY1Zk9w", Name: "fleet-1", Type: "rest", Username: "elastic", Realm: "reserved", Creation: 1}}
	} else {
		resp.InvalidateAPIKeysResponse = &api.InvalidateAPIKeysResponse{InvalidatedAPIKeys: []string{"7Q2eJ5gBc8uQ3hY1Zk9w"}, PreviouslyInvalidatedAPIKeys: []string{}}
	}
	return resp, nil
}

func (a *fakeAdmin) PutExpiryPolicy(_ context.Context, p *api.ExpiryPolicy) (*api.PutExpiryPolicyResponse, error) {
	if a.err != nil {
		return nil, a.err
	}
	a.put = p
	return &api.PutExpiryPolicyResponse{Created: true}, nil
}

func (a *fakeAdmin) GetExpiryPolicies(_ context.Context, name string) (*api.GetExpiryPoliciesResponse, error) {
	if name == "" {
		name = "all"
	}
	return &api.GetExpiryPoliciesResponse{Policies: []api.ExpiryPolicy{{Name: name, Role: "deployer", Max: "90d"}}}, nil
}

func (a *fakeAdmin) DeleteExpiryPolicy(_ context.Context, name string) (*api.DeleteExpiryPolicyResponse, error) {
	if name != "prod" {
		return nil, api.Errorf(api.NotFound, "expiry policy [%s] not found", name)
	}
	return &api.DeleteExpiryPolicyResponse{Found: true}, nil
}

// TestExpiryPolicyRoutes: the expiry policy endpoints decode, answer and
// refuse as the other endpoints do.
func TestExpiryPolicyRoutes(t *testing.T) {
	for _, tt := range []struct {
		name, method, target, body string
		status                     int
		want                       string
		put                        *api.ExpiryPolicy
	}{
		{"put", "PUT", "/_apikeyd/policy/expiry/prod", `{"role":"deployer","default":"30d","max":"90d"}`, 200, `{"created":true}`,
			&api.ExpiryPolicy{Name: "prod", Role: "deployer", Default: "30d", Max: "90d"}},
		{"put unknown field", "PUT", "/_apikeyd/policy/expiry/prod", `{"roles":"x"}`, 400,
			`{"error":{"root_cause":[{"type":"x_content_parse_exception","reason":"[1:2] [expiry_policy] unknown field [roles]"}],"type":"x_content_parse_exception","reason":"[1:2] [expiry_policy] unknown field [roles]"},"status":400}`, nil},
		{"put without body", "PUT", "/_apikeyd/policy/expiry/prod", ``, 400,
			`{"error":{"root_cause":[{"type":"parse_exception","reason":"request body is required"}],"type":"parse_exception","reason":"request body is required"},"status":400}`, nil},
		{"get all", "GET", "/_apikeyd/policy/expiry", ``, 200, `{"policies":[{"name":"all","role":"deployer","max":"90d"}]}`, nil},
		{"get one", "GET", "/_apikeyd/policy/expiry/prod", ``, 200, `{"policies":[{"name":"prod","role":"deployer","max":"90d"}]}`, nil},
		{"delete", "DELETE", "/_apikeyd/policy/expiry/prod", ``, 200, `{"found":true}`, nil},
		{"delete unknown", "DELETE", "/_apikeyd/policy/expiry/nope", ``, 404,
			`{"error":{"root_cause":[{"type":"resource_not_found_exception","reason":"expiry policy [nope] not found"}],"type":"resource_not_found_exception","reason":"expiry policy [nope] not found"},"status":404}`, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			admin := &fakeAdmin{}
			h := newHarness(t, func(c *Config) { c.Admin = admin })
			r := httptest.NewRequest(tt.method, tt.target, strings.NewReader(tt.body))
			r.Header.Set("Authorization", basicElastic)
			if tt.body != "" {
				r.Header.Set("Content-Type", "application/json")
			}
			w := httptest.NewRecorder()
			h.h.ServeHTTP(w, r)
			if w.Code != tt.status || w.Body.String() != tt.want {
				t.Fatalf("got %d %s,\nwant %d %s", w.Code, w.Body, tt.status, tt.want)
			}
			if tt.put != nil && *admin.put != *tt.put {
				t.Errorf("put %+v, want %+v", admin.put, tt.put)
			}
		})
	}
}

func TestAdminRoutes(t *testing.T) {
	forbidden := api.Errorf(api.Forbidden, "action [cluster:admin/xpack/security/apikeyd/backup] is unauthorized for user [bob]")
	for _, tt := range []struct {
		name        string
		admin       *fakeAdmin // nil: the handler has no Admin
		method      string
		target      string
		reqBody     string
		status      int
		contentType string
		body        string
	}{
		{"backup streams the copy", &fakeAdmin{copy: "SQLite format 3\x00..."}, "GET", "/_apikeyd/backup", "", 200,
			"application/octet-stream", "SQLite format 3\x00..."},
		{"backup refused", &fakeAdmin{err: forbidden}, "GET", "/_apikeyd/backup", "", 403, "application/json",
			`{"error":{"root_cause":[{"type":"security_exception","reason":"action [cluster:admin/xpack/security/apikeyd/backup] is unauthorized for user [bob]"}],"type":"security_exception","reason":"action [cluster:admin/xpack/security/apikeyd/backup] is unauthorized for user [bob]"},"status":403}`},
		{"backup by POST", &fakeAdmin{}, "POST", "/_apikeyd/backup", "", 405, "application/json",
			`{"error":"Incorrect HTTP method for uri [/_apikeyd/backup] and method [POST], allowed: [GET]","status":405}`},
		{"apikeyd names itself", &fakeAdmin{}, "GET", "/_apikeyd", "", 200, "application/json", `{"name":"apikeyd"}`},
		{"doctor", &fakeAdmin{}, "GET", "/_apikeyd/doctor", "", 200, "application/json",
			`{"checks":[{"name":"database integrity","status":"ok","message":"no problem"}]}`},
		{"invalidate by query, dry run", &fakeAdmin{}, "POST", "/_apikeyd/api_key/_invalidate_by_query",
			`{"query":{"prefix":{"name":"fleet-"}},"dry_run":true}`, 200, "application/json",
			`{"dry_run":true,"count":1,"plan":"sha256:` + strings.Repeat("ab", 32) + `","api_keys":[{"id":"7Q2eJ5gBc8uQ3hY1Zk9w","name":"fleet-1","type":"rest","username":"elastic","realm":"reserved","creation":1}]}`},
		{"invalidate by query", &fakeAdmin{}, "POST", "/_apikeyd/api_key/_invalidate_by_query",
			`{"query":{"prefix":{"name":"fleet-"}},"expect_count":1}`, 200, "application/json",
			`{"dry_run":false,"count":1,"plan":"sha256:` + strings.Repeat("ab", 32) + `","invalidated_api_keys":["7Q2eJ5gBc8uQ3hY1Zk9w"],"previously_invalidated_api_keys":[],"error_count":0}`},
		{"invalidate by query, plan changed", &fakeAdmin{err: api.Errorf(api.Conflict, "the API keys the query matches are not those expected")}, "POST", "/_apikeyd/api_key/_invalidate_by_query",
			`{"plan":"sha256:` + strings.Repeat("00", 32) + `"}`, 409, "application/json",
			`{"error":{"root_cause":[{"type":"version_conflict_engine_exception","reason":"the API keys the query matches are not those expected"}],"type":"version_conflict_engine_exception","reason":"the API keys the query matches are not those expected"},"status":409}`},
		{"invalidate by query, unknown field", &fakeAdmin{}, "POST", "/_apikeyd/api_key/_invalidate_by_query",
			`{"dryrun":true}`, 400, "application/json",
			`{"error":{"root_cause":[{"type":"x_content_parse_exception","reason":"[1:2] [invalidate_api_key_by_query] unknown field [dryrun]"}],"type":"x_content_parse_exception","reason":"[1:2] [invalidate_api_key_by_query] unknown field [dryrun]"},"status":400}`},
		{"invalidate by query, query not an object", &fakeAdmin{}, "POST", "/_apikeyd/api_key/_invalidate_by_query",
			`{"query":"name:x","dry_run":true}`, 400, "application/json",
			`{"error":{"root_cause":[{"type":"x_content_parse_exception","reason":"[1:2] [invalidate_api_key_by_query] query doesn't support values of type: VALUE_STRING"}],"type":"x_content_parse_exception","reason":"[1:2] [invalidate_api_key_by_query] query doesn't support values of type: VALUE_STRING"},"status":400}`},
		{"invalidate by query by GET", &fakeAdmin{}, "GET", "/_apikeyd/api_key/_invalidate_by_query", "", 405, "application/json",
			`{"error":"Incorrect HTTP method for uri [/_apikeyd/api_key/_invalidate_by_query] and method [GET], allowed: [POST, PUT]","status":405}`},
		{"extended update", &fakeAdmin{}, "PUT", "/_apikeyd/api_key/7Q2eJ5gBc8uQ3hY1Zk9w",
			`{"name":"renamed","expiration":null,"metadata":{"env":"prod"}}`, 200, "application/json", `{"updated":true}`},
		{"extended update, expiration not a time value", &fakeAdmin{}, "PUT", "/_apikeyd/api_key/7Q2eJ5gBc8uQ3hY1Zk9w",
			`{"expiration":"soon"}`, 400, "application/json",
			`{"error":{"root_cause":[{"type":"x_content_parse_exception","reason":"[1:2] [apikeyd_update_api_key_request_payload] failed to parse field [expiration]"}],"type":"x_content_parse_exception","reason":"[1:2] [apikeyd_update_api_key_request_payload] failed to parse field [expiration]","caused_by":{"type":"illegal_argument_exception","reason":"failed to parse setting [expiration] with value [soon] as a time value: unit is missing or unrecognized"}},"status":400}`},
		{"extended update, name not a string", &fakeAdmin{}, "PUT", "/_apikeyd/api_key/7Q2eJ5gBc8uQ3hY1Zk9w",
			`{"name":null}`, 400, "application/json",
			`{"error":{"root_cause":[{"type":"x_content_parse_exception","reason":"[1:2] [apikeyd_update_api_key_request_payload] name doesn't support values of type: VALUE_NULL"}],"type":"x_content_parse_exception","reason":"[1:2] [apikeyd_update_api_key_request_payload] name doesn't support values of type: VALUE_NULL"},"status":400}`},
		{"not routed without an Admin", nil, "GET", "/_apikeyd/backup", "", 400, "application/json",
			`{"error":"no handler found for uri [/_apikeyd/backup] and method [GET]"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, func(c *Config) {
				if tt.admin != nil {
					c.Admin = tt.admin
				}
			})
			var body io.Reader
			if tt.reqBody != "" {
				body = strings.NewReader(tt.reqBody)
			}
			r := httptest.NewRequest(tt.method, tt.target, body)
			if body != nil {
				r.Header.Set("Content-Type", "application/json")
			}
			r.Header.Set("Authorization", basicElastic)
			w := httptest.NewRecorder()
			h.h.ServeHTTP(w, r)
			if w.Code != tt.status || w.Body.String() != tt.body {
				t.Fatalf("got %d %q,\nwant %d %q", w.Code, w.Body, tt.status, tt.body)
			}
			if got := w.Header().Get("Content-Type"); got != tt.contentType {
				t.Errorf("Content-Type %q, want %q", got, tt.contentType)
			}
			if got := w.Header().Get("X-Elastic-Product"); got != "Elasticsearch" {
				t.Errorf("X-Elastic-Product %q", got)
			}
			if tt.status == 200 && tt.contentType != "application/json" {
				if got := w.Header().Get("Content-Length"); got != "19" {
					t.Errorf("Content-Length %q, want 19", got)
				}
				if !tt.admin.closed {
					t.Error("the backup was not closed")
				}
			}
		})
	}
}

// TestExtendedUpdateRequest: the route hands the service the key's id and
// what the body says, null telling "never expires" from absent.
func TestExtendedUpdateRequest(t *testing.T) {
	for _, tt := range []struct {
		name, body string
		want       api.ExtendedUpdateAPIKeyRequest
	}{
		{"rename and never expire", `{"name":"renamed","expiration":null}`,
			api.ExtendedUpdateAPIKeyRequest{ID: "k1", Name: ptr("renamed"), Expiration: &api.Clearable{Null: true}}},
		{"a new expiration", `{"expiration":"30d"}`, api.ExtendedUpdateAPIKeyRequest{ID: "k1", Expiration: &api.Clearable{Value: "30d"}}},
		{"no body", ``, api.ExtendedUpdateAPIKeyRequest{ID: "k1"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := &fakeAdmin{}
			h := newHarness(t, func(c *Config) { c.Admin = a })
			r := httptest.NewRequest("PUT", "/_apikeyd/api_key/k1", strings.NewReader(tt.body))
			r.Header.Set("Authorization", basicElastic)
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			h.h.ServeHTTP(w, r)
			if w.Code != 200 || a.updated == nil {
				t.Fatalf("got %d %s", w.Code, w.Body)
			}
			got := *a.updated
			if got.ID != tt.want.ID || !reflect.DeepEqual(got.Name, tt.want.Name) || !reflect.DeepEqual(got.Expiration, tt.want.Expiration) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestHeadApikeyd pins the answers to HEAD /_apikeyd by which a client
// tells apikeyd (200, or 401 to a caller it does not know) from a server
// without the route, as Elasticsearch is (400, no handler).
func TestHeadApikeyd(t *testing.T) {
	for _, tt := range []struct {
		name   string
		admin  bool
		auth   string
		status int
	}{
		{"apikeyd", true, basicElastic, http.StatusOK},
		{"apikeyd, no credentials", true, "", http.StatusUnauthorized},
		{"no such route", false, basicElastic, http.StatusBadRequest},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, func(c *Config) {
				if tt.admin {
					c.Admin = &fakeAdmin{}
				}
			})
			srv := httptest.NewServer(h.h)
			defer srv.Close()
			req, err := http.NewRequest(http.MethodHead, srv.URL+"/_apikeyd", nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("HEAD /_apikeyd = %d, want %d", resp.StatusCode, tt.status)
			}
		})
	}
}
