package keyservice

import (
	"context"
	"encoding/json"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// XPackUsage is the security feature's usage as Elasticsearch reports it
// under GET /_xpack/usage, for what apikeyd is: one node whose realms are
// the native one (and the reserved, which Elasticsearch does not list),
// whose roles are native (no file roles, no role mappings), with token
// and API key services, no IP filter, no anonymous user, no FIPS mode, no
// operator privileges and no remote cluster port. The audit log is on
// when the service has an auditor, written to a file as Elasticsearch's
// logfile output. The remote cluster server's api_keys are the active
// cross-cluster keys by access, counted by the store in one grouped query
// as Elasticsearch's ApiKeyService counts them. It needs monitor (or
// manage, or all). SSL is the HTTP layer's to say.
func (s *Service) XPackUsage(ctx context.Context, req *api.XPackUsageRequest) (*api.XPackUsageResponse, error) {
	sub, err := s.subject(ctx)
	if err != nil {
		return nil, err
	}
	if err := req.Check(); err != nil {
		return nil, err
	}
	if _, err := s.require(ctx, sub, auth.ActionXPackUsage, auth.Granted); err != nil {
		return nil, err
	}
	usage := api.SecurityUsage{
		Available:           true,
		Enabled:             true,
		Realms:              map[string]api.RealmUsage{auth.NativeRealm.Type: {Available: true, Enabled: true, Name: []string{auth.NativeRealm.Name}}},
		RoleMapping:         map[string]api.RoleMappingUsage{"native": {}},
		TokenService:        api.FeatureToggle{Enabled: true},
		APIKeyService:       api.FeatureToggle{Enabled: true},
		OperatorPrivileges:  api.FeatureAvailability{Available: true},
		RemoteClusterServer: api.RemoteClusterServerUsage{Available: true},
	}
	if s.auditor != nil {
		usage.Audit = api.AuditUsage{Enabled: true, Outputs: []string{"logfile"}}
	}
	err = s.store.View(ctx, func(r store.Reader) error {
		roles, err := r.ListRoles(ctx)
		if err != nil {
			return err
		}
		usage.Roles.Native.Size = int64(len(roles))
		for _, role := range roles {
			var d api.RoleDescriptor
			if err := json.Unmarshal(role.Descriptor, &d); err != nil {
				return err
			}
			for _, ip := range d.Indices {
				usage.Roles.Native.FLS = usage.Roles.Native.FLS || ip.FieldSecurity != nil
				usage.Roles.Native.DLS = usage.Roles.Native.DLS || ip.Query != nil
			}
		}
		counts, err := r.CountCrossClusterAccess(ctx, s.nowMillis())
		if err != nil {
			return err
		}
		usage.RemoteClusterServer.APIKeys = api.CrossClusterKeyUsage{
			Total:  counts.Search + counts.Replication + counts.SearchReplication,
			CCS:    counts.Search,
			CCR:    counts.Replication,
			CCSCCR: counts.SearchReplication,
		}
		return nil
	})
	if err != nil {
		return nil, s.internal("read the security usage", err)
	}
	return &api.XPackUsageResponse{Security: usage}, nil
}
