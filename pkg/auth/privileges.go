package auth

import (
	"fmt"
	"slices"
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// SuperuserRole is the built-in role that grants everything.
const SuperuserRole = "superuser"

// SuperuserDescriptor is the definition of the built-in superuser role.
func SuperuserDescriptor() api.RoleDescriptor {
	return api.RoleDescriptor{
		Cluster: []string{"all"},
		Indices: []api.IndicesPrivileges{
			{Names: []string{"*"}, Privileges: []string{"all"}, AllowRestrictedIndices: true},
		},
		Applications: []api.ApplicationPrivileges{
			{Application: "*", Privileges: []string{"*"}, Resources: []string{"*"}},
		},
		RunAs:    []string{"*"},
		Metadata: api.Metadata{{Key: "_reserved", Value: true}},
	}
}

// BuiltinRoles are the roles that exist without being stored.
func BuiltinRoles() api.RoleDescriptors {
	return api.RoleDescriptors{{Name: SuperuserRole, Descriptor: SuperuserDescriptor()}}
}

// Transport action names of the operations apikeyd serves, as they appear
// in Elasticsearch's 403 messages and the audit log: the one table of them.
const (
	ActionCreateAPIKey     = "cluster:admin/xpack/security/api_key/create"
	ActionGetAPIKey        = "cluster:admin/xpack/security/api_key/get"
	ActionInvalidateAPIKey = "cluster:admin/xpack/security/api_key/invalidate"
	ActionUpdateAPIKey     = "cluster:admin/xpack/security/api_key/update"
	ActionBulkUpdateAPIKey = "cluster:admin/xpack/security/api_key/bulk_update"
	ActionQueryAPIKey      = "cluster:admin/xpack/security/api_key/query"
	ActionCloneAPIKey      = "cluster:admin/xpack/security/api_key/clone"
	ActionGrantAPIKey      = "cluster:admin/xpack/security/api_key/grant"
	ActionBulkGrantAPIKey  = "cluster:admin/xpack/security/api_key/grant/bulk"
	// Cross-cluster keys have actions of their own.
	ActionCreateCrossClusterAPIKey     = "cluster:admin/xpack/security/cross_cluster/api_key/create"
	ActionUpdateCrossClusterAPIKey     = "cluster:admin/xpack/security/cross_cluster/api_key/update"
	ActionInvalidateCrossClusterAPIKey = "cluster:admin/xpack/security/cross_cluster/api_key/invalidate"
	ActionClearSecurityCache           = "cluster:admin/xpack/security/cache/clear"
	// ActionPurge is apikeyd's own: the removal of expired and invalidated
	// keys and tokens. It lies outside the API key actions, so that only
	// manage_security (or all) grants it.
	ActionPurge          = "cluster:admin/xpack/security/apikeyd/purge"
	ActionPutUser        = "cluster:admin/xpack/security/user/put"
	ActionGetUser        = "cluster:admin/xpack/security/user/get"
	ActionDeleteUser     = "cluster:admin/xpack/security/user/delete"
	ActionChangePassword = "cluster:admin/xpack/security/user/change_password"
	ActionSetEnabled     = "cluster:admin/xpack/security/user/set_enabled"
	ActionQueryUser      = "cluster:admin/xpack/security/user/query"
	// ActionGetUserPrivileges lists the caller's own privileges: granted
	// to every authenticated caller, as Elasticsearch grants it.
	ActionGetUserPrivileges = "cluster:admin/xpack/security/user/list_privileges"
	ActionPutRole           = "cluster:admin/xpack/security/role/put"
	ActionGetRole           = "cluster:admin/xpack/security/role/get"
	ActionDeleteRole        = "cluster:admin/xpack/security/role/delete"
	ActionQueryRole         = "cluster:admin/xpack/security/role/query"
	ActionBulkPutRole       = "cluster:admin/xpack/security/role/bulk_put"
	ActionBulkDeleteRole    = "cluster:admin/xpack/security/role/bulk_delete"
	// ActionClearRealmCache and ActionClearRolesCache evict users and
	// roles from the authentication caches.
	ActionClearRealmCache = "cluster:admin/xpack/security/realm/cache/clear"
	ActionClearRolesCache = "cluster:admin/xpack/security/roles/cache/clear"
	// The get token API runs the create action, or the refresh action for
	// the refresh_token grant.
	ActionCreateToken     = "cluster:admin/xpack/security/token/create"
	ActionRefreshToken    = "cluster:admin/xpack/security/token/refresh"
	ActionInvalidateToken = "cluster:admin/xpack/security/token/invalidate"
)

// apikeyd's own administration actions, beside ActionPurge.
const (
	// ActionBackup copies the whole database, every key, token and
	// password hash in it. Like the purge it is a security action that
	// only manage_security (or all) grants: in Elasticsearch nothing short
	// of those reaches the security index's hashes, and manage_security
	// can already set any user's password.
	ActionBackup = "cluster:admin/xpack/security/apikeyd/backup"
	// ActionDoctor reads the daemon's health, as Elasticsearch's cluster
	// health does: monitor, manage or all grant it.
	ActionDoctor = "cluster:monitor/apikeyd/doctor"
	// ActionMetrics reads the daemon's metrics (GET /_apikeyd/metrics),
	// as Elasticsearch's node stats: monitor, manage or all grant it.
	ActionMetrics = "cluster:monitor/apikeyd/metrics"
	// ActionClusterHealth is Elasticsearch's cluster health: monitor,
	// manage or all grant it.
	ActionClusterHealth = "cluster:monitor/health"
	// ActionXPackUsage is Elasticsearch's xpack usage: monitor, manage or
	// all grant it.
	ActionXPackUsage = "cluster:monitor/xpack/usage"
	// ActionRotateAPIKey makes a key's successor and ends the key after a
	// grace period. An API key action, granted as update is:
	// manage_own_api_key on the caller's own keys, manage_api_key (or
	// higher) on any.
	ActionRotateAPIKey = "cluster:admin/xpack/security/api_key/rotate"
	// ActionRotateCrossClusterAPIKey is the rotation of a cross-cluster
	// key, which like every cross-cluster key action needs
	// manage_security (or all).
	ActionRotateCrossClusterAPIKey = "cluster:admin/xpack/security/cross_cluster/api_key/rotate"
	// ActionPutExpiryPolicy and ActionDeleteExpiryPolicy change the
	// expiry policies of every owner's keys: security actions, granted by
	// manage_security (or all), as roles are. ActionGetExpiryPolicy reads
	// them, which read_security also grants.
	ActionPutExpiryPolicy    = "cluster:admin/xpack/security/apikeyd/policy/put"
	ActionGetExpiryPolicy    = "cluster:admin/xpack/security/apikeyd/policy/get"
	ActionDeleteExpiryPolicy = "cluster:admin/xpack/security/apikeyd/policy/delete"
	// ActionExpiryNotices is the daemon's own: reading the keys about to
	// expire and recording their notifications (manage_security or all).
	ActionExpiryNotices = "cluster:admin/xpack/security/apikeyd/expiry_notices"
	// ActionExplainAPIKey explains a key by its id, secret unseen, or a
	// credential with every check shown: an administrator's, granted by
	// manage_api_key, manage_security or all (manage_own_api_key grants it
	// only on the caller's own keys, which explain does not ask for). A
	// caller explaining a credential it holds needs no privilege.
	ActionExplainAPIKey = "cluster:admin/xpack/security/api_key/explain"
	// ActionGetEvents reads the audit log. Its events name every user
	// and key, which read_security already shows: read_security,
	// manage_security and all grant it.
	ActionGetEvents = "cluster:admin/xpack/security/apikeyd/events/get"
)

// clusterPrivilege is a named cluster privilege: the action patterns it
// grants, minus excluded ones. ownKeys marks manage_own_api_key, whose
// grant holds only for the caller's own keys.
type clusterPrivilege struct {
	include []string
	exclude []string
	ownKeys bool
}

const securityActions = "cluster:admin/xpack/security/*"

// clusterPrivileges are the privileges whose grants matter for the actions
// apikeyd serves; every other predefined name grants actions outside them.
var clusterPrivileges = map[string]clusterPrivilege{
	"all":                {include: []string{"cluster:*", "indices:admin/template/*"}},
	"manage_security":    {include: []string{securityActions}},
	"manage_api_key":     {include: []string{"cluster:admin/xpack/security/api_key/*"}},
	"manage_own_api_key": {include: []string{"cluster:admin/xpack/security/api_key/*"}, exclude: []string{"cluster:admin/xpack/security/api_key/grant*", "cluster:admin/xpack/security/api_key/clone*"}, ownKeys: true},
	"read_security":      {include: []string{"cluster:admin/xpack/security/*/get", "cluster:admin/xpack/security/*/query", "cluster:admin/xpack/security/*/has_privileges*"}},
	"grant_api_key":      {include: []string{"cluster:admin/xpack/security/api_key/grant*"}},
	"clone_api_key":      {include: []string{"cluster:admin/xpack/security/api_key/clone*"}},
	"manage_token":       {include: []string{"cluster:admin/xpack/security/token/*"}},
	"manage":             {include: []string{"cluster:*"}, exclude: []string{securityActions, "cluster:admin/xpack/security*"}},
	"monitor":            {include: []string{"cluster:monitor/*"}},
}

// grantOrder lists privileges from the narrowest to the widest, the order
// in which Elasticsearch names the privileges that would grant an action.
var grantOrder = []string{
	"manage_own_api_key", "read_security", "grant_api_key", "clone_api_key",
	"manage_token", "monitor", "manage_api_key", "manage", "manage_security", "all",
}

// ClusterPrivilegeNames are Elasticsearch's predefined cluster privileges.
var ClusterPrivilegeNames = []string{
	"all", "cancel_task", "clone_api_key", "create_snapshot", "cross_cluster_replication",
	"cross_cluster_search", "delegate_pki", "grant_api_key", "manage", "manage_api_key",
	"manage_autoscaling", "manage_behavioral_analytics", "manage_ccr", "manage_connector",
	"manage_data_frame_transforms", "manage_data_stream_global_retention", "manage_enrich",
	"manage_esql", "manage_ilm", "manage_index_templates", "manage_inference",
	"manage_ingest_pipelines", "manage_logstash_pipelines", "manage_ml", "manage_oidc",
	"manage_own_api_key", "manage_pipeline", "manage_rollup", "manage_saml",
	"manage_search_application", "manage_search_query_rules", "manage_search_synonyms",
	"manage_security", "manage_service_account", "manage_slm", "manage_token",
	"manage_transform", "manage_user_profile", "manage_watcher", "monitor",
	"monitor_connector", "monitor_data_frame_transforms",
	"monitor_data_stream_global_retention", "monitor_enrich", "monitor_esql",
	"monitor_inference", "monitor_ml", "monitor_rollup", "monitor_snapshot", "monitor_stats",
	"monitor_text_structure", "monitor_transform", "monitor_watcher", "none",
	"post_behavioral_analytics_event", "read_ccr", "read_connector_secrets",
	"read_fleet_secrets", "read_ilm", "read_pipeline", "read_security", "read_slm",
	"transport_client", "write_connector_secrets", "write_fleet_secrets",
}

// IndexPrivilegeNames are Elasticsearch's predefined index privileges.
var IndexPrivilegeNames = []string{
	"all", "auto_configure", "create", "create_doc", "create_index",
	"cross_cluster_replication", "cross_cluster_replication_internal", "delete",
	"delete_index", "index", "maintenance", "manage", "manage_data_stream_lifecycle",
	"manage_failure_store", "manage_follow_index", "manage_ilm", "manage_leader_index",
	"monitor", "none", "read", "read_cross_cluster", "read_failure_store",
	"view_index_metadata", "write",
}

// Level is how far a privilege grants an action.
type Level int

// Grant levels.
const (
	// Denied grants nothing.
	Denied Level = iota
	// OwnKeys grants the action on the caller's own API keys only.
	OwnKeys
	// Granted grants the action outright.
	Granted
)

// grantOf is the level at which one cluster privilege string (a name or an
// action pattern) grants action.
func grantOf(priv, action string) Level {
	p, named := clusterPrivileges[priv]
	if !named {
		if strings.HasPrefix(priv, "cluster:") && GlobMatch(priv, action) {
			return Granted
		}
		return Denied
	}
	for _, ex := range p.exclude {
		if GlobMatch(ex, action) {
			return Denied
		}
	}
	for _, in := range p.include {
		if GlobMatch(in, action) {
			if p.ownKeys {
				return OwnKeys
			}
			return Granted
		}
	}
	return Denied
}

// descriptorsLevel is the widest level at which any descriptor grants action.
func descriptorsLevel(descs api.RoleDescriptors, action string) Level {
	best := Denied
	for _, d := range descs {
		for _, c := range d.Descriptor.Cluster {
			best = max(best, grantOf(c, action))
		}
	}
	return best
}

// Authorize is the level at which the subject may run action. An API key
// caller gets the intersection of its assigned descriptors (when it has
// any) and its owner's snapshot (limited_by).
func Authorize(s *Subject, action string) Level {
	if s.APIKey == nil {
		return descriptorsLevel(s.Descriptors, action)
	}
	limit := descriptorsLevel(s.APIKey.LimitedBy, action)
	if len(s.APIKey.RoleDescriptors) == 0 {
		return limit
	}
	return min(limit, descriptorsLevel(s.APIKey.RoleDescriptors, action))
}

// HasPrivilege reports whether the subject holds the named cluster
// privilege outright (for rules such as "cross-cluster keys need
// manage_security").
func HasPrivilege(s *Subject, action string) bool {
	return Authorize(s, action) == Granted
}

// Forbidden is Elasticsearch's 403 for action: it names the caller and the
// privileges that would grant this request, from the narrowest to the
// widest. ownRequest reports whether the request concerns only the
// caller's own keys: only then does manage_own_api_key grant it, and only
// then is it named (an API key owns no key but itself).
func Forbidden(s *Subject, action string, ownRequest bool) *api.Error {
	var who string
	if s.APIKey != nil {
		who = fmt.Sprintf("API key id [%s] of user [%s]", s.APIKey.ID, s.Username)
	} else {
		who = fmt.Sprintf("user [%s] with effective roles [%s]", s.Username, strings.Join(s.Roles, ","))
	}
	reason := fmt.Sprintf("action [%s] is unauthorized for %s", action, who)
	var granting []string
	for _, name := range grantOrder {
		switch grantOf(name, action) {
		case Granted:
			granting = append(granting, name)
		case OwnKeys:
			if ownRequest {
				granting = append(granting, name)
			}
		}
	}
	if len(granting) > 0 {
		reason += ", this action is granted by the cluster privileges [" + strings.Join(granting, ",") + "]"
	}
	return &api.Error{Code: api.Forbidden, Reason: reason}
}

// ValidateDescriptor adds Elasticsearch's role descriptor rules to v.
func ValidateDescriptor(d api.RoleDescriptor, v *api.Validation) {
	for _, c := range d.Cluster {
		if !slices.Contains(ClusterPrivilegeNames, c) && !isActionPattern(c) {
			v.Add("unknown cluster privilege [%s]. a privilege must be either one of the predefined cluster privilege names [%s] or a pattern over one of the available cluster actions",
				strings.ToLower(c), strings.Join(ClusterPrivilegeNames, ","))
		}
	}
	for _, ip := range d.Indices {
		validateIndices(ip, v)
	}
	for _, rp := range d.RemoteIndices {
		for _, c := range rp.Clusters {
			if c == "" {
				v.Add("remote index cluster alias cannot be an empty string")
			}
		}
		validateIndices(rp.IndicesPrivileges, v)
	}
	for _, ap := range d.Applications {
		if msg := ValidateApplicationName(ap.Application, true); msg != "" {
			v.Add("%s", msg)
		}
		for _, p := range ap.Privileges {
			if msg := validateNameOrAction(p); msg != "" {
				v.Add("%s", msg)
			}
		}
	}
	if api.HasReservedKey(d.Metadata) {
		v.Add("role descriptor metadata keys may not start with [_]")
	}
	if d.Restriction != nil {
		for _, w := range d.Restriction.Workflows {
			if w != "search_application_query" {
				v.Add("Unknown workflow [%s]. A workflow must be one of the predefined workflow names [search_application_query].", w)
			}
		}
	}
}

func validateIndices(ip api.IndicesPrivileges, v *api.Validation) {
	for _, p := range ip.Privileges {
		if !slices.Contains(IndexPrivilegeNames, strings.ToLower(p)) && !strings.HasPrefix(p, "indices:") {
			v.Add("unknown index privilege [%s]. a privilege must be either one of the predefined fixed indices privileges [%s] or a pattern over one of the available index actions",
				strings.ToLower(p), strings.Join(IndexPrivilegeNames, ","))
		}
	}
	for _, n := range ip.Names {
		if strings.Contains(n, "::") {
			v.Add("selectors [::] are not allowed in the index name expression [%s]", n)
		}
	}
}

func isActionPattern(p string) bool {
	return strings.HasPrefix(p, "cluster:") || strings.HasPrefix(p, "indices:") || strings.HasPrefix(p, "internal:")
}

// GlobMatch matches s against a pattern whose '*' matches any run of
// characters, as Elasticsearch's action and name patterns do. On a
// mismatch only the last star is retried, taking one more character: the
// work is at most len(pattern)*len(s), where retrying every star was
// exponential in their number (patterns and names both come from callers).
func GlobMatch(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && pattern[p] == s[i]:
			p++
			i++
		case star >= 0:
			mark++
			p, i = star+1, mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
