package client

import (
	"context"
	"strings"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

func TestLineageCalls(t *testing.T) {
	grace := "24h"
	for _, tt := range []struct {
		name   string
		call   func(c *Client) error
		method string
		path   string
		body   string
		reply  string
	}{
		{"rotate", func(c *Client) error {
			_, err := c.RotateAPIKey(context.Background(), &api.RotateAPIKeyRequest{ID: "a/b", Grace: &grace})
			return err
		}, "POST", "/_apikeyd/api_key/a%2Fb/_rotate", `{"grace":"24h"}`, `{"id":"n","name":"k","api_key":"s","encoded":"e","predecessor":{"id":"a/b","expiration":1}}`},
		{"lineage", func(c *Client) error {
			_, err := c.GetAPIKeyLineage(context.Background(), "k1")
			return err
		}, "GET", "/_apikeyd/api_key/k1/_lineage", "", `{"api_key":{"id":"k1","name":"k","creation":1,"invalidated":false},"ancestors":[],"descendants":[]}`},
		{"invalidate with cascade", func(c *Client) error {
			_, err := c.InvalidateAPIKeysCascade(context.Background(), &api.CascadeInvalidateRequest{InvalidateAPIKeysRequest: api.InvalidateAPIKeysRequest{IDs: []string{"k1"}}, Cascade: true})
			return err
		}, "POST", "/_apikeyd/api_key/_invalidate", `{"ids":["k1"],"cascade":true}`, `{"invalidated_api_keys":["k1"],"previously_invalidated_api_keys":[],"error_count":0}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, srv := newFake(t, reply{body: tt.reply})
			if err := tt.call(mustNew(t, Config{URL: srv.URL})); err != nil {
				t.Fatal(err)
			}
			got := f.last(t)
			if got.Method != tt.method || got.Path != tt.path || got.Body != tt.body {
				t.Fatalf("sent %s %s %s, want %s %s %s", got.Method, got.Path, got.Body, tt.method, tt.path, tt.body)
			}
		})
		t.Run(tt.name+" against Elasticsearch", func(t *testing.T) {
			_, es := newFake(t, reply{status: 400, body: `{"error":"no handler found for uri [` + tt.path + `] and method [` + tt.method + `]"}`})
			err := tt.call(mustNew(t, Config{URL: es.URL}))
			e, ok := api.AsError(err)
			if !ok || e.Code != api.Invalid || !strings.Contains(e.Reason, "is an apikeyd feature") {
				t.Fatalf("got %v", err)
			}
		})
	}
}
