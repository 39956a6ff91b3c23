package keyservice

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/apikey"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// keyChange is one update applied to one or many keys: nil fields are
// left as they are.
type keyChange struct {
	roleDescriptors api.RoleDescriptors // nil: unchanged
	metadata        api.Metadata        // nil: unchanged
	expiration      *int64              // nil: unchanged
	// asked is the time value of expiration, as the request gave it.
	asked *string
	// neverExpires clears the expiration (apikeyd's extended update).
	neverExpires bool
	// name renames the key (apikeyd's extended update); nil: unchanged.
	name *string
	// crossCluster marks a change of a cross-cluster key (its access
	// arrives as role descriptors).
	crossCluster bool
	// certificateIdentity replaces (a value) or clears (Null) the
	// certificate identity of a cross-cluster key; nil: unchanged.
	certificateIdentity *api.Clearable
	// allowedNetworks replaces the key's allowed networks, canonical
	// (apikeyd's extended update), with none (a nil list) to clear them;
	// nil: unchanged.
	allowedNetworks *[]string
}

// errUpdateByAPIKey is Elasticsearch's answer to an update made with an
// API key: only the owner user may update a key.
func errUpdateByAPIKey() *api.Error {
	return api.Errorf(api.Invalid, "authentication via API key not supported: only the owner user can update an API key")
}

func errNotOwned(id string) *api.Error {
	return api.Errorf(api.NotFound, "no API key owned by requesting user found for ID [%s]", id)
}

