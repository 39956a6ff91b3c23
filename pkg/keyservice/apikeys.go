package keyservice

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/apikey"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// expirationMillis turns an expiration time value into an instant: now plus
// the whole seconds of the duration, as Elasticsearch computes it. Values
// of zero or less are rejected; a value that is not a time value fails as
// the field of the parser named parser.
func expirationMillis(value *string, parser string, now time.Time, v *api.Validation) (*int64, error) {
	if value == nil {
		return nil, nil
	}
	d, err := api.ParseExpiration(*value, parser)
	if err != nil {
		return nil, err
	}
	if d <= 0 {
		v.Add("API key expiration must be in the future")
		return nil, nil
	}
	at := now.Add(d.Truncate(time.Second)).UnixMilli()
	return &at, nil
}

// validateDescriptors adds the role descriptor rules for API keys.
func validateDescriptors(rds api.RoleDescriptors, v *api.Validation) {
	for _, nd := range rds {
		auth.ValidateDescriptor(nd.Descriptor, v)
	}
}

// checkRestrictions applies the workflow restriction rules to the assigned
// descriptors of a key and to its owner's descriptors.
func checkRestrictions(rds, owner api.RoleDescriptors) error {
	restricted := 0
	for _, nd := range rds {
		if nd.Descriptor.Restriction != nil {
			restricted++
		}
	}
	if restricted > 1 {
		return api.Errorf(api.Invalid, "more than one role descriptor with restriction is not supported")
	}
	if restricted == 1 && len(rds) > 1 {
		return api.Errorf(api.Invalid, "combining role descriptors with and without restriction is not supported")
	}
	for _, nd := range owner {
		if nd.Descriptor.Restriction != nil {
			return api.Errorf(api.Invalid, "owner user role descriptors must not include restriction")
		}
	}
	return nil
}

// ownerSnapshot is what a new key of the subject is limited by: a user's
// role descriptors without descriptions, or for an API key caller the
// limits of that key.
func ownerSnapshot(sub *auth.Subject) api.RoleDescriptors {
	if sub.APIKey != nil {
		return sub.APIKey.LimitedBy
	}
	out := make(api.RoleDescriptors, 0, len(sub.Descriptors))
	for _, nd := range sub.Descriptors {
		nd.Descriptor.Description = ""
		out = append(out, nd)
	}
	return out
}

// CreateAPIKey creates a REST API key owned by the caller.
func (s *Service) CreateAPIKey(ctx context.Context, req *api.CreateAPIKeyRequest) (*api.CreateAPIKeyResponse, error) {
	return s.createAPIKey(ctx, req, nil)
}

// CreateAPIKeyExtended is CreateAPIKey (the same caller, rules and audit)
// with the networks the key may be used from. apikeyd serves it at
// POST|PUT /_apikeyd/api_key.
func (s *Service) CreateAPIKeyExtended(ctx context.Context, req *api.ExtendedCreateAPIKeyRequest) (*api.CreateAPIKeyResponse, error) {
	return s.createAPIKey(ctx, &req.CreateAPIKeyRequest, req.AllowedNetworks)
}

// createAPIKey creates a REST key for the caller, bound to allowedNetworks
// when there are some.
func (s *Service) createAPIKey(ctx context.Context, req *api.CreateAPIKeyRequest, allowedNetworks []string) (*api.CreateAPIKeyResponse, error) {
	sub, err := s.subject(ctx)
	if err != nil {
		return nil, err
	}
	if err := req.Check(); err != nil {
		return nil, err
	}
	if _, err := s.require(ctx, sub, auth.ActionCreateAPIKey, auth.OwnKeys); err != nil {
		return nil, err
	}
	if err := api.CheckRefresh(req.Refresh); err != nil {
		return nil, err
	}
	now := s.now()
	k, resp, err := s.newRestKey(sub, req, now)
	if err != nil {
		return nil, err
	}
	var v api.Validation
	k.AllowedNetworks, _ = parseNetworks(allowedNetworks, &v)
	if err := v.Err(); err != nil {
		return nil, err
	}
	asked := k.Expiration
	err = s.store.Update(ctx, func(w store.Writer) error {
		exp, err := enforceExpiryPolicy(ctx, w, subjectOwner(sub), req.Expiration, asked, now)
		if err != nil {
			return err
		}
		k.Expiration = exp
		return w.InsertAPIKey(ctx, k)
	})
	if err != nil {
		return nil, s.internal("create api key", err)
	}
	resp.Expiration = k.Expiration
	s.audit(ctx, AuditEvent{Action: AuditCreateAPIKey, Request: auth.ActionCreateAPIKey, Subject: sub, APIKeyIDs: []string{k.ID}, Names: []string{k.Name}})
	return resp, nil
}

