package client

import (
	"context"
	"strings"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// TestExplainAPIKey: the credential goes in the body of
// POST /_apikeyd/_explain, the explanation comes back as it is, and an
// Elasticsearch node's "no handler" becomes an error saying explain is
// apikeyd's.
func TestExplainAPIKey(t *testing.T) {
	f, srv := newFake(t, reply{body: `{"accepted":false,"verdict":"refused: the credential is not valid","checks":[{"name":"credential","status":"fail","message":"not valid"}],"answer":{"status":401,"type":"security_exception","reason":"unable to authenticate"}}`})
	resp, err := mustNew(t, Config{URL: srv.URL}).ExplainAPIKey(context.Background(), &api.ExplainRequest{APIKey: "k:s"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Accepted || resp.Answer.Status != 401 || len(resp.Checks) != 1 || resp.Checks[0].Status != api.ExplainFail {
		t.Fatalf("got %+v", resp)
	}
	if got := f.last(t); got.Method != "POST" || got.Path != "/_apikeyd/_explain" || got.Body != `{"api_key":"k:s"}` {
		t.Fatalf("sent %s %s %s", got.Method, got.Path, got.Body)
	}

	_, es := newFake(t, reply{status: 400, body: `{"error":"no handler found for uri [/_apikeyd/_explain] and method [POST]"}`})
	_, err = mustNew(t, Config{URL: es.URL}).ExplainAPIKey(context.Background(), &api.ExplainRequest{ID: "k"})
	if e, ok := api.AsError(err); !ok || !strings.Contains(e.Reason, "explain is an apikeyd feature") {
		t.Fatalf("against Elasticsearch: %v", err)
	}
}
