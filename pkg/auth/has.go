package auth

import (
	"slices"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// clusterImplies lists, for a cluster privilege, the named privileges it
// includes besides itself. "all" includes every privilege.
var clusterImplies = map[string][]string{
	"manage_security":    {"manage_api_key", "manage_own_api_key", "read_security", "grant_api_key", "clone_api_key", "manage_token", "manage_service_account", "manage_user_profile", "manage_saml", "manage_oidc"},
	"manage_api_key":     {"manage_own_api_key", "grant_api_key", "clone_api_key"},
	"manage":             {"monitor", "manage_ilm", "manage_index_templates", "manage_ingest_pipelines", "manage_pipeline", "manage_ccr", "manage_ml", "manage_slm", "manage_transform", "manage_watcher", "manage_enrich", "monitor_enrich"},
	"monitor":            {"monitor_enrich", "monitor_ml", "monitor_rollup", "monitor_snapshot", "monitor_transform", "monitor_watcher", "monitor_stats"},
	"read_security":      {},
	"manage_own_api_key": {},
}

// indexImplies lists, for an index privilege, the ones it includes.
var indexImplies = map[string][]string{
	"all":    {"read", "write", "index", "create", "create_doc", "delete", "create_index", "delete_index", "manage", "monitor", "view_index_metadata", "read_cross_cluster", "maintenance", "auto_configure"},
	"write":  {"index", "create", "create_doc", "delete"},
	"index":  {"create", "create_doc"},
	"create": {"create_doc"},
	"manage": {"monitor", "view_index_metadata", "create_index", "delete_index"},
}

func implies(table map[string][]string, have, want string) bool {
	if have == want || have == "all" {
		return true
	}
	return slices.Contains(table[have], want)
}

// descriptorsHaveCluster reports whether any descriptor grants want.
func descriptorsHaveCluster(descs api.RoleDescriptors, want string) bool {
	for _, nd := range descs {
		for _, have := range nd.Descriptor.Cluster {
			if implies(clusterImplies, have, want) || (GlobMatch(have, want) && isActionPattern(want)) {
				return true
			}
		}
	}
	return false
}

// namesCover reports whether a granted index name pattern covers a
// requested index name: a name without wildcards matches the pattern; a
// requested pattern is covered only by the same pattern or by "*".
func namesCover(granted, requested string) bool {
	if granted == requested || granted == "*" {
		return true
	}
	if slices.Contains([]byte(requested), '*') {
		return false
	}
	return GlobMatch(granted, requested)
}

// descriptorsHaveIndex reports whether any descriptor grants privilege
// want on the index (or pattern) name.
func descriptorsHaveIndex(descs api.RoleDescriptors, name, want string, restricted bool) bool {
	for _, nd := range descs {
		for _, ip := range nd.Descriptor.Indices {
			if restricted && !ip.AllowRestrictedIndices {
				continue
			}
			if !slices.ContainsFunc(ip.Names, func(g string) bool { return namesCover(g, name) }) {
				continue
			}
			if slices.ContainsFunc(ip.Privileges, func(have string) bool { return implies(indexImplies, have, want) }) {
				return true
			}
		}
	}
	return false
}

// effective evaluates check against a subject: a user's descriptors, or
// for an API key its assigned descriptors (when it has any) intersected
// with its owner's snapshot.
func effective(s *Subject, check func(api.RoleDescriptors) bool) bool {
	if s.APIKey == nil {
		return check(s.Descriptors)
	}
	if !check(s.APIKey.LimitedBy) {
		return false
	}
	return len(s.APIKey.RoleDescriptors) == 0 || check(s.APIKey.RoleDescriptors)
}

// HasPrivileges answers the has privileges API for the subject. stored
// are the application privileges of the applications the subject's
// descriptors and the request name (see ApplicationsOf): a privilege name
// stands for its stored actions.
func HasPrivileges(s *Subject, req *api.HasPrivilegesRequest, stored []ApplicationPrivilegeDef) *api.HasPrivilegesResponse {
	resp := &api.HasPrivilegesResponse{
		Username:        s.Username,
		HasAllRequested: true,
		Cluster:         map[string]bool{},
		Index:           map[string]map[string]bool{},
		Application:     map[string]map[string]map[string]bool{},
	}
	record := func(ok bool) bool {
		resp.HasAllRequested = resp.HasAllRequested && ok
		return ok
	}
	for _, c := range req.Cluster {
		resp.Cluster[c] = record(effective(s, func(d api.RoleDescriptors) bool { return descriptorsHaveCluster(d, c) }))
	}
	for _, ic := range req.Index {
		restricted := ic.AllowRestrictedIndices != nil && *ic.AllowRestrictedIndices
		for _, name := range ic.Names {
			if resp.Index[name] == nil {
				resp.Index[name] = map[string]bool{}
			}
			for _, p := range ic.Privileges {
				resp.Index[name][p] = record(effective(s, func(d api.RoleDescriptors) bool { return descriptorsHaveIndex(d, name, p, restricted) }))
			}
		}
	}
	for _, ac := range req.Application {
		if resp.Application[ac.Application] == nil {
			resp.Application[ac.Application] = map[string]map[string]bool{}
		}
		for _, r := range ac.Resources {
			if resp.Application[ac.Application][r] == nil {
				resp.Application[ac.Application][r] = map[string]bool{}
			}
			for _, p := range ac.Privileges {
				resp.Application[ac.Application][r][p] = record(effective(s, func(d api.RoleDescriptors) bool {
					return checkApplication(d, stored, ac.Application, r, p)
				}))
			}
		}
	}
	return resp
}

// EffectiveCluster lists the cluster privileges, among those the
// subject's descriptors name, that it holds: for an API key, those both
// its assigned descriptors (when it has any) and its owner's snapshot
// grant, as the has privileges API would answer them; in the order first
// named, each once.
func EffectiveCluster(s *Subject) []string {
	var named []string
	collect := func(descs api.RoleDescriptors) {
		for _, nd := range descs {
			for _, c := range nd.Descriptor.Cluster {
				if !slices.Contains(named, c) {
					named = append(named, c)
				}
			}
		}
	}
	if s.APIKey == nil {
		collect(s.Descriptors)
	} else {
		collect(s.APIKey.RoleDescriptors)
		collect(s.APIKey.LimitedBy)
	}
	held := []string{}
	for _, c := range named {
		if effective(s, func(d api.RoleDescriptors) bool { return descriptorsHaveCluster(d, c) }) {
			held = append(held, c)
		}
	}
	return held
}
