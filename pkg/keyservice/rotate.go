package keyservice

import (
	"context"
	"errors"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/apikey"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// AuditRotateAPIKey is the audit action of a rotation; the event names
// the successor, then the rotated key.
const AuditRotateAPIKey = "rotate_apikey"

// maxFamily bounds the descendants one request reads: a lineage, a
// cascade.
const maxFamily = 10_000

// rotation is a validated rotate request: the grace period and the
// until-unused rule, both in milliseconds.
type rotation struct {
	grace, untilUnused int64
	// allowedNetworks are the successor's, canonical (a nil list: none);
	// nil inherits the old key's.
	allowedNetworks *[]string
}

// validateRotation applies the rules of a rotate request's durations: a
// grace that is not negative, and an until-unused that is positive and no
// longer than the grace.
func validateRotation(req *api.RotateAPIKeyRequest) (rotation, error) {
	grace := api.DefaultGrace
	if req.Grace != nil {
		grace = *req.Grace
	}
	g, err := parseRotationField(grace, "grace")
	if err != nil {
		return rotation{}, err
	}
	var v api.Validation
	if g < 0 {
		v.Add("[grace] must not be negative, got [%s]", grace)
	}
	r := rotation{grace: g.Milliseconds()}
	if req.UntilUnused != nil {
		u, err := parseRotationField(*req.UntilUnused, "until_unused")
		if err != nil {
			return rotation{}, err
		}
		switch {
		case u < time.Millisecond:
			v.Add("[until_unused] must be a positive time value, got [%s]", *req.UntilUnused)
		case g >= 0 && u > g:
			v.Add("[until_unused] [%s] must not be longer than [grace] [%s]", *req.UntilUnused, grace)
		}
		r.untilUnused = u.Milliseconds()
	}
	if req.AllowedNetworks != nil {
		nets, _ := parseNetworks(*req.AllowedNetworks, &v)
		r.allowedNetworks = &nets
	}
	return r, v.Err()
}

// parseRotationField parses a time value of a rotate request, failing as
// the request's decoder fails on it (so that apikeyctl --db and the daemon
// refuse alike).
func parseRotationField(value, field string) (time.Duration, error) {
	d, err := api.ParseTimeValue(value, field)
	if err != nil {
		cause, _ := api.AsError(err)
		return 0, api.FieldError(api.ParserRotateAPIKey, field, cause)
	}
	return d, nil
}

// errNoKey is the 404 for a key that does not exist or that a caller
// acting on its own keys does not own.
func errNoKey(id string, lvl auth.Level) *api.Error {
	if lvl == auth.OwnKeys {
		return errNotOwned(id)
	}
	return api.Errorf(api.NotFound, "no API key found for ID [%s]", id)
}

// RotateAPIKey creates the successor of a key in one transaction: the
// same name, metadata, role descriptors, limited-by, owner and type, an
// expiration as far from now as the old key's was from its creation (none
// when it had none), a lineage naming the old key, and the old key's
// expiration brought forward to the end of the grace period (never
// extended). The owner may rotate its keys with manage_own_api_key,
// manage_api_key rotates any key, and a cross-cluster key needs
// manage_security. A user rotates, an API key may not (as it may not
// update). An invalidated or expired key cannot be rotated, nor one whose
// successor from an earlier rotation is still active: rotate that one.
func (s *Service) RotateAPIKey(ctx context.Context, req *api.RotateAPIKeyRequest) (*api.RotateAPIKeyResponse, error) {
	sub, err := s.subject(ctx)
	if err != nil {
		return nil, err
	}
	if err := api.CheckIDs([]string{req.ID}); err != nil {
		return nil, api.Errorf(api.Invalid, "the id of the API key to rotate is required")
	}
	rot, err := validateRotation(req)
	if err != nil {
		return nil, err
	}
	lvl, err := s.require(ctx, sub, auth.ActionRotateAPIKey, auth.OwnKeys)
	if err != nil {
		return nil, err
	}
	if sub.IsAPIKey() {
		return nil, api.Errorf(api.Invalid, "authentication via API key not supported: only the owner user can rotate an API key")
	}
	mayRotateCrossCluster := auth.HasPrivilege(sub, auth.ActionRotateCrossClusterAPIKey)
	now := s.nowMillis()
	graceEnd := now + rot.grace
	// The secret is made before the transaction, which may be retried.
	k := &store.APIKey{ID: apikey.NewID(), Creation: now}
	resp, err := s.setSecret(k)
	if err != nil {
		return nil, err
	}
	var oldExpiration int64
	err = s.store.Update(ctx, func(w store.Writer) error {
		old, err := w.GetAPIKey(ctx, req.ID)
		if errors.Is(err, store.ErrNotFound) {
			return errNoKey(req.ID, lvl)
		}
		if err != nil {
			return err
		}
		if err := s.checkRotatable(ctx, w, sub, lvl, old, mayRotateCrossCluster, now); err != nil {
			return err
		}
		k.Name, k.Type, k.Metadata = old.Name, old.Type, old.Metadata
		k.RoleDescriptors, k.LimitedBy, k.Creator = old.RoleDescriptors, old.LimitedBy, old.Creator
		k.CertificateIdentity, k.AllowedNetworks = old.CertificateIdentity, old.AllowedNetworks
		if rot.allowedNetworks != nil {
			k.AllowedNetworks = *rot.allowedNetworks
		}
		k.Expiration = nil
		if old.Expiration != nil {
			at := now + (*old.Expiration - old.Creation)
			k.Expiration = &at
		}
		rule, err := expiryRuleFor(ctx, w, creatorOwner(old.Creator))
		if err != nil {
			return err
		}
		k.Expiration = rule.inherit(k.Expiration, time.UnixMilli(now))
		oldExpiration = graceEnd
		if old.Expiration != nil {
			oldExpiration = min(oldExpiration, *old.Expiration)
		}
		k.Lineage = &store.Lineage{Parent: old.ID, Relation: store.RelationRotation, GraceEnd: &oldExpiration, UntilUnused: rot.untilUnused}
		if err := w.InsertAPIKey(ctx, k); err != nil {
			return err
		}
		next := *old
		next.Expiration = &oldExpiration
		return w.UpdateAPIKey(ctx, &next)
	})
	if err != nil {
		return nil, s.internal("rotate api key", err)
	}
	s.secrets.evict([]string{req.ID})
	s.audit(ctx, AuditEvent{Action: AuditRotateAPIKey, Request: auth.ActionRotateAPIKey, Subject: sub, APIKeyIDs: []string{k.ID, req.ID}, Names: []string{k.Name}})
	resp.Name, resp.Expiration = k.Name, k.Expiration
	return &api.RotateAPIKeyResponse{
		CreateAPIKeyResponse: *resp,
		Predecessor:          api.RotatedAPIKey{ID: req.ID, Expiration: oldExpiration, UntilUnusedMillis: rot.untilUnused},
	}, nil
}

// checkRotatable refuses a rotation of old that sub may not make, or that
// old cannot take: invalidated, expired, or already rotated to a key that
// is still active.
func (s *Service) checkRotatable(ctx context.Context, r store.Reader, sub *auth.Subject, lvl auth.Level, old *store.APIKey, mayRotateCrossCluster bool, now int64) error {
	switch {
	case lvl == auth.OwnKeys && !ownedBy(old, sub):
		return errNotOwned(old.ID)
	case old.Type == api.TypeCrossCluster && !mayRotateCrossCluster:
		return api.Errorf(api.Forbidden, "Cannot rotate cross-cluster API key [%s]. This requires [manage_security] cluster privilege or higher", old.ID)
	case old.Invalidated:
		return api.Errorf(api.Invalid, "cannot rotate invalidated API key [%s]", old.ID)
	case old.Expiration != nil && *old.Expiration <= now:
		return api.Errorf(api.Invalid, "cannot rotate expired API key [%s]", old.ID)
	}
	successors, err := r.Children(ctx, old.ID, store.RelationRotation)
	if err != nil {
		return err
	}
	for _, d := range successors {
		if active(d, now) {
			return api.Errorf(api.Invalid, "API key [%s] was already rotated to [%s], which is still active: rotate [%s] instead, or invalidate it first", old.ID, d.ID, d.ID)
		}
	}
	return nil
}

// active reports whether k is neither invalidated nor expired at now.
func active(k *store.APIKey, now int64) bool {
	return !k.Invalidated && (k.Expiration == nil || *k.Expiration > now)
}

// rotationDeadline is the instant (epoch milliseconds) at which the old
// key of a rotation stops working: the end of its grace period, or
// earlier under an until-unused rule, once the successor has been used
// and the old key has then gone untilUnused without use. oldLastUsed and
// successorFirstUsed are 0 when unknown or never; untilUnused is 0 for no
// rule; graceEnd is 0 for no end, and so is the answer when nothing ends
// the key.
//
// The clock of the rule starts at the successor's first use, or at the
// old key's last use when that is later: traffic still reaching the old
// key keeps it alive, up to the end of the grace. FlushUsage applies it
// (untilunused.go).
func rotationDeadline(graceEnd, untilUnused, oldLastUsed, successorFirstUsed int64) int64 {
	if untilUnused <= 0 || successorFirstUsed <= 0 {
		return graceEnd
	}
	since := max(successorFirstUsed, oldLastUsed)
	unused := since + untilUnused
	if unused < since { // overflow: no earlier end
		return graceEnd
	}
	if graceEnd == 0 {
		return unused
	}
	return min(graceEnd, unused)
}
