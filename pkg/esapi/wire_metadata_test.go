package esapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v9"

	"github.com/apikeyctl/apikeyctl/pkg/esapi"
)

// Metadata as a client writes it: keys out of order at every level,
// arrays of objects, numbers as written, escaped characters.
const (
	keyMetadata  = `{"level":1,"trusted":true,"tags":["a"],"owner":{"zone":"b","id":2,"team":{"z":1,"a":2}},"list":[{"y":1,"x":2}],"n":1.50,"s":"\u00e9 <b>"}`
	userMetadata = `{"zeta":"z","alpha":{"b":2,"a":1},"mid":[{"d":null,"c":false}]}`
	roleMetadata = `{"version":3,"app":{"y":true,"x":[2,1]},"desc":"\u00e9"}`
)

// keyMetadataOut, userMetadataOut and roleMetadataOut are how
// Elasticsearch writes them back: it reads an object of metadata into a
// java.util.HashMap and returns it in that map's order (printed by a Java
// program over the same keys), at every level, characters unescaped.
const (
	keyMetadataOut  = `{"owner":{"zone":"b","id":2,"team":{"a":2,"z":1}},"s":"é <b>","level":1,"trusted":true,"list":[{"x":2,"y":1}],"n":1.50,"tags":["a"]}`
	userMetadataOut = `{"zeta":"z","alpha":{"a":1,"b":2},"mid":[{"c":false,"d":null}]}`
	roleMetadataOut = `{"app":{"x":[2,1],"y":true},"version":3,"desc":"é"}`
)

// TestWireMetadataOrder creates a key, a user and a role with the official
// Go client, their metadata keys unsorted, and checks that every answer
// that carries the metadata returns it byte for byte as Elasticsearch
// does: in a Java HashMap's order, neither as written nor sorted.
func TestWireMetadataOrder(t *testing.T) {
	ctx := context.Background()
	_, srv := newWireServer(t)
	es := newTypedClient(t, elasticsearch.Config{Addresses: []string{srv}, Username: "elastic", Password: "wire-password"})
	read := func(t *testing.T, resp *http.Response, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("HTTP %d %s %v", resp.StatusCode, data, err)
		}
		return string(data)
	}

	if _, err := es.Security.PutRole("ordered").Raw(strings.NewReader(`{"cluster":["manage_own_api_key"],"metadata":` + roleMetadata + `}`)).Do(ctx); err != nil {
		t.Fatalf("put role: %v", err)
	}
	if _, err := es.Security.PutUser("olga").Raw(strings.NewReader(`{"password":"olga-password","roles":["ordered"],"metadata":` + userMetadataOut + `}`)).Do(ctx); err != nil {
		t.Fatalf("put user: %v", err)
	}
	olga := newTypedClient(t, elasticsearch.Config{Addresses: []string{srv}, Username: "olga", Password: "olga-password"})
	key, err := olga.Security.CreateApiKey().Raw(strings.NewReader(
		`{"name":"ordered","metadata":` + keyMetadata + `,"role_descriptors":{"r":{"cluster":["manage_own_api_key"],"metadata":` + roleMetadata + `}}}`)).Do(ctx)
	if err != nil {
		t.Fatalf("create API key: %v", err)
	}
	asKey := newTypedClient(t, elasticsearch.Config{Addresses: []string{srv}, APIKey: key.Encoded})
	roleJSON := `{"cluster":["manage_own_api_key"],"indices":[],"applications":[],"run_as":[],"metadata":` + roleMetadataOut + `,"transient_metadata":{"enabled":true}}`

	for _, tc := range []struct {
		name string
		send func() (*http.Response, error)
		want []string
	}{
		{"get role", func() (*http.Response, error) { return es.Security.GetRole().Name("ordered").Perform(ctx) },
			[]string{`{"ordered":` + roleJSON + `}`}},
		{"get user", func() (*http.Response, error) { return es.Security.GetUser().Username("olga").Perform(ctx) },
			[]string{`{"olga":{"username":"olga","roles":["ordered"],"full_name":null,"email":null,"metadata":` + userMetadataOut + `,"enabled":true}}`}},
		{"authenticate as the user", func() (*http.Response, error) { return olga.Security.Authenticate().Perform(ctx) },
			[]string{`"metadata":` + userMetadataOut + `,"enabled":true`}},
		{"authenticate with the key", func() (*http.Response, error) { return asKey.Security.Authenticate().Perform(ctx) },
			[]string{`"metadata":` + userMetadataOut + `,"enabled":true`}},
		{"get key with limited_by", func() (*http.Response, error) {
			return es.Security.GetApiKey().Id(key.Id).WithLimitedBy(true).Perform(ctx)
		}, []string{
			`"metadata":` + keyMetadataOut + `,"role_descriptors":{"r":` + roleJSON + `},"limited_by":[{"ordered":` + roleJSON + `}]`,
		}},
		{"query keys", func() (*http.Response, error) {
			return es.Security.QueryApiKeys().Raw(strings.NewReader(`{"query":{"ids":{"values":["` + key.Id + `"]}}}`)).Perform(ctx)
		}, []string{`"metadata":` + keyMetadataOut + `,"role_descriptors":{"r":` + roleJSON + `}`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := tc.send()
			body := read(t, resp, err)
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Fatalf("body %s\nlacks %s", body, w)
				}
			}
		})
	}
}

