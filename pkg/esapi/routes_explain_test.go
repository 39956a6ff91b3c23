package esapi

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// ExplainAPIKey answers POST /_apikeyd/_explain: accepted for the id
// "good", refused otherwise.
func (a *fakeAdmin) ExplainAPIKey(_ context.Context, req *api.ExplainRequest) (*api.ExplainResponse, error) {
	if a.err != nil {
		return nil, a.err
	}
	if req.ID == "good" {
		return &api.ExplainResponse{ID: "good", Accepted: true, Verdict: "accepted", Checks: []api.ExplainCheck{}, Answer: api.ExplainAnswer{Status: 200}}, nil
	}
	return &api.ExplainResponse{Verdict: "refused", Checks: []api.ExplainCheck{}, Answer: api.ExplainAnswer{Status: 401}}, nil
}

// TestExplainRoute: the body is decoded strictly (one of api_key and id,
// nothing else), and the answer is the explanation as it is.
func TestExplainRoute(t *testing.T) {
	for _, tt := range []struct {
		name, body string
		status     int
		want       string
	}{
		{"by id", `{"id":"good"}`, 200, `{"id":"good","accepted":true,"verdict":"accepted","checks":[],"answer":{"status":200}}`},
		{"a credential", `{"api_key":"a:b"}`, 200, `{"accepted":false,"verdict":"refused","checks":[],"answer":{"status":401}}`},
		{"unknown field", `{"api_key":"a:b","secret":"x"}`, 400,
			`{"error":{"root_cause":[{"type":"x_content_parse_exception","reason":"[1:18] [apikeyd_explain_api_key_request] unknown field [secret]"}],"type":"x_content_parse_exception","reason":"[1:18] [apikeyd_explain_api_key_request] unknown field [secret]"},"status":400}`},
		{"both", `{"api_key":"a:b","id":"a"}`, 400,
			`{"error":{"root_cause":[{"type":"illegal_argument_exception","reason":"give either [api_key] (a credential) or [id] (a key, explained by an administrator), not both"}],"type":"illegal_argument_exception","reason":"give either [api_key] (a credential) or [id] (a key, explained by an administrator), not both"},"status":400}`},
		{"no body", ``, 400,
			`{"error":{"root_cause":[{"type":"parse_exception","reason":"request body is required"}],"type":"parse_exception","reason":"request body is required"},"status":400}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, func(c *Config) { c.Admin = &fakeAdmin{} })
			r := httptest.NewRequest("POST", "/_apikeyd/_explain", strings.NewReader(tt.body))
			r.Header.Set("Authorization", basicElastic)
			if tt.body != "" {
				r.Header.Set("Content-Type", "application/json")
			}
			w := httptest.NewRecorder()
			h.h.ServeHTTP(w, r)
			if w.Code != tt.status || w.Body.String() != tt.want {
				t.Fatalf("got %d %s,\nwant %d %s", w.Code, w.Body, tt.status, tt.want)
			}
		})
	}
}
