package client

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// TestExpiryPolicies: each call's method, path (the name escaped) and
// body, and Elasticsearch's "no handler" answer turned into what to do.
func TestExpiryPolicies(t *testing.T) {
	for _, tt := range []struct {
		name               string
		call               func(c *Client) error
		reply              string
		method, path, body string
	}{
		{"put", func(c *Client) error {
			r, err := c.PutExpiryPolicy(context.Background(), &api.ExpiryPolicy{Name: "prod keys", Role: "deployer", Default: "30d", Max: "90d"})
			if err == nil && !r.Created {
				return errors.New("not created")
			}
			return err
		}, `{"created":true}`, "PUT", "/_apikeyd/policy/expiry/prod%20keys", `{"role":"deployer","default":"30d","max":"90d"}`},
		{"get all", func(c *Client) error {
			r, err := c.GetExpiryPolicies(context.Background(), "")
			if err == nil && (len(r.Policies) != 1 || r.Policies[0].Realm != "os") {
				return errors.New("wrong answer")
			}
			return err
		}, `{"policies":[{"name":"p","realm":"os","max":"1d"}]}`, "GET", "/_apikeyd/policy/expiry", ""},
		{"get one", func(c *Client) error {
			_, err := c.GetExpiryPolicies(context.Background(), "p")
			return err
		}, `{"policies":[{"name":"p","realm":"os","max":"1d"}]}`, "GET", "/_apikeyd/policy/expiry/p", ""},
		{"delete", func(c *Client) error {
			r, err := c.DeleteExpiryPolicy(context.Background(), "p")
			if err == nil && !r.Found {
				return errors.New("not found")
			}
			return err
		}, `{"found":true}`, "DELETE", "/_apikeyd/policy/expiry/p", ""},
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
	}
	_, es := newFake(t, reply{status: 400, body: `{"error":"no handler found for uri [/_apikeyd/policy/expiry] and method [GET]"}`})
	_, err := mustNew(t, Config{URL: es.URL}).GetExpiryPolicies(context.Background(), "")
	var e *api.Error
	if !errors.As(err, &e) || !strings.Contains(e.Reason, "expiry policy is an apikeyd feature") || !strings.Contains(e.Reason, "Elasticsearch has no expiry policies") {
		t.Fatalf("against Elasticsearch: %v", err)
	}
}
