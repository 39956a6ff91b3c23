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
	metadata        map[string]any      // nil: unchanged
	expiration      *int64              // nil: unchanged
	// crossCluster marks a change of a cross-cluster key (its access
	// arrives as role descriptors).
	crossCluster bool
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
func (s *Service) validateChange(parser string, rds api.RoleDescriptors, metadata map[string]any, expiration *string) (*keyChange, error) {
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
	return &keyChange{roleDescriptors: rds, metadata: metadata, expiration: exp}, nil
}

// applyChange updates one key the caller owns inside w, following
// Elasticsearch: the owner's snapshot and identity are refreshed on every
// call, and the write is skipped (a noop) when nothing would change.
func (s *Service) applyChange(ctx context.Context, w store.Writer, sub *auth.Subject, id string, c *keyChange) (updated bool, err error) {
	k, err := w.GetAPIKey(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !ownedBy(k, sub)) {
		return false, errNotOwned(id)
	}
	if err != nil {
		return false, err
	}
	want := api.TypeRest
	if c.crossCluster {
		want = api.TypeCrossCluster
	}
	switch {
	case k.Invalidated:
		return false, api.Errorf(api.Invalid, "cannot update invalidated API key [%s]", id)
	case k.Expiration != nil && *k.Expiration <= s.nowMillis():
		return false, api.Errorf(api.Invalid, "cannot update expired API key [%s]", id)
	case k.Name == "":
		return false, api.Errorf(api.Invalid, "cannot update legacy API key [%s] without name", id)
	case k.Type != want:
		return false, api.Errorf(api.Invalid, "cannot update API key of type [%s] while expected type is [%s]", k.Type, want)
	}
	next := *k
	changed := c.expiration != nil
	next.Expiration = k.Expiration
	if c.expiration != nil {
		next.Expiration = c.expiration
	}
	if c.roleDescriptors != nil {
		if next.RoleDescriptors, err = json.Marshal(c.roleDescriptors); err != nil {
			return false, err
		}
		changed = changed || !sameDescriptors(k.RoleDescriptors, next.RoleDescriptors)
	}
	if c.metadata != nil {
		if next.Metadata, err = json.Marshal(c.metadata); err != nil {
			return false, err
		}
		changed = changed || !sameJSON(k.Metadata, next.Metadata)
	}
	if !c.crossCluster {
		if next.LimitedBy, err = json.Marshal(ownerSnapshot(sub)); err != nil {
			return false, err
		}
		changed = changed || !sameDescriptors(k.LimitedBy, next.LimitedBy)
	}
	next.Creator = creatorOf(sub)
	changed = changed || !sameCreator(k.Creator, next.Creator)
	if !changed {
		return false, nil
	}
	if err := w.UpdateAPIKey(ctx, &next); err != nil {
		return false, err
	}
	s.secrets.evict([]string{id})
	return true, nil
}

// ownedBy reports whether sub owns k: same principal, same realm.
func ownedBy(k *store.APIKey, sub *auth.Subject) bool {
	return k.Creator.Principal == sub.Username && k.Creator.Realm == sub.OwnerRealm().Name
}

// sameJSON compares two JSON documents by value.
func sameJSON(a, b json.RawMessage) bool {
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
	if sub.IsAPIKey() {
		return nil, errUpdateByAPIKey()
	}
	if _, err := s.require(ctx, sub, action, level); err != nil {
		return nil, err
	}
	return sub, nil
}

// updateOne applies c to the key id in one transaction, audited as action
// when it changed the key.
func (s *Service) updateOne(ctx context.Context, sub *auth.Subject, id string, c *keyChange, action string) (*api.UpdateAPIKeyResponse, error) {
	var updated bool
	err := s.store.Update(ctx, func(w store.Writer) error {
		var err error
		updated, err = s.applyChange(ctx, w, sub, id, c)
		return err
	})
	if err != nil {
		return nil, s.internal("update api key", err)
	}
	if updated {
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
	// Each id once, in the order asked.
	ids := make([]string, 0, len(req.IDs))
	for _, id := range req.IDs {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	var resp *api.BulkUpdateAPIKeysResponse
	err = s.store.Update(ctx, func(w store.Writer) error {
		resp = &api.BulkUpdateAPIKeysResponse{Updated: []string{}, Noops: []string{}}
		for _, id := range ids {
			updated, err := s.applyChange(ctx, w, sub, id, c)
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
		s.audit(ctx, AuditEvent{Action: AuditChangeAPIKey, Request: auth.ActionBulkUpdateAPIKey, Subject: sub, APIKeyIDs: resp.Updated})
	}
	return resp, nil
}