// newRestKey validates a key request and builds the key owner will own,
// with its one-time response. It writes nothing.
func (s *Service) newRestKey(owner *auth.Subject, req *api.CreateAPIKeyRequest, now time.Time) (*store.APIKey, *api.CreateAPIKeyResponse, error) {
	if err := req.Check(); err != nil {
		return nil, nil, err
	}
	var v api.Validation
	expiration, err := validateKeyRequest(req, now, &v)
	if err != nil {
		return nil, nil, err
	}
	if err := v.Err(); err != nil {
		return nil, nil, err
	}
	if owner.IsAPIKey() {
		if len(req.RoleDescriptors) == 0 || slices.ContainsFunc(req.RoleDescriptors, func(nd api.NamedRoleDescriptor) bool { return !nd.Descriptor.IsEmpty() }) {
			return nil, nil, api.Errorf(api.Invalid, "creating derived api keys requires an explicit role descriptor that is empty (has no privileges)")
		}
	}
	limitedBy := ownerSnapshot(owner)
	if err := checkRestrictions(req.RoleDescriptors, limitedBy); err != nil {
		return nil, nil, err
	}
	rds := req.RoleDescriptors
	if rds == nil {
		rds = api.RoleDescriptors{}
	}
	k := &store.APIKey{
		ID:         apikey.NewID(),
		Name:       *req.Name,
		Type:       api.TypeRest,
		Creation:   now.UnixMilli(),
		Expiration: expiration,
		Creator:    creatorOf(owner),
	}
	if k.RoleDescriptors, err = json.Marshal(rds); err != nil {
		return nil, nil, s.internal("encode role descriptors", err)
	}
	if k.LimitedBy, err = json.Marshal(limitedBy); err != nil {
		return nil, nil, s.internal("encode limited by", err)
	}
	if k.Metadata, err = encodeObject(req.Metadata); err != nil {
		return nil, nil, s.internal("encode metadata", err)
	}
	resp, err := s.setSecret(k)
	return k, resp, err
}

// validateKeyRequest adds the rules of a key request's fields to v and
// returns its expiration instant.
func validateKeyRequest(req *api.CreateAPIKeyRequest, now time.Time, v *api.Validation) (*int64, error) {
	apikey.ValidateName(req.Name, v)
	expiration, err := expirationMillis(req.Expiration, api.ParserCreateAPIKey, now, v)
	if err != nil {
		return nil, err
	}
	validateDescriptors(req.RoleDescriptors, v)
	apikey.ValidateMetadata(req.Metadata, v)
	return expiration, nil
}

// setSecret gives k a new secret, stores its hash, and returns the create
// response that shows the secret once.
func (s *Service) setSecret(k *store.APIKey) (*api.CreateAPIKeyResponse, error) {
	secret := apikey.NewSecret()
	hash, err := s.keyHasher.Hash(secret)
	if err != nil {
		return nil, s.internal("hash secret", err)
	}
	k.Hash = hash
	return &api.CreateAPIKeyResponse{
		ID:         k.ID,
		Name:       k.Name,
		Expiration: k.Expiration,
		APIKey:     secret,
		Encoded:    apikey.Encode(k.ID, secret),
	}, nil
}

// creatorOf records the subject as the owner of a key.
func creatorOf(sub *auth.Subject) store.Creator {
	md, err := encodeObject(sub.Metadata)
	if err != nil {
		md = json.RawMessage(`{}`)
	}
	realm := sub.OwnerRealm()
	return store.Creator{
		Principal: sub.Username,
		FullName:  sub.FullName,
		Email:     sub.Email,
		Metadata:  md,
		Realm:     realm.Name,
		RealmType: realm.Type,
	}
}

