package esapi

import (
	"context"
	"reflect"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// fakeLineage records the lineage requests and answers them with fixed
// answers.
type fakeLineage struct {
	rotate     *api.RotateAPIKeyRequest
	lineageID  string
	invalidate *api.CascadeInvalidateRequest
}

func (f *fakeLineage) RotateAPIKey(_ context.Context, req *api.RotateAPIKeyRequest) (*api.RotateAPIKeyResponse, error) {
	f.rotate = req
	exp := int64(1_800_000_000_000)
	return &api.RotateAPIKeyResponse{
		CreateAPIKeyResponse: api.CreateAPIKeyResponse{ID: "new", Name: "deploy", Expiration: &exp, APIKey: "secret", Encoded: "bmV3OnNlY3JldA=="},
		Predecessor:          api.RotatedAPIKey{ID: req.ID, Expiration: 1_700_086_400_000, UntilUnusedMillis: 1_800_000},
	}, nil
}

func (f *fakeLineage) GetAPIKeyLineage(_ context.Context, id string) (*api.APIKeyLineage, error) {
	f.lineageID = id
	if id == "nope" {
		return nil, api.Errorf(api.NotFound, "no API key found for ID [nope]")
	}
	return &api.APIKeyLineage{
		APIKey:      api.LineageKey{ID: id, Name: "deploy", Parent: "old", Relation: api.RelationRotation, Creation: 2},
		Ancestors:   []api.LineageKey{{ID: "old", Name: "deploy", Creation: 1}},
		Descendants: []api.LineageKey{},
	}, nil
}

func (f *fakeLineage) InvalidateAPIKeysCascade(_ context.Context, req *api.CascadeInvalidateRequest) (*api.InvalidateAPIKeysResponse, error) {
	f.invalidate = req
	return &api.InvalidateAPIKeysResponse{InvalidatedAPIKeys: append(req.IDs, "child")}, nil
}

func TestLineageRoutes(t *testing.T) {
	for _, tt := range []struct {
		name   string
		method string
		target string
		body   string
		status int
		want   string
		check  func(t *testing.T, f *fakeLineage)
	}{
		{"rotate with a body", "POST", "/_apikeyd/api_key/old/_rotate", `{"grace":"24h","until_unused":"30m"}`, 200,
			`{"id":"new","name":"deploy","expiration":1800000000000,"api_key":"secret","encoded":"bmV3OnNlY3JldA==","predecessor":{"id":"old","expiration":1700086400000,"until_unused_in_millis":1800000}}`,
			func(t *testing.T, f *fakeLineage) {
				if f.rotate.ID != "old" || *f.rotate.Grace != "24h" || *f.rotate.UntilUnused != "30m" {
					t.Errorf("request %+v", f.rotate)
				}
			}},
		{"rotate without a body", "POST", "/_apikeyd/api_key/old/_rotate", "", 200, "",
			func(t *testing.T, f *fakeLineage) {
				if f.rotate.ID != "old" || f.rotate.Grace != nil || f.rotate.UntilUnused != nil {
					t.Errorf("request %+v", f.rotate)
				}
			}},
		{"rotate with an unknown field", "POST", "/_apikeyd/api_key/old/_rotate", `{"graze":"1h"}`, 400,
			`{"error":{"root_cause":[{"type":"x_content_parse_exception","reason":"[1:2] [rotate_api_key_request] unknown field [graze]"}],"type":"x_content_parse_exception","reason":"[1:2] [rotate_api_key_request] unknown field [graze]"},"status":400}`, nil},
		{"rotate with a bad time value", "POST", "/_apikeyd/api_key/old/_rotate", `{"grace":"1 fortnight"}`, 400, "", nil},
		{"rotate by GET", "GET", "/_apikeyd/api_key/old/_rotate", "", 405,
			`{"error":"Incorrect HTTP method for uri [/_apikeyd/api_key/old/_rotate] and method [GET], allowed: [POST]","status":405}`, nil},
		{"lineage", "GET", "/_apikeyd/api_key/k1/_lineage", "", 200,
			`{"api_key":{"id":"k1","name":"deploy","parent":"old","relation":"rotation","creation":2,"invalidated":false},"ancestors":[{"id":"old","name":"deploy","creation":1,"invalidated":false}],"descendants":[]}`,
			func(t *testing.T, f *fakeLineage) {
				if f.lineageID != "k1" {
					t.Errorf("id %q", f.lineageID)
				}
			}},
		{"lineage of an unknown key", "GET", "/_apikeyd/api_key/nope/_lineage", "", 404,
			`{"error":{"root_cause":[{"type":"resource_not_found_exception","reason":"no API key found for ID [nope]"}],"type":"resource_not_found_exception","reason":"no API key found for ID [nope]"},"status":404}`, nil},
		{"invalidate with cascade", "POST", "/_apikeyd/api_key/_invalidate", `{"ids":["a"],"owner":true,"cascade":true}`, 200,
			`{"invalidated_api_keys":["a","child"],"previously_invalidated_api_keys":[],"error_count":0}`,
			func(t *testing.T, f *fakeLineage) {
				want := &api.CascadeInvalidateRequest{InvalidateAPIKeysRequest: api.InvalidateAPIKeysRequest{IDs: []string{"a"}, Owner: true}, Cascade: true}
				if !reflect.DeepEqual(f.invalidate, want) {
					t.Errorf("request %+v", f.invalidate)
				}
			}},
		{"invalidate without a body", "POST", "/_apikeyd/api_key/_invalidate", "", 400,
			`{"error":{"root_cause":[{"type":"parse_exception","reason":"request body is required"}],"type":"parse_exception","reason":"request body is required"},"status":400}`, nil},
		{"invalidate with cascade not a boolean", "POST", "/_apikeyd/api_key/_invalidate", `{"ids":["a"],"cascade":"yes"}`, 400, "", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeLineage{}
			h := newHarness(t, func(c *Config) { c.Admin = &fakeAdmin{Lineage: f} })
			w := h.do(t, req{method: tt.method, target: tt.target, body: tt.body})
			if w.Code != tt.status || (tt.want != "" && w.Body.String() != tt.want) {
				t.Fatalf("got %d %s,\nwant %d %s", w.Code, w.Body, tt.status, tt.want)
			}
			if tt.check != nil {
				tt.check(t, f)
			}
		})
	}
}
