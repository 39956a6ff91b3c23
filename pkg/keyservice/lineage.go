package keyservice

import (
	"context"
	"errors"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// This file is the family side of apikeyd's lineage API (api.Lineage):
// reading a key's ancestors and descendants, and invalidating a key with
// its descendants. Rotation is in rotate.go; clone records its parent in
// clone.go.

// GetAPIKeyLineage returns the key id with its ancestors, eldest first,
// and its descendants by creation. It is a read of keys, granted as get
// is: read_security or manage_api_key for any key, manage_own_api_key for
// the caller's own (an API key may read its own family). Relatives the
// caller could not get are left out.
func (s *Service) GetAPIKeyLineage(ctx context.Context, id string) (*api.APIKeyLineage, error) {
	sub, err := s.subject(ctx)
	if err != nil {
		return nil, err
	}
	if err := api.CheckIDs([]string{id}); err != nil {
		return nil, api.Errorf(api.Invalid, "the id of the API key is required")
	}
	// A user's lineage shows only its own keys to manage_own_api_key; an
	// API key owns no key but itself.
	own := !sub.IsAPIKey() || sub.APIKey.ID == id
	lvl, err := s.requireFor(ctx, sub, auth.ActionGetAPIKey, own)
	if err != nil {
		return nil, err
	}
	visible := func(k *store.APIKey) bool { return lvl == auth.Granted || ownedBy(k, sub) }
	var resp *api.APIKeyLineage
	err = s.store.View(ctx, func(r store.Reader) error {
		k, err := r.GetAPIKey(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return errNoKey(id, lvl)
		}
		if err != nil {
			return err
		}
		if !visible(k) {
			return errNoKey(id, lvl)
		}
		if k.Lineage, err = r.GetLineage(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		ancestors, err := r.Ancestors(ctx, id)
		if err != nil {
			return err
		}
		descendants, err := r.Descendants(ctx, []string{id}, maxFamily+1)
		if err != nil {
			return err
		}
		if len(descendants) > maxFamily {
			return api.Errorf(api.Invalid, "API key [%s] has more than %d descendants: too many to list", id, maxFamily)
		}
		resp = &api.APIKeyLineage{APIKey: lineageKey(k), Ancestors: []api.LineageKey{}, Descendants: []api.LineageKey{}}
		for i := len(ancestors) - 1; i >= 0; i-- {
			if visible(ancestors[i]) {
				resp.Ancestors = append(resp.Ancestors, lineageKey(ancestors[i]))
			}
		}
		for _, d := range descendants {
			if visible(d) {
				resp.Descendants = append(resp.Descendants, lineageKey(d))
			}
		}
		return nil
	})
	if err != nil {
		return nil, s.internal("get api key lineage", err)
	}
	return resp, nil
}

// lineageKey is k as a member of its family.
func lineageKey(k *store.APIKey) api.LineageKey {
	lk := api.LineageKey{ID: k.ID, Name: k.Name, Creation: k.Creation, Expiration: k.Expiration, Invalidated: k.Invalidated}
	if l := k.Lineage; l != nil {
		lk.Parent, lk.Relation, lk.GraceEnd, lk.UntilUnusedMillis = l.Parent, l.Relation, l.GraceEnd, l.UntilUnused
	}
	return lk
}

// InvalidateAPIKeysCascade invalidates the keys req selects, with the
// authorization and answer of Elasticsearch's invalidate, and with
// Cascade every descendant of theirs too, all in one transaction.
func (s *Service) InvalidateAPIKeysCascade(ctx context.Context, req *api.CascadeInvalidateRequest) (*api.InvalidateAPIKeysResponse, error) {
	return s.invalidateAPIKeys(ctx, &req.InvalidateAPIKeysRequest, req.Cascade)
}

// withDescendants widens the selection f of an invalidation to the
// descendants of the keys it selects (invalidated ones included: their
// descendants still go). A caller acting on its own keys takes only its
// own descendants; any other is reported in the answer's error details.
// More than maxFamily descendants is refused, nothing invalidated.
func (s *Service) withDescendants(ctx context.Context, r store.Reader, sub *auth.Subject, lvl auth.Level, f store.KeyFilter) (store.KeyFilter, []*api.Error, error) {
	all := f
	all.ExcludeInvalidated = false
	selected, err := r.FindAPIKeys(ctx, all)
	if err != nil {
		return f, nil, err
	}
	ids := make([]string, 0, len(selected))
	for _, k := range selected {
		ids = append(ids, k.ID)
	}
	descendants, err := r.Descendants(ctx, ids, maxFamily+1)
	if err != nil {
		return f, nil, err
	}
	if len(descendants) > maxFamily {
		return f, nil, api.Errorf(api.Invalid, "the selected API keys have more than %d descendants: invalidate fewer keys at once; nothing was invalidated", maxFamily)
	}
	var refused []*api.Error
	for _, d := range descendants {
		if lvl == auth.OwnKeys && !ownedBy(d, sub) {
			refused = append(refused, api.Errorf(api.Forbidden, "cannot invalidate API key [%s], a descendant of [%s]: it is not owned by the requesting user", d.ID, d.Lineage.Parent))
			continue
		}
		ids = append(ids, d.ID)
	}
	return store.KeyFilter{IDs: ids, ExcludeInvalidated: true}, refused, nil
}