// GetAPIKeys returns the keys the request selects and the caller may see.
func (s *Service) GetAPIKeys(ctx context.Context, req *api.GetAPIKeysRequest) (*api.GetAPIKeysResponse, error) {
	sub, err := s.subject(ctx)
	if err != nil {
		return nil, err
	}
	var v api.Validation
	if (req.ID != "" || req.Name != "") && (req.Username != "" || req.RealmName != "") {
		v.Add("username or realm name must not be specified when the api key id or api key name is specified")
	}
	if req.Owner && (req.Username != "" || req.RealmName != "") {
		v.Add("neither username nor realm-name may be specified when retrieving owned API keys")
	}
	if req.ID != "" && req.Name != "" {
		v.Add("only one of [api key id, api key name] can be specified")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	sel := keySelection{name: req.Name, username: req.Username, realm: req.RealmName, owner: req.Owner}
	if req.ID != "" {
		sel.ids = []string{req.ID}
	}
	own := sel.ownedBy(sub) && !(sub.IsAPIKey() && (req.WithLimitedBy || req.Owner))
	if _, err := s.requireFor(ctx, sub, auth.ActionGetAPIKey, own); err != nil {
		return nil, err
	}
	if sub.IsAPIKey() && req.WithLimitedBy && !auth.HasPrivilege(sub, auth.ActionUpdateAPIKey) {
		// An API key sees limited_by only with manage_api_key or higher.
		return nil, s.denied(ctx, sub, auth.ActionGetAPIKey, false)
	}
	f := sel.filter(sub)
	if req.ActiveOnly {
		f.ActiveAt = s.nowMillis()
	}
	var keys []*store.APIKey
	err = s.store.View(ctx, func(r store.Reader) error {
		var err error
		keys, err = r.FindAPIKeys(ctx, f)
		return err
	})
	if err != nil {
		return nil, s.internal("get api keys", err)
	}
	resp := &api.GetAPIKeysResponse{APIKeys: make([]api.APIKey, 0, len(keys))}
	for _, k := range keys {
		info, err := keyInfo(k, req.WithLimitedBy)
		if err != nil {
			return nil, s.internal("render api key", err)
		}
		if req.WithRestrictions {
			info.AllowedNetworks = k.AllowedNetworks
		}
		resp.APIKeys = append(resp.APIKeys, info)
	}
	if req.WithLastUsed {
		if err := s.addUsage(ctx, resp.APIKeys); err != nil {
			return nil, err
		}
	}
	return resp, nil
}

// InvalidateAPIKeys invalidates the selected keys in one transaction.
func (s *Service) InvalidateAPIKeys(ctx context.Context, req *api.InvalidateAPIKeysRequest) (*api.InvalidateAPIKeysResponse, error) {
	return s.invalidateAPIKeys(ctx, req, false)
}

// invalidateAPIKeys invalidates the selected keys and, with cascade,
// their descendants (lineage.go), in one transaction.
func (s *Service) invalidateAPIKeys(ctx context.Context, req *api.InvalidateAPIKeysRequest, cascade bool) (*api.InvalidateAPIKeysResponse, error) {
	sub, err := s.subject(ctx)
	if err != nil {
		return nil, err
	}
	if err := req.Check(); err != nil {
		return nil, err
	}
	var v api.Validation
	hasIDs, hasSelector := len(req.IDs) > 0, req.Name != ""
	if !req.Owner && !hasIDs && !hasSelector && req.Username == "" && req.RealmName == "" {
		v.Add("One of [api key id(s), api key name, username, realm name] must be specified if [owner] flag is false")
	}
	if (hasIDs || hasSelector) && (req.Username != "" || req.RealmName != "") {
		v.Add("username or realm name must not be specified when the api key id(s) or api key name are specified")
	}
	if req.Owner && (req.Username != "" || req.RealmName != "") {
		v.Add("neither username nor realm-name may be specified when invalidating owned API keys")
	}
	if hasIDs && hasSelector {
		v.Add("only one of [api key id(s), api key name] can be specified")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	sel := keySelection{ids: req.IDs, name: req.Name, username: req.Username, realm: req.RealmName, owner: req.Owner}
	lvl, err := s.requireFor(ctx, sub, auth.ActionInvalidateAPIKey, sel.ownedBy(sub))
	if err != nil {
		return nil, err
	}
	f := sel.filter(sub)
	f.ExcludeInvalidated = true
	mayInvalidateCrossCluster := auth.HasPrivilege(sub, auth.ActionInvalidateCrossClusterAPIKey)
	resp := &api.InvalidateAPIKeysResponse{InvalidatedAPIKeys: []string{}, PreviouslyInvalidatedAPIKeys: []string{}}
	at := s.nowMillis()
	selected := f
	err = s.store.Update(ctx, func(w store.Writer) error {
		resp.ErrorDetails = nil
		f := selected
		if cascade {
			var err error
			if f, resp.ErrorDetails, err = s.withDescendants(ctx, w, sub, lvl, f); err != nil {
				return err
			}
		}
		if !mayInvalidateCrossCluster {
			// Cross-cluster keys are refused one by one, and left out of
			// the set invalidated in one statement.
			cc := f
			cc.Type = api.TypeCrossCluster
			refused, err := w.FindAPIKeys(ctx, cc)
			if err != nil {
				return err
			}
			for _, k := range refused {
				resp.ErrorDetails = append(resp.ErrorDetails, api.Errorf(api.Forbidden,
					"Cannot invalidate cross-cluster API key [%s]. This requires [manage_security] cluster privilege or higher", k.ID))
			}
			f.Type = api.TypeRest
		}
		changed, err := w.InvalidateAPIKeys(ctx, f, at)
		if err != nil {
			return err
		}
		resp.InvalidatedAPIKeys = changed
		return nil
	})
	if err != nil {
		return nil, s.internal("invalidate api keys", err)
	}
	resp.ErrorCount = len(resp.ErrorDetails)
	s.secrets.evict(resp.InvalidatedAPIKeys)
	s.audit(ctx, AuditEvent{Action: AuditInvalidateAPIKeys, Request: auth.ActionInvalidateAPIKey, Subject: sub, APIKeyIDs: resp.InvalidatedAPIKeys})
	s.afterInvalidation()
	return resp, nil
}