// TestWireMetadataOrderLifecycle writes metadata through every request that
// takes it and reads the key back in Elasticsearch's order, and an update
// whose metadata differs only in key order is a noop, as in Elasticsearch,
// which compares the metadata as maps.
func TestWireMetadataOrderLifecycle(t *testing.T) {
	svc, _ := newWireServer(t)
	server := httptest.NewServer(esapi.NewHandler(esapi.Config{Service: svc, Authenticator: svc, Admin: svc}))
	t.Cleanup(server.Close)
	srv := server.URL
	elastic := basicAuth("elastic", "wire-password")
	call := func(t *testing.T, method, path, body string) string {
		t.Helper()
		req, err := http.NewRequest(method, srv+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", elastic)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s %s: HTTP %d %s", method, path, resp.StatusCode, data)
		}
		return string(data)
	}
	metadataOf := func(t *testing.T, id string) string {
		t.Helper()
		body := call(t, http.MethodGet, "/_security/api_key?id="+id, "")
		var r struct {
			APIKeys []struct {
				Metadata json.RawMessage `json:"metadata"`
			} `json:"api_keys"`
		}
		if err := json.Unmarshal([]byte(body), &r); err != nil || len(r.APIKeys) != 1 {
			t.Fatalf("get %s: %s %v", id, body, err)
		}
		return string(r.APIKeys[0].Metadata)
	}
	call(t, http.MethodPut, "/_security/user/olga", `{"password":"olga-password","roles":["superuser"]}`)

	rest, encoded := createdKey(t, call(t, http.MethodPost, "/_security/api_key", `{"name":"rest","metadata":{"b":1,"a":{"d":1,"c":2}}}`))
	cc, _ := createdKey(t, call(t, http.MethodPost, "/_security/cross_cluster/api_key", `{"name":"cc","access":{"search":[{"names":["*"]}]},"metadata":{"i":1,"h":2}}`))
	for _, tc := range []struct {
		name, method, path, body string
		// answer is the expected answer, when it matters.
		answer string
		// key reads the key to check from the answer; nil checks id.
		key  func(t *testing.T, answer string) string
		id   *string
		want string
	}{
		{name: "create", method: http.MethodGet, path: "/_security/api_key?id=" + rest, id: &rest, want: `{"a":{"c":2,"d":1},"b":1}`},
		{name: "update, same metadata in another order, is a noop", method: http.MethodPut, path: "/_security/api_key/" + rest,
			body: `{"metadata":{"a":{"c":2,"d":1},"b":1}}`, answer: `{"updated":false}`, id: &rest, want: `{"a":{"c":2,"d":1},"b":1}`},
		{name: "update", method: http.MethodPut, path: "/_security/api_key/" + rest,
			body: `{"metadata":{"y":{"q":[{"s":1,"r":2}]},"x":null}}`, answer: `{"updated":true}`, id: &rest, want: `{"x":null,"y":{"q":[{"r":2,"s":1}]}}`},
		{name: "bulk update", method: http.MethodPost, path: "/_security/api_key/_bulk_update",
			body: `{"ids":["` + rest + `"],"metadata":{"z":1,"y":2}}`, id: &rest, want: `{"y":2,"z":1}`},
		{name: "extended update", method: http.MethodPut, path: "/_apikeyd/api_key/" + rest,
			body: `{"metadata":{"q":1,"p":{"o":true,"n":false}}}`, id: &rest, want: `{"p":{"n":false,"o":true},"q":1}`},
		{name: "clone keeps the source's order", method: http.MethodPost, path: "/_security/api_key/clone",
			body: `{"api_key":"` + encoded + `","name":"copy"}`, key: createdID, want: `{"p":{"n":false,"o":true},"q":1}`},
		{name: "clone with metadata", method: http.MethodPost, path: "/_security/api_key/clone",
			body: `{"api_key":"` + encoded + `","name":"copy2","metadata":{"m":1,"l":2}}`, key: createdID, want: `{"l":2,"m":1}`},
		{name: "grant", method: http.MethodPost, path: "/_security/api_key/grant",
			body: `{"grant_type":"password","username":"olga","password":"olga-password","api_key":{"name":"g","metadata":{"k":1,"j":2}}}`,
			key:  createdID, want: `{"j":2,"k":1}`},
		{name: "rotate keeps the order", method: http.MethodPost, path: "/_apikeyd/api_key/" + rest + "/_rotate", body: `{}`,
			key: createdID, want: `{"p":{"n":false,"o":true},"q":1}`},
		{name: "cross-cluster create", method: http.MethodGet, path: "/_security/api_key?id=" + cc, id: &cc, want: `{"h":2,"i":1}`},
		{name: "cross-cluster update", method: http.MethodPut, path: "/_security/cross_cluster/api_key/" + cc,
			body: `{"metadata":{"g":1,"f":2}}`, id: &cc, want: `{"f":2,"g":1}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			answer := call(t, tc.method, tc.path, tc.body)
			if tc.answer != "" && answer != tc.answer {
				t.Fatalf("answer %s, want %s", answer, tc.answer)
			}
			id := ""
			if tc.key != nil {
				id = tc.key(t, answer)
			} else {
				id = *tc.id
			}
			if got := metadataOf(t, id); got != tc.want {
				t.Fatalf("metadata %s, want %s", got, tc.want)
			}
		})
	}
}

// createdKey reads the id and credential of a created key from its answer.
func createdKey(t *testing.T, body string) (id, encoded string) {
	t.Helper()
	var r struct{ ID, Encoded string }
	if err := json.Unmarshal([]byte(body), &r); err != nil || r.ID == "" {
		t.Fatalf("create answer %s: %v", body, err)
	}
	return r.ID, r.Encoded
}

// createdID reads the id of a created key from its answer.
func createdID(t *testing.T, body string) string {
	t.Helper()
	id, _ := createdKey(t, body)
	return id
}
