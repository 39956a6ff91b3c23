package client

import (
	"context"
	"errors"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// TestXPackUsage: the client sends master_timeout when set and decodes
// the security section, leaving out the sections of the features
// Elasticsearch has and apikeyd does not.
func TestXPackUsage(t *testing.T) {
	const fromES = `{"ml":{"available":true,"enabled":true,"jobs":{}},"security":{"available":true,"enabled":true,` +
		`"remote_cluster_server":{"available":true,"enabled":true,"api_keys":{"total":3,"ccs":1,"ccr":1,"ccs_ccr":1}}}}`
	tests := []struct {
		name      string
		req       *api.XPackUsageRequest
		rep       reply
		wantQuery string
		forbidden bool
		wantOut   api.CrossClusterKeyUsage
	}{
		{"elasticsearch's answer", nil, reply{body: fromES}, "", false, api.CrossClusterKeyUsage{Total: 3, CCS: 1, CCR: 1, CCSCCR: 1}},
		{"master_timeout", &api.XPackUsageRequest{MasterTimeout: "5s"}, reply{body: `{"security":{"available":true,"enabled":true}}`}, "master_timeout=5s", false, api.CrossClusterKeyUsage{}},
		{"403 is an error", nil, reply{status: 403, body: `{"error":{"root_cause":[{"type":"security_exception","reason":"no"}],"type":"security_exception","reason":"no"},"status":403}`},
			"", true, api.CrossClusterKeyUsage{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, srv := newFake(t, tt.rep)
			c := mustNew(t, Config{URL: srv.URL})
			out, err := c.XPackUsage(context.Background(), tt.req)
			got := f.last(t)
			if got.Method != "GET" || got.Path != "/_xpack/usage" || got.RawQuery != tt.wantQuery {
				t.Fatalf("sent %s %s?%s, want GET /_xpack/usage?%s", got.Method, got.Path, got.RawQuery, tt.wantQuery)
			}
			if tt.forbidden {
				var e *api.Error
				if !errors.As(err, &e) || e.Code != api.Forbidden {
					t.Fatalf("want a 403, got %v", err)
				}
				return
			}
			if err != nil || !out.Security.Available || !out.Security.Enabled || out.Security.RemoteClusterServer.APIKeys != tt.wantOut {
				t.Fatalf("got %+v, %v\nwant api_keys %+v", out, err, tt.wantOut)
			}
		})
	}
}
