package keyservice

import (
	"context"
	"strings"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// defaultHealthTimeout is how long Elasticsearch waits for a cluster
// health condition when the request names no timeout.
const defaultHealthTimeout = 30 * time.Second

// ClusterHealth is the health of the one node apikeyd is: it holds no
// index, so every shard count is zero and the status green. The
// wait_for_* conditions are met at once or never (nothing here changes),
// and so is an {index}: any concrete name is missing, which Elasticsearch
// answers with status red once its timeout has passed. A condition that
// is not met waits out the timeout and answers timed_out, as
// Elasticsearch does. It needs monitor (or manage, or all). The cluster
// name is the HTTP layer's, which also answers GET /.
//
// A node that cannot reach its store is not healthy, whatever its caches
// hold: health opens a read of the store, so a load balancer checking it
// takes a replica whose database is away out of service (503).
func (s *Service) ClusterHealth(ctx context.Context, req *api.ClusterHealthRequest) (*api.ClusterHealthResponse, error) {
	sub, err := s.subject(ctx)
	if err != nil {
		return nil, err
	}
	if err := req.Check(); err != nil {
		return nil, err
	}
	if _, err := s.require(ctx, sub, auth.ActionClusterHealth, auth.Granted); err != nil {
		return nil, err
	}
	if err := s.store.View(ctx, func(store.Reader) error { return nil }); err != nil {
		return nil, s.internal("check cluster health", err)
	}
	resp := &api.ClusterHealthResponse{
		Status:                      api.HealthGreen,
		NumberOfNodes:               1,
		NumberOfDataNodes:           1,
		ActiveShardsPercentAsNumber: 100,
	}
	if req.Human {
		resp.TaskMaxWaitingInQueue = "0s"
		resp.ActiveShardsPercent = "100.0%"
	}
	if req.Level == "indices" || req.Level == "shards" {
		resp.Indices = &map[string]any{}
	}
	met := true
	if missingIndex(req.Indices) {
		resp.Status = api.HealthRed
		met = false
	}
	if req.WaitForStatus != "" && !api.HealthMeets(resp.Status, req.WaitForStatus) {
		met = false
	}
	if req.WaitForNodes != "" && !api.WaitForNodesMet(req.WaitForNodes, resp.NumberOfNodes) {
		met = false
	}
	if !activeShardsMet(req.WaitForActiveShards) {
		met = false
	}
	if met {
		return resp, nil
	}
	timeout := defaultHealthTimeout
	if req.Timeout != "" {
		timeout, _ = api.ParseTimeValue(req.Timeout, "timeout") // checked above
	}
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	resp.TimedOut = true
	return resp, nil
}

// missingIndex reports whether the {index} names a concrete index, which
// cannot exist here. Wildcards and _all resolve to no index, which
// Elasticsearch's cluster health allows.
func missingIndex(names []string) bool {
	for _, n := range names {
		if n != "" && n != "_all" && !strings.Contains(n, "*") {
			return true
		}
	}
	return false
}

// activeShardsMet reports whether wait_for_active_shards (checked) is met
// with no shard at all: a count of zero, "all" of none, or the default.
func activeShardsMet(v string) bool {
	switch strings.ToLower(v) {
	case "", "0", "all", "index-setting":
		return true
	}
	return strings.Trim(v, "0") == ""
}
