package client

import (
	"context"
	"strings"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// TestAllowedNetworksRequests: create and clone with allowed networks go
// to apikeyd's own endpoints with Elasticsearch's bodies and the list; Get
// and Query ask with_restrictions only when told; against Elasticsearch
// the create says it is apikeyd's feature.
func TestAllowedNetworksRequests(t *testing.T) {
	name := "k"
	f, srv := newFake(t, reply{body: `{"id":"7Q2eJ5gBc8uQ3hY1Zk9w","name":"k","api_key":"s","encoded":"e"}`})
	c := mustNew(t, Config{URL: srv.URL})
	ctx := context.Background()
	if _, err := c.CreateAPIKeyExtended(ctx, &api.ExtendedCreateAPIKeyRequest{CreateAPIKeyRequest: api.CreateAPIKeyRequest{Name: &name}, AllowedNetworks: []string{"10.0.0.0/8", "local"}}); err != nil {
		t.Fatal(err)
	}
	if got := f.last(t); got.Method != "POST" || got.Path != "/_apikeyd/api_key" || got.Body != `{"name":"k","allowed_networks":["10.0.0.0/8","local"]}` {
		t.Fatalf("create sent %s %s %s", got.Method, got.Path, got.Body)
	}
	if _, err := c.CloneAPIKeyExtended(ctx, &api.ExtendedCloneAPIKeyRequest{CloneAPIKeyRequest: api.CloneAPIKeyRequest{APIKey: "aWQ6c2VjcmV0"}, AllowedNetworks: []string{"10.1.0.0/16"}}); err != nil {
		t.Fatal(err)
	}
	if got := f.last(t); got.Method != "POST" || got.Path != "/_apikeyd/api_key/clone" || got.Body != `{"allowed_networks":["10.1.0.0/16"],"api_key":"aWQ6c2VjcmV0"}` {
		t.Fatalf("clone sent %s %s %s", got.Method, got.Path, got.Body)
	}

	g, gsrv := newFake(t, reply{body: `{"api_keys":[]}`})
	gc := mustNew(t, Config{URL: gsrv.URL})
	for _, ask := range []bool{false, true} {
		if _, err := gc.GetAPIKeys(ctx, &api.GetAPIKeysRequest{ID: "7Q2eJ5gBc8uQ3hY1Zk9w", WithRestrictions: ask}); err != nil {
			t.Fatal(err)
		}
		if got := g.last(t).RawQuery; strings.Contains(got, "with_restrictions=true") != ask {
			t.Errorf("get with WithRestrictions %v sent ?%s", ask, got)
		}
		if _, err := gc.QueryAPIKeys(ctx, &api.QueryAPIKeysRequest{WithRestrictions: ask}); err != nil {
			t.Fatal(err)
		}
		if got := g.last(t).RawQuery; strings.Contains(got, "with_restrictions=true") != ask {
			t.Errorf("query with WithRestrictions %v sent ?%s", ask, got)
		}
	}

	_, es := newFake(t, reply{status: 400, body: `{"error":"no handler found for uri [/_apikeyd/api_key] and method [POST]"}`})
	_, err := mustNew(t, Config{URL: es.URL}).CreateAPIKeyExtended(ctx, &api.ExtendedCreateAPIKeyRequest{CreateAPIKeyRequest: api.CreateAPIKeyRequest{Name: &name}})
	if e, ok := api.AsError(err); !ok || !strings.Contains(e.Reason, "binding a key to networks is an apikeyd feature") {
		t.Fatalf("against Elasticsearch: %v", err)
	}
}
