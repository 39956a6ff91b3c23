package esapi_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v9"
	"github.com/elastic/go-elasticsearch/v9/typedapi/security/createcrossclusterapikey"
	"github.com/elastic/go-elasticsearch/v9/typedapi/security/queryapikeys"
	"github.com/elastic/go-elasticsearch/v9/typedapi/security/updatecrossclusterapikey"
	"github.com/elastic/go-elasticsearch/v9/typedapi/types"
)

// TestOfficialGoClientCertificateIdentity drives Elasticsearch 9.3's
// certificate_identity with the official Go client: its typed create and
// update carry the field and its ApiKey type reads it back from get and
// query; a clearing (null, which the typed request cannot send) goes as a
// raw body. The error bodies are compared byte for byte.
func TestOfficialGoClientCertificateIdentity(t *testing.T) {
	ctx := context.Background()
	_, srv := newWireServer(t)
	es := newTypedClient(t, elasticsearch.Config{Addresses: []string{srv}, Username: "elastic", Password: "wire-password"})
	dn := "CN=.*\\.example\\.com,O=Example Corp,C=US"
	cc, err := es.Security.CreateCrossClusterApiKey().Request(&createcrossclusterapikey.Request{
		Name:                "eu-west",
		Access:              types.Access{Search: []types.SearchAccess{{Names: []string{"logs-*"}}}},
		CertificateIdentity: &dn,
	}).Do(ctx)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	identity := func() *string {
		t.Helper()
		got, err := es.Security.GetApiKey().Id(cc.Id).Do(ctx)
		if err != nil || len(got.ApiKeys) != 1 {
			t.Fatalf("get: %+v %v", got, err)
		}
		q, err := es.Security.QueryApiKeys().Request(&queryapikeys.Request{
			Query: &types.ApiKeyQueryContainer{Ids: &types.IdsQuery{Values: []string{cc.Id}}},
		}).Do(ctx)
		if err != nil || len(q.ApiKeys) != 1 {
			t.Fatalf("query: %+v %v", q, err)
		}
		g, qq := got.ApiKeys[0].CertificateIdentity, q.ApiKeys[0].CertificateIdentity
		if (g == nil) != (qq == nil) || (g != nil && *g != *qq) {
			t.Fatalf("get says %v, query %v", g, qq)
		}
		return g
	}
	if got := identity(); got == nil || *got != dn {
		t.Fatalf("after create: %v", got)
	}

	updated, err := es.Security.UpdateCrossClusterApiKey(cc.Id).Request(&updatecrossclusterapikey.Request{
		Access:              types.Access{Search: []types.SearchAccess{{Names: []string{"logs-*"}}}},
		CertificateIdentity: &[]string{"CN=remote-1"}[0],
	}).Do(ctx)
	if err != nil || !updated.Updated {
		t.Fatalf("update: %+v %v", updated, err)
	}
	if got := identity(); got == nil || *got != "CN=remote-1" {
		t.Fatalf("after update: %v", got)
	}
	cleared, err := es.Security.UpdateCrossClusterApiKey(cc.Id).Raw(strings.NewReader(`{"certificate_identity":null}`)).Do(ctx)
	if err != nil || !cleared.Updated {
		t.Fatalf("clear: %+v %v", cleared, err)
	}
	if got := identity(); got != nil {
		t.Fatalf("after null: %q", *got)
	}

	bad := "CN=(remote"
	_, err = es.Security.CreateCrossClusterApiKey().Request(&createcrossclusterapikey.Request{
		Name: "bad", Access: types.Access{Search: []types.SearchAccess{{Names: []string{"a"}}}}, CertificateIdentity: &bad,
	}).Do(ctx)
	wantStatus(t, err, 400, "illegal_argument_exception")

	raw := func(method, path, body, want string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv+path, strings.NewReader(body))
		req.SetBasicAuth("elastic", "wire-password")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		got, _ := io.ReadAll(resp.Body)
		if string(got) != want {
			t.Errorf("%s %s %s\n got %s\nwant %s", method, path, body, got, want)
		}
	}
	invalid := `{"error":{"root_cause":[{"type":"illegal_argument_exception","reason":"Invalid certificate_identity format: [CN=(remote]. Must be a valid regex."}],` +
		`"type":"illegal_argument_exception","reason":"Invalid certificate_identity format: [CN=(remote]. Must be a valid regex."},"status":400}`
	raw("PUT", "/_security/cross_cluster/api_key/"+cc.Id, `{"certificate_identity":"CN=(remote"}`, invalid)
	raw("POST", "/_security/cross_cluster/api_key", `{"name":"n","access":{"search":[{"names":["a"]}]},"certificate_identity":"CN=(remote"}`, invalid)
	parse := func(reason string) string {
		return `{"error":{"root_cause":[{"type":"x_content_parse_exception","reason":"` + reason + `"}],"type":"x_content_parse_exception","reason":"` + reason + `"},"status":400}`
	}
	raw("PUT", "/_security/cross_cluster/api_key/"+cc.Id, `{"certificate_identity":42}`,
		parse("[1:2] [update_cross_cluster_api_key_request_payload] certificate_identity doesn't support values of type: VALUE_NUMBER"))
	raw("POST", "/_security/api_key", `{"name":"rest","certificate_identity":"CN=a"}`,
		parse("[1:16] [api_key_request] unknown field [certificate_identity]"))
	nothing := "Validation Failed: 1: must update  [access] or [metadata] or [certificate_identity] for cross-cluster API keys;"
	raw("PUT", "/_security/cross_cluster/api_key/"+cc.Id, `{}`,
		`{"error":{"root_cause":[{"type":"action_request_validation_exception","reason":"`+nothing+`"}],"type":"action_request_validation_exception","reason":"`+nothing+`"},"status":400}`)
}
