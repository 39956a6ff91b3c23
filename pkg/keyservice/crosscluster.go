package keyservice

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/apikey"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// crossClusterRole is the name of the one role descriptor of a
// cross-cluster key.
const crossClusterRole = "cross_cluster"

// The privileges Elasticsearch derives for cross-cluster access.
var (
	searchIndexPrivileges      = []string{"read", "read_cross_cluster", "view_index_metadata"}
	replicationIndexPrivileges = []string{"cross_cluster_replication", "cross_cluster_replication_internal"}
)

// validateAccess applies Elasticsearch's rules for cross-cluster access.
func validateAccess(a *api.CrossClusterAccess) error {
	if len(a.Search) == 0 && len(a.Replication) == 0 {
		return api.Errorf(api.Invalid, "must specify non-empty access for either [search] or [replication]")
	}
	if len(a.Replication) > 0 && slices.ContainsFunc(a.Search, func(sa api.SearchAccess) bool { return sa.FieldSecurity != nil || sa.Query != nil }) {
		return api.Errorf(api.Invalid, "search does not support document or field level security if replication is assigned")
	}
	return nil
}

// accessDescriptor converts cross-cluster access into the one role
// descriptor Elasticsearch stores for it (es-api.md §8).
func accessDescriptor(a *api.CrossClusterAccess) api.RoleDescriptors {
	var cluster []string
	if len(a.Search) > 0 {
		cluster = append(cluster, "cross_cluster_search", "monitor_enrich")
	}
	if len(a.Replication) > 0 {
		cluster = append(cluster, "cross_cluster_replication")
	}
	indices := []api.IndicesPrivileges{}
	for _, sa := range a.Search {
		indices = append(indices, api.IndicesPrivileges{Names: sa.Names, Privileges: searchIndexPrivileges,
			FieldSecurity: sa.FieldSecurity, Query: sa.Query, AllowRestrictedIndices: sa.AllowRestrictedIndices})
	}
	for _, ra := range a.Replication {
		indices = append(indices, api.IndicesPrivileges{Names: ra.Names, Privileges: replicationIndexPrivileges,
			AllowRestrictedIndices: ra.AllowRestrictedIndices})
	}
	return api.RoleDescriptors{{Name: crossClusterRole, Descriptor: api.RoleDescriptor{
		Cluster: cluster, Indices: indices, Metadata: api.Metadata{},
	}}}
}

// descriptorAccess is the reverse: the access object Get and Query show
// for a cross-cluster key.
func descriptorAccess(rds api.RoleDescriptors) *api.CrossClusterAccess {
	d, ok := rds.Get(crossClusterRole)
	if !ok {
		return nil
	}
	a := &api.CrossClusterAccess{}
	for _, ip := range d.Indices {
		if slices.Equal(ip.Privileges, searchIndexPrivileges) {
			a.Search = append(a.Search, api.SearchAccess{Names: ip.Names, FieldSecurity: ip.FieldSecurity, Query: ip.Query, AllowRestrictedIndices: ip.AllowRestrictedIndices})
		} else {
			a.Replication = append(a.Replication, api.ReplicationAccess{Names: ip.Names, AllowRestrictedIndices: ip.AllowRestrictedIndices})
		}
	}
	return a
}