// validateChange checks the fields of an update request, whose body the
// parser named parser reads.
func (s *Service) validateChange(parser string, rds api.RoleDescriptors, metadata api.Metadata, expiration *string) (*keyChange, error) {
	var v api.Validation
	apikey.ValidateMetadata(metadata, &v)
	validateDescriptors(rds, &v)
	exp, err := expirationMillis(expiration, parser, s.now(), &v)
	if err != nil {
		return nil, err
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := checkRestrictions(rds, nil); err != nil {
		return nil, err
	}
	return &keyChange{roleDescriptors: rds, metadata: metadata, expiration: exp, asked: expiration}, nil
}

// encodedChange is a keyChange as the store holds it, encoded once for
// every key it is applied to.
type encodedChange struct {
	*keyChange
	roleDescriptors json.RawMessage // nil: unchanged
	metadata        json.RawMessage // nil: unchanged
	limitedBy       json.RawMessage // nil: unchanged (cross-cluster keys)
	creator         store.Creator
	keyType         string
}

// encode encodes c as sub applies it: Elasticsearch refreshes the owner's
// snapshot and identity on every update.
func (c *keyChange) encode(sub *auth.Subject) (*encodedChange, error) {
	e := &encodedChange{keyChange: c, creator: creatorOf(sub), keyType: api.TypeRest}
	var err error
	if c.roleDescriptors != nil {
		if e.roleDescriptors, err = json.Marshal(c.roleDescriptors); err != nil {
			return nil, err
		}
	}
	if c.metadata != nil {
		if e.metadata, err = json.Marshal(c.metadata); err != nil {
			return nil, err
		}
	}
	if c.crossCluster {
		e.keyType = api.TypeCrossCluster
	} else if e.limitedBy, err = json.Marshal(ownerSnapshot(sub)); err != nil {
		return nil, err
	}
	return e, nil
}

// applyChange updates one key the caller owns inside w, following
// Elasticsearch: the write is skipped (a noop) when nothing would change.
// k is the key id as read in this transaction, nil when there is none.
func (s *Service) applyChange(ctx context.Context, w store.Writer, sub *auth.Subject, id string, k *store.APIKey, c *encodedChange) (updated bool, err error) {
	if k == nil || !ownedBy(k, sub) {
		return false, errNotOwned(id)
	}
	switch {
	case k.Invalidated:
		return false, api.Errorf(api.Invalid, "cannot update invalidated API key [%s]", id)
	case k.Expiration != nil && *k.Expiration <= s.nowMillis():
		return false, api.Errorf(api.Invalid, "cannot update expired API key [%s]", id)
	case k.Name == "":
		return false, api.Errorf(api.Invalid, "cannot update legacy API key [%s] without name", id)
	case k.Type != c.keyType:
		return false, api.Errorf(api.Invalid, "cannot update API key of type [%s] while expected type is [%s]", k.Type, c.keyType)
	}
	next := *k
	changed := c.expiration != nil
	if c.expiration != nil {
		next.Expiration = c.expiration
	}
	if c.neverExpires {
		next.Expiration = nil
		changed = changed || k.Expiration != nil
	}
	if c.name != nil {
		next.Name = *c.name
		changed = changed || k.Name != next.Name
	}
	if c.roleDescriptors != nil {
		next.RoleDescriptors = c.roleDescriptors
		changed = changed || !sameDescriptors(k.RoleDescriptors, next.RoleDescriptors)
	}
	if c.metadata != nil {
		next.Metadata = c.metadata
		changed = changed || !sameJSON(k.Metadata, next.Metadata)
	}
	if c.limitedBy != nil {
		next.LimitedBy = c.limitedBy
		changed = changed || !sameDescriptors(k.LimitedBy, next.LimitedBy)
	}
	if ci := c.certificateIdentity; ci != nil {
		next.CertificateIdentity = nil
		if !ci.Null {
			next.CertificateIdentity = &ci.Value
		}
		changed = changed || !equalString(k.CertificateIdentity, next.CertificateIdentity)
	}
	if c.allowedNetworks != nil {
		next.AllowedNetworks = *c.allowedNetworks
		changed = changed || !slices.Equal(k.AllowedNetworks, next.AllowedNetworks)
	}
	next.Creator = c.creator
	changed = changed || !sameCreator(k.Creator, next.Creator)
	if !changed {
		return false, nil
	}
	if err := w.UpdateAPIKey(ctx, &next); err != nil {
		return false, err
	}
	return true, nil
}

// ownedBy reports whether sub owns k: same principal, same realm.
func ownedBy(k *store.APIKey, sub *auth.Subject) bool {
	return k.Creator.Principal == sub.Username && k.Creator.Realm == sub.OwnerRealm().Name
}

// sameJSON compares two JSON documents by value.
func sameJSON(a, b json.RawMessage) bool {
	if bytes.Equal(a, b) {
		return true
	}
	var x, y any
	if len(bytes.TrimSpace(a)) == 0 {
		a = json.RawMessage(`{}`)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		b = json.RawMessage(`{}`)
	}
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// sameDescriptors compares role descriptor sets, ignoring their order.
func sameDescriptors(a, b json.RawMessage) bool {
	if bytes.Equal(a, b) {
		return true
	}
	var x, y api.RoleDescriptors
	if unmarshalDescriptors(a, &x) != nil || unmarshalDescriptors(b, &y) != nil || len(x) != len(y) {
		return false
	}
	for _, nd := range x {
		other, ok := y.Get(nd.Name)
		if !ok {
			return false
		}
		da, _ := json.Marshal(nd.Descriptor)
		db, _ := json.Marshal(other)
		if !sameJSON(da, db) {
			return false
		}
	}
	return true
}

// equalString reports whether two optional strings are both absent or
// equal.
func equalString(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func sameCreator(a, b store.Creator) bool {
	return a.Principal == b.Principal && a.Realm == b.Realm && a.RealmType == b.RealmType &&
		reflect.DeepEqual(a.FullName, b.FullName) && reflect.DeepEqual(a.Email, b.Email) && sameJSON(a.Metadata, b.Metadata)
}

// UpdateAPIKey changes one key the caller owns.
func (s *Service) UpdateAPIKey(ctx context.Context, req *api.UpdateAPIKeyRequest) (*api.UpdateAPIKeyResponse, error) {
	sub, err := s.updateCaller(ctx, req.Check, auth.ActionUpdateAPIKey, auth.OwnKeys)
	if err != nil {
		return nil, err
	}
	c, err := s.validateChange(api.ParserUpdateAPIKey, req.RoleDescriptors, req.Metadata, req.Expiration)
	if err != nil {
		return nil, err
	}
	if err := checkRestrictions(nil, ownerSnapshot(sub)); err != nil {
		return nil, err
	}
	return s.updateOne(ctx, sub, req.ID, c, auth.ActionUpdateAPIKey)
}

// UpdateAPIKeyExtended is UpdateAPIKey (the same caller, ownership and
// validation rules, the same audit) with what Elasticsearch's update
// leaves out: a new name, validated as create validates one, an
// expiration of null, which makes the key never expire, and the networks
// the key may be used from (allowed_networks). apikeyd serves it
// at PUT /_apikeyd/api_key/{id}.
func (s *Service) UpdateAPIKeyExtended(ctx context.Context, req *api.ExtendedUpdateAPIKeyRequest) (*api.UpdateAPIKeyResponse, error) {
	sub, err := s.updateCaller(ctx, req.Check, auth.ActionUpdateAPIKey, auth.OwnKeys)
	if err != nil {
		return nil, err
	}
	var exp *string
	if req.Expiration != nil && !req.Expiration.Null {
		exp = &req.Expiration.Value
	}
	c, err := s.validateChange(api.ParserExtendedUpdateAPIKey, req.RoleDescriptors, req.Metadata, exp)
	if err != nil {
		return nil, err
	}
	var v api.Validation
	if req.Name != nil {
		apikey.ValidateName(req.Name, &v)
	}
	if req.AllowedNetworks != nil {
		nets, _ := parseNetworks(*req.AllowedNetworks, &v)
		c.allowedNetworks = &nets
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	c.name, c.neverExpires = req.Name, req.Expiration != nil && req.Expiration.Null
	if err := checkRestrictions(nil, ownerSnapshot(sub)); err != nil {
		return nil, err
	}
	return s.updateOne(ctx, sub, req.ID, c, auth.ActionUpdateAPIKey)
}

// checkChangeExpiry applies the expiry policies of sub, the owner of the
// keys an update changes, to the expiration the update sets, if any. An
// expiration cleared (the extended update's null) is refused where a
// policy gives the owner's keys one: the maximum's error, or, under a
// default alone, that the default applies to keys without one.
func (s *Service) checkChangeExpiry(ctx context.Context, r store.Reader, sub *auth.Subject, c *keyChange) error {
	if c.neverExpires {
		at, err := enforceExpiryPolicy(ctx, r, subjectOwner(sub), nil, nil, s.now())
		if err == nil && at != nil {
			var v api.Validation
			v.Add("API key expiration cannot be cleared: an expiry policy gives the keys of [%s] without one a default expiration", sub.Username)
			err = v.Err()
		}
		return err
	}
	if c.expiration == nil {
		return nil
	}
	_, err := enforceExpiryPolicy(ctx, r, subjectOwner(sub), c.asked, c.expiration, s.now())
	return err
}

// updateCaller is the caller of an update: authenticated, its request
// checked, a user (an API key may not update keys) holding action at
// level.
func (s *Service) updateCaller(ctx context.Context, check func() error, action string, level auth.Level) (*auth.Subject, error) {
	sub, err := s.subject(ctx)
	if err != nil {
		return nil, err
	}
	if err := check(); err != nil {
		return nil, err
	}
	// Authorization first, then the credential's type, as Elasticsearch's
	// security filter runs before the action.
	if _, err := s.require(ctx, sub, action, level); err != nil {
		return nil, err
	}
	if sub.IsAPIKey() {
		return nil, errUpdateByAPIKey()
	}
	return sub, nil
}

// updateOne applies c to the key id in one transaction, audited as action
// when it changed the key.
func (s *Service) updateOne(ctx context.Context, sub *auth.Subject, id string, c *keyChange, action string) (*api.UpdateAPIKeyResponse, error) {
	ec, err := c.encode(sub)
	if err != nil {
		return nil, s.internal("update api key", err)
	}
	var updated bool
	err = s.store.Update(ctx, func(w store.Writer) error {
		k, err := w.GetAPIKey(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			k, err = nil, nil
		}
		if err != nil {
			return err
		}
		if err := s.checkChangeExpiry(ctx, w, sub, c); err != nil {
			return err
		}
		updated, err = s.applyChange(ctx, w, sub, id, k, ec)
		return err
	})
	if err != nil {
		return nil, s.internal("update api key", err)
	}
	if updated {
		s.secrets.evict([]string{id})
		s.audit(ctx, AuditEvent{Action: AuditChangeAPIKey, Request: action, Subject: sub, APIKeyIDs: []string{id}})
	}
	return &api.UpdateAPIKeyResponse{Updated: updated}, nil
}

// BulkUpdateAPIKeys applies one change to many keys in one transaction.
// Keys that cannot be updated are reported per id; they do not fail the
// request.
func (s *Service) BulkUpdateAPIKeys(ctx context.Context, req *api.BulkUpdateAPIKeysRequest) (*api.BulkUpdateAPIKeysResponse, error) {
	sub, err := s.updateCaller(ctx, req.Check, auth.ActionBulkUpdateAPIKey, auth.OwnKeys)
	if err != nil {
		return nil, err
	}
	if len(req.IDs) == 0 {
		var v api.Validation
		v.Add("Field [ids] cannot be empty")
		return nil, v.Err()
	}
	c, err := s.validateChange(api.ParserBulkUpdateAPIKeys, req.RoleDescriptors, req.Metadata, req.Expiration)
	if err != nil {
		return nil, err
	}
	if err := checkRestrictions(nil, ownerSnapshot(sub)); err != nil {
		return nil, err
	}
	ec, err := c.encode(sub)
	if err != nil {
		return nil, s.internal("bulk update api keys", err)
	}
	// Each id once, in the order asked.
	ids := make([]string, 0, len(req.IDs))
	seen := make(map[string]bool, len(req.IDs))
	for _, id := range req.IDs {
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	var resp *api.BulkUpdateAPIKeysResponse
	err = s.store.Update(ctx, func(w store.Writer) error {
		resp = &api.BulkUpdateAPIKeysResponse{Updated: []string{}, Noops: []string{}}
		if err := s.checkChangeExpiry(ctx, w, sub, c); err != nil {
			return err
		}
		found, err := w.FindAPIKeys(ctx, store.KeyFilter{IDs: ids})
		if err != nil {
			return err
		}
		byID := make(map[string]*store.APIKey, len(found))
		for _, k := range found {
			byID[k.ID] = k
		}
		for _, id := range ids {
			updated, err := s.applyChange(ctx, w, sub, id, byID[id], ec)
			var apiErr *api.Error
			switch {
			case errors.As(err, &apiErr):
				if resp.Errors == nil {
					resp.Errors = &api.BulkErrors{Details: map[string]*api.Error{}}
				}
				resp.Errors.Count++
				resp.Errors.Details[id] = apiErr
			case err != nil:
				return fmt.Errorf("key %s: %w", id, err)
			case updated:
				resp.Updated = append(resp.Updated, id)
			default:
				resp.Noops = append(resp.Noops, id)
			}
		}
		return nil
	})
	if err != nil {
		return nil, s.internal("bulk update api keys", err)
	}
	if len(resp.Updated) > 0 {
		s.secrets.evict(resp.Updated)
		s.audit(ctx, AuditEvent{Action: AuditChangeAPIKey, Request: auth.ActionBulkUpdateAPIKey, Subject: sub, APIKeyIDs: resp.Updated})
	}
	return resp, nil
}
