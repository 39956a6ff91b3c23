package keyservice

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/apikey"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// cloneFailed is Elasticsearch's 403 for a source key that does not
// authenticate, with what is wrong as its cause.
func cloneFailed(problem string) *api.Error {
	return (&api.Error{Code: api.Forbidden, Reason: "Failed to clone API key"}).Wrap(api.Errorf(api.Unauthenticated, "%s", problem))
}

// CloneAPIKey creates a new REST key with the owner, role descriptors and
// limited-by snapshot of the key whose credential the request proves. The
// caller may itself be an API key: that is what clone is for.
//
// A clone is bound to the networks of its source: a key cannot escape its
// networks by cloning itself (see CloneAPIKeyExtended for narrowing
// them), and a source used from outside them is refused as a wrong secret
// is.
func (s *Service) CloneAPIKey(ctx context.Context, req *api.CloneAPIKeyRequest) (*api.CreateAPIKeyResponse, error) {
	return s.cloneAPIKey(ctx, req, nil)
}

// CloneAPIKeyExtended is CloneAPIKey with the networks the clone may be
// used from: nil inherits the source's; a list must lie within them (a
// source bound to no networks takes any). apikeyd serves it at
// POST /_apikeyd/api_key/clone.
func (s *Service) CloneAPIKeyExtended(ctx context.Context, req *api.ExtendedCloneAPIKeyRequest) (*api.CreateAPIKeyResponse, error) {
	return s.cloneAPIKey(ctx, &req.CloneAPIKeyRequest, req.AllowedNetworks)
}

// cloneAPIKey clones the source key of req, bound to allowedNetworks (nil:
// the source's).
func (s *Service) cloneAPIKey(ctx context.Context, req *api.CloneAPIKeyRequest, allowedNetworks []string) (*api.CreateAPIKeyResponse, error) {
	sub, err := s.granted(ctx, auth.ActionCloneAPIKey)
	if err != nil {
		return nil, err
	}
	if err := api.CheckRefresh(req.Refresh); err != nil {
		return nil, err
	}
	now := s.now()
	var v api.Validation
	if req.APIKey == "" {
		v.Add("api key credential is required")
	}
	if req.Name != nil {
		apikey.ValidateName(req.Name, &v)
	}
	var expiration *int64
	if req.Expiration != nil && !req.Expiration.Null {
		if expiration, err = expirationMillis(&req.Expiration.Value, api.ParserCloneAPIKey, now, &v); err != nil {
			return nil, err
		}
	}
	apikey.ValidateMetadata(req.Metadata, &v)
	nets, parsed := parseNetworks(allowedNetworks, &v)
	if err := v.Err(); err != nil {
		return nil, err
	}
	id, secret, err := auth.ParseAPIKeyCredential(req.APIKey)
	if err != nil {
		cause, _ := api.AsError(err)
		return nil, (&api.Error{Code: api.BadStatus, Reason: "invalid API key credential: " + cause.Reason}).Wrap(cause)
	}

	// The new secret is made before the transaction, which may be retried;
	// the source is checked inside it, so a key invalidated concurrently is
	// never cloned.
	k := &store.APIKey{ID: apikey.NewID(), Type: api.TypeRest, Creation: now.UnixMilli()}
	resp, err := s.setSecret(k)
	if err != nil {
		return nil, err
	}
	err = s.store.Update(ctx, func(w store.Writer) error {
		src, err := w.GetAPIKey(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return cloneFailed("unable to find apikey with id " + id)
		}
		if err != nil {
			return err
		}
		if problem, _ := s.credentialProblem(src, secret); problem != "" {
			return cloneFailed(problem)
		}
		srcNets, err := storedNetworks(src.AllowedNetworks)
		if err != nil {
			return err
		}
		o, _ := auth.OriginFrom(ctx)
		if checkNetwork(srcNets, o) != nil {
			return cloneFailed(fmt.Sprintf("invalid credentials for API key [%s]", src.ID))
		}
		k.AllowedNetworks = src.AllowedNetworks
		if allowedNetworks != nil {
			if !parsed.within(srcNets) {
				var v api.Validation
				v.Add("allowed_networks of a clone must lie within those of its source [%s]: %s", src.ID, strings.Join(src.AllowedNetworks, ", "))
				return v.Err()
			}
			k.AllowedNetworks = nets
		}
		k.Name, k.Expiration, k.Metadata = src.Name, src.Expiration, src.Metadata
		k.RoleDescriptors, k.LimitedBy, k.Creator = src.RoleDescriptors, src.LimitedBy, src.Creator
		k.Lineage = &store.Lineage{Parent: src.ID, Relation: store.RelationClone}
		if req.Name != nil {
			k.Name = *req.Name
		}
		var asked *string
		if req.Expiration != nil {
			k.Expiration = expiration
			if !req.Expiration.Null {
				asked = &req.Expiration.Value
			}
		}
		if k.Expiration, err = enforceExpiryPolicy(ctx, w, creatorOwner(src.Creator), asked, k.Expiration, now); err != nil {
			return err
		}
		if req.Metadata != nil {
			if k.Metadata, err = json.Marshal(req.Metadata); err != nil {
				return err
			}
		}
		return w.InsertAPIKey(ctx, k)
	})
	if err != nil {
		return nil, s.internal("clone api key", err)
	}
	resp.Name, resp.Expiration = k.Name, k.Expiration
	s.audit(ctx, AuditEvent{Action: AuditCloneAPIKey, Request: auth.ActionCloneAPIKey, Subject: sub, APIKeyIDs: []string{k.ID, id}})
	return resp, nil
}
