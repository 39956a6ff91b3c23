package keyservice

import (
	"context"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
)

// Audit event actions, Elasticsearch's event names where they exist.
const (
	AuditCreateAPIKey       = "create_apikey"
	AuditChangeAPIKey       = "change_apikey"
	AuditInvalidateAPIKeys  = "invalidate_apikeys"
	AuditAuthSuccess        = "authentication_success"
	AuditAuthFailed         = "authentication_failed"
	AuditAccessDenied       = "access_denied"
	AuditPutUser            = "put_user"
	AuditDeleteUser         = "delete_user"
	AuditChangePassword     = "change_password"
	AuditEnableUser         = "change_enable_user"
	AuditDisableUser        = "change_disable_user"
	AuditPutRole            = "put_role"
	AuditDeleteRole         = "delete_role"
	AuditDeleteExpiredKeys  = "delete_inactive_apikeys"
	AuditCreateToken        = "create_token"
	AuditInvalidateTokens   = "invalidate_tokens"
	AuditClearAPIKeyCache   = "clear_apikey_cache"
	AuditClearRealmCache    = "clear_realm_cache"
	AuditClearRolesCache    = "clear_roles_cache"
	AuditGrantAPIKey        = "grant_apikey"
	AuditCloneAPIKey        = "clone_apikey"
	AuditCrossClusterAPIKey = "create_cross_cluster_apikey"
	// The application privilege writes, named as Elasticsearch's
	// security_config_change events name them.
	AuditPutPrivileges        = "put_privileges"
	AuditDeletePrivileges     = "delete_privileges"
	AuditClearPrivilegesCache = "clear_privileges_cache"
)

// AuditEvent is one audit record: who did what, when, from where, with
// which outcome. It never holds a secret.
type AuditEvent struct {
	Time   time.Time
	Action string
	// Request is the transport action name, such as
	// cluster:admin/xpack/security/api_key/create.
	Request string
	// Subject is the caller (nil for a failed authentication).
	Subject *auth.Subject
	// Principal names the caller of a failed authentication (a username
	// or an API key id), when known.
	Principal string
	// APIKeyIDs are the keys the action created, changed or invalidated.
	APIKeyIDs []string
	// Names are other objects acted on (users, roles, key names).
	Names []string
	// Reason explains a failure or a denial.
	Reason string
	// Primary is set on the authentication events of a secondary
	// credential (the es-secondary-authorization header): the caller
	// whose request carried it. Subject or Principal is the secondary.
	Primary *auth.Subject
}

// Auditor receives audit events. Implementations must be safe for
// concurrent use and must not block for long.
type Auditor interface {
	Audit(ctx context.Context, e AuditEvent)
}

// AuditPreparer is an Auditor that may not be ready to record: one that
// opens its file at the first write (apikeyctl --db). Before every action
// other than a read the service prepares it, and the action fails, with
// nothing written, when it cannot.
type AuditPreparer interface {
	PrepareAudit() error
}

// readActions are the actions that write nothing and need no audit log.
var readActions = map[string]bool{
	auth.ActionGetAPIKey:     true,
	auth.ActionQueryAPIKey:   true,
	auth.ActionGetUser:       true,
	auth.ActionGetRole:       true,
	auth.ActionQueryUser:     true,
	auth.ActionQueryRole:     true,
	auth.ActionDoctor:        true,
	auth.ActionClusterHealth: true,
	auth.ActionGetEvents:     true,
	// The application privilege reads.
	auth.ActionGetPrivileges:        true,
	auth.ActionGetBuiltinPrivileges: true,
}

// prepareAudit prepares the auditor before action, unless it is a read:
// the 503 when it cannot record the action.
func (s *Service) prepareAudit(action string) error {
	p, ok := s.auditor.(AuditPreparer)
	if !ok || readActions[action] {
		return nil
	}
	if err := p.PrepareAudit(); err != nil {
		return api.Errorf(api.Unavailable, "%v; nothing was written", err)
	}
	return nil
}

// audit records e when the service has an auditor.
func (s *Service) audit(ctx context.Context, e AuditEvent) {
	if s.auditor == nil {
		return
	}
	e.Time = s.now()
	s.auditor.Audit(ctx, e)
}
