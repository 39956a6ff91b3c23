package client

import (
	"context"
	"errors"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

func TestClusterHealth(t *testing.T) {
	const timedOut = `{"cluster_name":"c","status":"red","timed_out":true,"number_of_nodes":1,"active_shards_percent_as_number":100.0}`
	tests := []struct {
		name      string
		req       *api.ClusterHealthRequest
		rep       reply
		wantPath  string
		wantQuery string
		forbidden bool
		wantOut   api.ClusterHealthResponse
	}{
		{"plain", nil, reply{body: `{"cluster_name":"c","status":"green","timed_out":false,"number_of_nodes":1,"active_shards_percent_as_number":100.0}`},
			"/_cluster/health", "", false, api.ClusterHealthResponse{ClusterName: "c", Status: "green", NumberOfNodes: 1, ActiveShardsPercentAsNumber: 100}},
		{"timed out is an answer", &api.ClusterHealthRequest{Indices: []string{"a", "b"}, Timeout: "0s", WaitForStatus: "yellow", Local: true}, reply{status: 408, body: timedOut},
			"/_cluster/health/a%2Cb", "local=true&timeout=0s&wait_for_status=yellow", false, api.ClusterHealthResponse{ClusterName: "c", Status: "red", TimedOut: true, NumberOfNodes: 1, ActiveShardsPercentAsNumber: 100}},
		{"403 is an error", nil, reply{status: 403, body: `{"error":{"root_cause":[{"type":"security_exception","reason":"no"}],"type":"security_exception","reason":"no"},"status":403}`},
			"/_cluster/health", "", true, api.ClusterHealthResponse{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, srv := newFake(t, tt.rep)
			c := mustNew(t, Config{URL: srv.URL})
			out, err := c.ClusterHealth(context.Background(), tt.req)
			got := f.last(t)
			if got.Path != tt.wantPath || got.RawQuery != tt.wantQuery {
				t.Fatalf("sent %s?%s, want %s?%s", got.Path, got.RawQuery, tt.wantPath, tt.wantQuery)
			}
			if tt.forbidden {
				var e *api.Error
				if !errors.As(err, &e) || e.Code != api.Forbidden {
					t.Fatalf("want a 403, got %v", err)
				}
				return
			}
			if err != nil || *out != tt.wantOut {
				t.Fatalf("got %+v, %v\nwant %+v", out, err, tt.wantOut)
			}
		})
	}
}
