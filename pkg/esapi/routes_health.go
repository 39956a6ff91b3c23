package esapi

import (
	"context"
	"net/http"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// healthRoutes are Elasticsearch's cluster health, with the query
// parameters of its REST spec (cluster.health).
func healthRoutes() []*route {
	params := []param{
		{"expand_wildcards", stringParam}, {"level", stringParam}, {"local", boolParam},
		{"master_timeout", stringParam}, {"timeout", stringParam},
		{"wait_for_active_shards", stringParam}, {"wait_for_nodes", stringParam}, {"wait_for_events", stringParam},
		{"wait_for_no_relocating_shards", boolParam}, {"wait_for_no_initializing_shards", boolParam},
		{"wait_for_status", stringParam},
	}
	return []*route{
		{method: http.MethodGet, pattern: "/_cluster/health", params: params, serve: serveClusterHealth},
		{method: http.MethodGet, pattern: "/_cluster/health/{index}", params: params, serve: serveClusterHealth},
	}
}

// serveClusterHealth answers 200, or 408 when a wait timed out, with the
// cluster name that GET / reports.
func serveClusterHealth(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	req := &api.ClusterHealthRequest{
		Indices:                     names(x.path["index"]),
		Level:                       x.q["level"],
		Local:                       x.q.flag("local"),
		MasterTimeout:               x.q["master_timeout"],
		Timeout:                     x.q["timeout"],
		WaitForActiveShards:         x.q["wait_for_active_shards"],
		WaitForNodes:                x.q["wait_for_nodes"],
		WaitForEvents:               x.q["wait_for_events"],
		WaitForNoInitializingShards: x.q.flag("wait_for_no_initializing_shards"),
		WaitForNoRelocatingShards:   x.q.flag("wait_for_no_relocating_shards"),
		WaitForStatus:               x.q["wait_for_status"],
		ExpandWildcards:             x.q["expand_wildcards"],
		Human:                       x.q.flag("human"),
	}
	resp, err := h.svc.ClusterHealth(ctx, req)
	if err != nil {
		return 0, nil, err
	}
	resp.ClusterName = h.info.ClusterName
	if resp.TimedOut {
		return http.StatusRequestTimeout, resp, nil
	}
	return http.StatusOK, resp, nil
}