// CreateCrossClusterAPIKey creates a key for cross-cluster search and
// replication. It cannot authenticate REST calls.
func (s *Service) CreateCrossClusterAPIKey(ctx context.Context, req *api.CreateCrossClusterAPIKeyRequest) (*api.CreateAPIKeyResponse, error) {
	sub, err := s.subject(ctx)
	if err != nil {
		return nil, err
	}
	if err := req.Check(); err != nil {
		return nil, err
	}
	if err := checkCertificateIdentity(req.CertificateIdentity); err != nil {
		return nil, err
	}
	// Authorization first, then the credential's type, as Elasticsearch's
	// security filter runs before the action.
	if _, err := s.require(ctx, sub, auth.ActionCreateCrossClusterAPIKey, auth.Granted); err != nil {
		return nil, err
	}
	if sub.IsAPIKey() {
		return nil, api.Errorf(api.Invalid, "authentication via API key not supported: An API key cannot be used to create a cross-cluster API key")
	}
	if err := validateAccess(req.Access); err != nil {
		return nil, err
	}
	now := s.now()
	var v api.Validation
	apikey.ValidateName(req.Name, &v)
	expiration, err := expirationMillis(req.Expiration, api.ParserCreateCrossClusterAPIKey, now, &v)
	if err != nil {
		return nil, err
	}
	apikey.ValidateMetadata(req.Metadata, &v)
	if err := v.Err(); err != nil {
		return nil, err
	}
	k := &store.APIKey{
		ID:         apikey.NewID(),
		Name:       *req.Name,
		Type:       api.TypeCrossCluster,
		Creation:   now.UnixMilli(),
		Expiration: expiration,
		LimitedBy:  json.RawMessage(`{}`),
		Creator:    creatorOf(sub),

		CertificateIdentity: req.CertificateIdentity,
	}
	if k.RoleDescriptors, err = json.Marshal(accessDescriptor(req.Access)); err != nil {
		return nil, s.internal("encode access", err)
	}
	if k.Metadata, err = encodeObject(req.Metadata); err != nil {
		return nil, s.internal("encode metadata", err)
	}
	resp, err := s.setSecret(k)
	if err != nil {
		return nil, err
	}
	err = s.store.Update(ctx, func(w store.Writer) error {
		exp, err := enforceExpiryPolicy(ctx, w, subjectOwner(sub), req.Expiration, expiration, now)
		if err != nil {
			return err
		}
		k.Expiration = exp
		return w.InsertAPIKey(ctx, k)
	})
	if err != nil {
		return nil, s.internal("create cross-cluster api key", err)
	}
	resp.Expiration = k.Expiration
	s.audit(ctx, AuditEvent{Action: AuditCrossClusterAPIKey, Request: auth.ActionCreateCrossClusterAPIKey, Subject: sub, APIKeyIDs: []string{k.ID}})
	return resp, nil
}

// checkCertificateIdentity applies Elasticsearch's rule for a certificate
// identity, when one is given. Elasticsearch checks it while it builds the
// request, before authorization, and answers a pattern that does not
// compile with a bare 400 illegal_argument_exception.
func checkCertificateIdentity(pattern *string) error {
	if pattern == nil {
		return nil
	}
	if err := apikey.CheckCertificateIdentity(*pattern); err != nil {
		return err
	}
	return nil
}

// errNothingToUpdate is Elasticsearch 9.3's answer to a cross-cluster
// update that names none of access, metadata and certificate_identity,
// its text as Elasticsearch writes it (two spaces included). apikeyd
// also takes an update of the expiration alone (design: "Cross-cluster
// update accepts an expiration-only update").
func errNothingToUpdate() error {
	var v api.Validation
	v.Add("must update  [access] or [metadata] or [certificate_identity] for cross-cluster API keys")
	return v.Err()
}

// UpdateCrossClusterAPIKey changes the access, metadata, expiration or
// certificate identity of a cross-cluster key the caller owns.
func (s *Service) UpdateCrossClusterAPIKey(ctx context.Context, req *api.UpdateCrossClusterAPIKeyRequest) (*api.UpdateAPIKeyResponse, error) {
	check := func() error {
		if err := req.Check(); err != nil {
			return err
		}
		if ci := req.CertificateIdentity; ci != nil && !ci.Null {
			return checkCertificateIdentity(&ci.Value)
		}
		return nil
	}
	sub, err := s.updateCaller(ctx, check, auth.ActionUpdateCrossClusterAPIKey, auth.Granted)
	if err != nil {
		return nil, err
	}
	if req.Access == nil && req.Metadata == nil && req.Expiration == nil && req.CertificateIdentity == nil {
		return nil, errNothingToUpdate()
	}
	var rds api.RoleDescriptors
	if req.Access != nil {
		if err := validateAccess(req.Access); err != nil {
			return nil, err
		}
		rds = accessDescriptor(req.Access)
	}
	c, err := s.validateChange(api.ParserUpdateCrossClusterAPIKey, nil, req.Metadata, req.Expiration)
	if err != nil {
		return nil, err
	}
	c.roleDescriptors, c.crossCluster, c.certificateIdentity = rds, true, req.CertificateIdentity
	return s.updateOne(ctx, sub, req.ID, c, auth.ActionUpdateCrossClusterAPIKey)
}
