package keyservice

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// validateGrant adds the grant credential rules to v, after the key rules
// as Elasticsearch orders them.
func validateGrant(g *api.GrantCredential, v *api.Validation) {
	present := map[string]bool{
		"username":     g.Username != nil,
		"password":     g.Password != nil,
		"access_token": g.AccessToken != nil,
	}
	var required, forbidden []string
	switch g.GrantType {
	case "":
		v.Add("[grant_type] is required")
		return
	case api.GrantTypePassword:
		required, forbidden = []string{"username", "password"}, []string{"access_token"}
		if g.ClientAuthentication != nil {
			v.Add("[client_authentication] is not supported for grant_type [%s]", g.GrantType)
		}
	case api.GrantTypeAccessToken:
		required, forbidden = []string{"access_token"}, []string{"username", "password"}
		if ca := g.ClientAuthentication; ca != nil && ca.Scheme != "SharedSecret" {
			v.Add("[client_authentication.scheme] must be set to [SharedSecret]")
		}
	default:
		v.Add("grant_type [%s] is not supported", g.GrantType)
		return
	}
	for _, f := range required {
		if !present[f] {
			v.Add("[%s] is required for grant_type [%s]", f, g.GrantType)
		}
	}
	for _, f := range forbidden {
		if present[f] {
			v.Add("[%s] is not supported for grant_type [%s]", f, g.GrantType)
		}
	}
}

// grantOwner authenticates the grant credential and returns the user who
// will own the keys (the run_as target when one is named). A credential
// that does not authenticate is Elasticsearch's 403 "Failed to
// authenticate api key grant" with the 401 as its cause.
func (s *Service) grantOwner(ctx context.Context, g *api.GrantCredential) (*auth.Subject, error) {
	var cred auth.Credential
	switch g.GrantType {
	case api.GrantTypePassword:
		cred = auth.Credential{Scheme: auth.SchemeBasic, Username: *g.Username, Password: *g.Password}
	default:
		cred = auth.Credential{Scheme: auth.SchemeBearer, Token: *g.AccessToken}
	}
	owner, err := s.AuthenticateCredential(ctx, cred)
	if err != nil {
		if e, ok := api.AsError(err); ok && e.Code == api.Unauthenticated {
			cause := *e
			cause.Header = nil
			return nil, (&api.Error{Code: api.Forbidden, Reason: "Failed to authenticate api key grant"}).Wrap(&cause)
		}
		return nil, err
	}
	if g.RunAs == nil {
		return owner, nil
	}
	target := *g.RunAs
	allowed := slices.ContainsFunc(owner.Descriptors, func(nd api.NamedRoleDescriptor) bool {
		return slices.ContainsFunc(nd.Descriptor.RunAs, func(p string) bool { return auth.GlobMatch(p, target) })
	})
	if !allowed {
		return nil, api.Errorf(api.Forbidden, "action [%s] is unauthorized for user [%s] because user [%s] is unauthorized to run as [%s]", auth.ActionGrantAPIKey, owner.Username, owner.Username, target)
	}
	var runAs *auth.Subject
	err = s.store.View(ctx, func(r store.Reader) error {
		u, err := r.GetUser(ctx, target)
		if errors.Is(err, store.ErrNotFound) {
			return api.Errorf(api.Forbidden, "action [%s] is unauthorized for user [%s] run as [%s]: the user does not exist", auth.ActionGrantAPIKey, owner.Username, target)
		}
		if err != nil {
			return err
		}
		runAs, err = userSubject(ctx, r, u)
		return err
	})
	if err != nil {
		return nil, s.internal("grant run as", err)
	}
	return runAs, nil
}

// GrantAPIKey creates a key on behalf of the user whose credential the
// request carries: the key is owned by that user, not by the caller.
func (s *Service) GrantAPIKey(ctx context.Context, req *api.GrantAPIKeyRequest) (*api.CreateAPIKeyResponse, error) {
	key := api.CreateAPIKeyRequest{}
	if req.APIKey != nil {
		key = *req.APIKey
	}
	created, err := s.grant(ctx, auth.ActionGrantAPIKey, &req.GrantCredential, req.Refresh, []api.CreateAPIKeyRequest{key})
	if err != nil {
		return nil, err
	}
	return &created[0], nil
}

// BulkGrantAPIKeys grants many keys with one credential, in one
// transaction: all are created or none.
func (s *Service) BulkGrantAPIKeys(ctx context.Context, req *api.BulkGrantAPIKeysRequest) (*api.BulkGrantAPIKeysResponse, error) {
	created, err := s.grant(ctx, auth.ActionBulkGrantAPIKey, &req.GrantCredential, req.Refresh, req.APIKeys)
	if err != nil {
		return nil, err
	}
	return &api.BulkGrantAPIKeysResponse{Created: created}, nil
}

// grant validates the keys and the credential, authenticates the user the
// keys are for, and creates every key in one transaction.
func (s *Service) grant(ctx context.Context, action string, g *api.GrantCredential, refresh string, keys []api.CreateAPIKeyRequest) ([]api.CreateAPIKeyResponse, error) {
	sub, err := s.granted(ctx, action)
	if err != nil {
		return nil, err
	}
	if err := api.CheckRefresh(refresh); err != nil {
		return nil, err
	}
	var v api.Validation
	if len(keys) == 0 {
		v.Add("[api_keys] must not be empty")
	}
	now := s.now()
	for i := range keys {
		if keys[i].Name == nil {
			v.Add("api key name is required")
			continue
		}
		if _, err := validateKeyRequest(&keys[i], now, &v); err != nil {
			return nil, err
		}
	}
	validateGrant(g, &v)
	if err := v.Err(); err != nil {
		return nil, err
	}
	owner, err := s.grantOwner(ctx, g)
	if err != nil {
		return nil, err
	}
	stored := make([]*store.APIKey, len(keys))
	created := make([]api.CreateAPIKeyResponse, len(keys))
	ids := make([]string, len(keys))
	asked := make([]*int64, len(keys))
	for i := range keys {
		k, resp, err := s.newRestKey(owner, &keys[i], now)
		if err != nil {
			return nil, err
		}
		stored[i], created[i], ids[i], asked[i] = k, *resp, k.ID, k.Expiration
	}
	// The keys' lifetimes are the granted user's, by the expiry policies
	// that name that user.
	err = s.store.Update(ctx, func(w store.Writer) error {
		rule, err := expiryRuleFor(ctx, w, subjectOwner(owner))
		if err != nil {
			return err
		}
		for i, k := range stored {
			exp, err := rule.apply(keys[i].Expiration, asked[i], now)
			if err != nil {
				return err
			}
			k.Expiration = exp
			if err := w.InsertAPIKey(ctx, k); err != nil {
				return fmt.Errorf("key %s: %w", k.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, s.internal("grant api keys", err)
	}
	for i, k := range stored {
		created[i].Expiration = k.Expiration
	}
	s.audit(ctx, AuditEvent{Action: AuditGrantAPIKey, Request: action, Subject: sub, APIKeyIDs: ids, Names: []string{owner.Username}})
	return created, nil
}
