package esapi

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// TestQueryRoute checks GET and POST /_security/_query/api_key: the body
// reaches the service as sent, the parameters as flags, and the answer
// has the query API's shape.
func TestQueryRoute(t *testing.T) {
	tests := []struct {
		name       string
		req        req
		wantArg    *api.QueryAPIKeysRequest
		wantStatus int
		wantBody   string
	}{
		{
			name:       "GET without a body",
			req:        req{method: "GET", target: "/_security/_query/api_key"},
			wantArg:    &api.QueryAPIKeysRequest{Body: []byte{}},
			wantStatus: 200,
			wantBody:   `{"total":0,"count":0,"api_keys":[]}`,
		},
		{
			name:       "GET with a body and every parameter",
			req:        req{method: "GET", target: "/_security/_query/api_key?with_limited_by&with_profile_uid=false&typed_keys=true", body: `{"size": 1}`},
			wantArg:    &api.QueryAPIKeysRequest{Body: []byte(`{"size": 1}`), WithLimitedBy: true, TypedKeys: true},
			wantStatus: 200,
		},
		{
			name:       "POST",
			req:        req{method: "POST", target: "/_security/_query/api_key?typed_keys", body: `{"query":{"match_all":{}}}`},
			wantArg:    &api.QueryAPIKeysRequest{Body: []byte(`{"query":{"match_all":{}}}`), TypedKeys: true},
			wantStatus: 200,
		},
		{
			name:       "unknown parameter",
			req:        req{method: "POST", target: "/_security/_query/api_key?typed_keyz"},
			wantStatus: 400,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, w := serve(t, nil, tt.req, tt.wantStatus)
			if tt.wantArg != nil {
				got, _ := h.svc.arg.(*api.QueryAPIKeysRequest)
				if h.svc.method != "QueryAPIKeys" || got == nil || string(got.Body) != string(tt.wantArg.Body) ||
					got.WithLimitedBy != tt.wantArg.WithLimitedBy || got.WithProfileUID != tt.wantArg.WithProfileUID || got.TypedKeys != tt.wantArg.TypedKeys {
					t.Fatalf("service got %s %+v", h.svc.method, got)
				}
			}
			if tt.wantBody != "" {
				var a, b any
				_ = json.Unmarshal(w.Body.Bytes(), &a)
				_ = json.Unmarshal([]byte(tt.wantBody), &b)
				if !reflect.DeepEqual(a, b) {
					t.Fatalf("body %s, want %s", w.Body, tt.wantBody)
				}
			}
		})
	}
}
