package client

import (
	"encoding/json"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// TestQueryAPIKeys checks the query API's request (POST, the body sent
// byte for byte even when it is not valid JSON, the parameters) and the
// decoding of its answer, aggregations kept as they came.
func TestQueryAPIKeys(t *testing.T) {
	answer := `{"total":3,"count":1,"api_keys":[` + sampleKey[:len(sampleKey)-1] + `,"_sort":[1700000000000,"k1"]}],` +
		`"aggregations":{"sterms#users":{"doc_count_error_upper_bound":0,"sum_other_doc_count":0,"buckets":[{"key":"elastic","doc_count":3}]}}}`
	f, srv := newFake(t, reply{body: answer})
	c := mustNew(t, Config{URL: srv.URL})

	body := `{"query": {"term": {"name": "k1"}}, "sort": ["creation", "name"],   "size": 1}`
	resp, err := c.QueryAPIKeys(t.Context(), &api.QueryAPIKeysRequest{
		Body: json.RawMessage(body), WithLimitedBy: true, TypedKeys: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	got := f.last(t)
	if got.Method != "POST" || got.Path != "/_security/_query/api_key" || got.RawQuery != "typed_keys=true&with_limited_by=true" {
		t.Fatalf("request: %s %s?%s", got.Method, got.Path, got.RawQuery)
	}
	if got.Body != body || got.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("body %q, content type %q", got.Body, got.Header.Get("Content-Type"))
	}
	if resp.Total != 3 || resp.Count != 1 || len(resp.APIKeys) != 1 || resp.APIKeys[0].ID != "VuaCfGcBCdbkQm-e5aOx" {
		t.Fatalf("response: %+v", resp)
	}
	if s := resp.APIKeys[0].Sort; len(s) != 2 || s[0] != json.Number("1700000000000") || s[1] != "k1" {
		t.Fatalf("_sort: %#v", s)
	}
	if !sameJSON(t, string(resp.Aggregations), `{"sterms#users":{"doc_count_error_upper_bound":0,"sum_other_doc_count":0,"buckets":[{"key":"elastic","doc_count":3}]}}`) {
		t.Fatalf("aggregations: %s", resp.Aggregations)
	}

	// No body: no body sent, every key asked for; an invalid body goes as
	// it is, for the server to answer.
	if _, err := c.QueryAPIKeys(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	if got := f.last(t); got.Body != "" || got.RawQuery != "" || got.Header.Get("Content-Type") != "" {
		t.Fatalf("empty request: %+v", got)
	}
	f.reply = reply{status: 400, body: `{"error":{"root_cause":[{"type":"x_content_parse_exception","reason":"[1:2] bad"}],"type":"x_content_parse_exception","reason":"[1:2] bad"},"status":400}`}
	_, err = c.QueryAPIKeys(t.Context(), &api.QueryAPIKeysRequest{Body: json.RawMessage(`{"query":`)})
	if e, ok := api.AsError(err); !ok || e.Code != api.ParseFailed {
		t.Fatalf("error: %v", err)
	}
	if got := f.last(t); got.Body != `{"query":` {
		t.Fatalf("invalid body sent as %q", got.Body)
	}
}

// TestQueryUsersAndRoles checks the query users and query roles requests
// (POST, the body as given, with_profile_uid) and the decoding of their
// answers: a user's fields and _sort, a role's name, descriptor and _sort.
func TestQueryUsersAndRoles(t *testing.T) {
	f, srv := newFake(t, reply{body: `{"total":2,"count":1,"users":[{"username":"jane","roles":["ops"],"full_name":"Jane Doe","email":null,"metadata":{"n":1},"enabled":false,"_sort":["jane"]}]}`})
	c := mustNew(t, Config{URL: srv.URL})
	body := `{"sort":["username"],"size":1}`
	users, err := c.QueryUsers(t.Context(), &api.QueryUsersRequest{Body: json.RawMessage(body), WithProfileUID: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.last(t); got.Method != "POST" || got.Path != "/_security/_query/user" || got.RawQuery != "with_profile_uid=true" || got.Body != body {
		t.Fatalf("request: %s %s?%s %q", got.Method, got.Path, got.RawQuery, got.Body)
	}
	u := users.Users[0]
	if users.Total != 2 || users.Count != 1 || u.Username != "jane" || u.Enabled || *u.FullName != "Jane Doe" || u.Email != nil ||
		u.Metadata.Map()["n"] != json.Number("1") || len(u.Sort) != 1 || u.Sort[0] != "jane" {
		t.Fatalf("users: %+v", users)
	}

	f.reply = reply{body: `{"total":1,"count":1,"roles":[{"name":"ops","cluster":["monitor"],"indices":[],"applications":[],"run_as":[],"metadata":{"tier":2},"transient_metadata":{"enabled":true},"description":"Operators","_sort":["ops"]}]}`}
	roles, err := c.QueryRoles(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.last(t); got.Path != "/_security/_query/role" || got.Body != "" || got.RawQuery != "" {
		t.Fatalf("request: %s?%s %q", got.Path, got.RawQuery, got.Body)
	}
	r := roles.Roles[0]
	if r.Name != "ops" || r.Descriptor.Description != "Operators" || r.Descriptor.Cluster[0] != "monitor" ||
		r.Descriptor.Metadata.Map()["tier"] != json.Number("2") || len(r.Sort) != 1 || r.Sort[0] != "ops" {
		t.Fatalf("roles: %+v", roles)
	}
	// The role renders back as it came, name first and _sort last.
	out, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"name":"ops","cluster":["monitor"],"indices":[],"applications":[],"run_as":[],"metadata":{"tier":2},"transient_metadata":{"enabled":true},"description":"Operators","_sort":["ops"]}`; string(out) != want {
		t.Fatalf("render:\n got %s\nwant %s", out, want)
	}
}
