package keyservice

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

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
	return s.nodesAnswer(nil), nil
}

// nodesAnswer is the answer of a nodes request to the one node apikeyd
// is: the node, or, when its operation failed with cause, Elasticsearch's
// failed_node_exception in the _nodes header.
func (s *Service) nodesAnswer(cause *api.Error) *api.ClearCacheResponse {
	if cause != nil {
		failure := &api.Error{Code: cause.Code, Type: "failed_node_exception", Reason: fmt.Sprintf("Failed node [%s]", s.nodeID), Fields: map[string]any{"node_id": s.nodeID}, Cause: cause}
		return &api.ClearCacheResponse{
			Nodes:       api.NodesSummary{Total: 1, Failed: 1, Failures: []*api.Error{failure}},
			ClusterName: s.clusterName,
			NodeNames:   map[string]api.NodeName{},
		}
	}
	node, _ := os.Hostname()
	return &api.ClearCacheResponse{
		Nodes:       api.NodesSummary{Total: 1, Successful: 1},
		ClusterName: s.clusterName,
		NodeNames:   map[string]api.NodeName{s.nodeID: {Name: node}},
	}
}

// allNames reports whether names stands for every name: none, "*" or
// "_all" (Elasticsearch's paramAsStringArrayOrEmptyIfAll).
func allNames(names []string) bool {
	return len(names) == 0 || (len(names) == 1 && (names[0] == "*" || names[0] == "_all"))
}

// ClearRealmCache evicts users from the cache of the named realms
// (default_native and reserved; all of them for "*" or "_all"): the given
// users, or every user of those realms. The users' verified passwords go
// with them, so the next authentication checks the password hash again.
// A realm apikeyd does not have fails the node, as in Elasticsearch: the
// answer is a 200 whose _nodes header holds the failure.
func (s *Service) ClearRealmCache(ctx context.Context, req *api.ClearRealmCacheRequest) (*api.ClearCacheResponse, error) {
	sub, err := s.granted(ctx, auth.ActionClearRealmCache)
	if err != nil {
		return nil, err
	}
	realms := map[string]bool{}
	if allNames(req.Realms) {
		realms[auth.NativeRealm.Name], realms[auth.ReservedRealm.Name] = true, true
	}
	for _, name := range req.Realms {
		switch {
		case allNames(req.Realms):
		case name == auth.NativeRealm.Name || name == auth.ReservedRealm.Name:
			realms[name] = true
		default:
			return s.nodesAnswer(api.Errorf(api.Invalid, "could not find active realm [%s]", name)), nil
		}
	}
	users := map[string]bool{}
	for _, u := range req.Usernames {
		users[u] = true
	}
	var evicted []string
	s.caches.users.evictWhere(func(username string, rec *userRecord) bool {
		drop := realms[rec.subject.Realm.Name] && (len(users) == 0 || users[username])
		if drop {
			evicted = append(evicted, userCacheID(username))
		}
		return drop
	})
	for u := range users {
		evicted = append(evicted, userCacheID(u))
	}
	if len(users) == 0 && len(realms) == 2 {
		s.secrets.entries.evictWhere(func(id string, _ secretEntry) bool { return strings.HasPrefix(id, userCacheID("")) })
	} else {
		s.secrets.evict(evicted)
	}
	s.audit(ctx, AuditEvent{Action: AuditClearRealmCache, Request: auth.ActionClearRealmCache, Subject: sub, Names: append(slices.Clone(req.Realms), req.Usernames...)})
	return s.nodesAnswer(nil), nil
}

// ClearRolesCache evicts the named roles (every role for "*" or "_all")
// from the caches: the cached users holding one of them, whose roles are
// resolved again at their next authentication. API keys keep the
// snapshot of their owner's roles taken when they were made, as in
// Elasticsearch, so no key record depends on a role.
func (s *Service) ClearRolesCache(ctx context.Context, names []string) (*api.ClearCacheResponse, error) {
	sub, err := s.granted(ctx, auth.ActionClearRolesCache)
	if err != nil {
		return nil, err
	}
	if allNames(names) {
		s.caches.users.evict(nil)
		s.caches.decoded.evict(nil)
	} else {
		s.caches.users.evictWhere(func(_ string, rec *userRecord) bool {
			return slices.ContainsFunc(rec.subject.Roles, func(r string) bool { return slices.Contains(names, r) })
		})
	}
	s.audit(ctx, AuditEvent{Action: AuditClearRolesCache, Request: auth.ActionClearRolesCache, Subject: sub, Names: names})
	return s.nodesAnswer(nil), nil
}
