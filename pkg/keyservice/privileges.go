package keyservice

import (
	"context"
	"os"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
)

// HasPrivileges says which of the asked privileges the caller has; an API
// key caller is evaluated against its effective privileges.
func (s *Service) HasPrivileges(ctx context.Context, req *api.HasPrivilegesRequest) (*api.HasPrivilegesResponse, error) {
	sub, err := s.subject(ctx)
	if err != nil {
		return nil, err
	}
	if req.Username != "" && req.Username != sub.Username {
		return nil, api.Errorf(api.Invalid, "users may only check the privileges of their own account")
	}
	var v api.Validation
	for _, ac := range req.Application {
		if msg := auth.ValidateApplicationName(ac.Application, false); msg != "" {
			v.Add("%s", msg)
		}
	}
	if len(req.Cluster) == 0 && len(req.Index) == 0 && len(req.Application) == 0 {
		v.Add("must specify at least one privilege")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var stored []auth.ApplicationPrivilegeDef
	if len(req.Application) > 0 {
		if stored, err = s.storedPrivilegesFor(ctx, sub, req); err != nil {
			return nil, err
		}
	}
	return auth.HasPrivileges(sub, req, stored), nil
}

// ClearAPIKeyCache evicts the given keys ("*" or "_all" for every key)
// from the authentication caches: their records and verified secrets.
func (s *Service) ClearAPIKeyCache(ctx context.Context, ids []string) (*api.ClearCacheResponse, error) {
	sub, err := s.granted(ctx, auth.ActionClearSecurityCache)
	if err != nil {
		return nil, err
	}
	all := len(ids) == 0
	for _, id := range ids {
		if id == "*" || id == "_all" {
			all = true
		}
	}
	evict := ids
	if all {
		evict = nil
	}
	s.secrets.evict(evict)
	s.caches.keys.evict(evict)
	s.caches.missing.evict(evict)
	s.audit(ctx, AuditEvent{Action: AuditClearAPIKeyCache, Request: auth.ActionClearSecurityCache, Subject: sub, APIKeyIDs: ids})
	return s.clearCacheResponse(), nil
}

// clearCacheResponse is the answer of the clear cache APIs: the one node
// that apikeyd is, which cleared its caches.
func (s *Service) clearCacheResponse() *api.ClearCacheResponse {
	node, _ := os.Hostname()
	return &api.ClearCacheResponse{
		Nodes:       api.NodesSummary{Total: 1, Successful: 1},
		ClusterName: s.clusterName,
		NodeNames:   map[string]api.NodeName{s.nodeID: {Name: node}},
	}
}
