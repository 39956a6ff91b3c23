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
