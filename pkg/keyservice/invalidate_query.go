package keyservice

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/query"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// This file is apikeyd's invalidate by query (api.Admin): Elasticsearch's
// invalidate, with the keys chosen by a query of the query API keys API
// and guarded by a plan, so that a clean-up checked in a dry run
// invalidates exactly the keys it listed, or nothing.

// DefaultInvalidateByQueryMax is how many keys one invalidate by query may
// invalidate when the request does not say; MaxInvalidateByQueryMax is the
// most a request may ask for. A query that matches more is refused, so
// that one call's work, memory and transaction stay bounded.
const (
	DefaultInvalidateByQueryMax = 100_000
	MaxInvalidateByQueryMax     = 1_000_000
)

// InvalidateAPIKeysByQuery invalidates the keys a query matches, in one
// transaction. The caller needs what the Invalidate API key API needs:
// with manage_api_key (or more) any key, with manage_own_api_key only its
// own keys, the query restricted to them as the query API restricts it.
// The query is read and resolved by the query API's own code (the same
// errors). The plan is the matching keys that are not invalidated yet and
// that the caller may invalidate (cross-cluster keys need
// manage_security: without it they are reported as errors); its digest is
// the SHA-256 of their sorted ids. A dry run answers the plan. A real run
// evaluates the query again inside its transaction and invalidates the
// plan only when it still has the expected count and digest; otherwise it
// is refused with a 409 and nothing changes. It is audited as an
// invalidate is.
func (s *Service) InvalidateAPIKeysByQuery(ctx context.Context, req *api.InvalidateByQueryRequest) (*api.InvalidateByQueryResponse, error) {
	sub, err := s.subject(ctx)
	if err != nil {
		return nil, err
	}
	body, err := query.Read(req.QueryBody())
	if err != nil {
		return nil, err
	}
	if err := req.Check(); err != nil {
		return nil, err
	}
	maxKeys := req.MaxKeys
	if maxKeys == 0 {
		maxKeys = DefaultInvalidateByQueryMax
	}
	if maxKeys > MaxInvalidateByQueryMax {
		var v api.Validation
		v.Add("[max_keys] must be at most [%d] but was [%d]", MaxInvalidateByQueryMax, maxKeys)
		return nil, v.Err()
	}
	lvl, err := s.require(ctx, sub, auth.ActionInvalidateAPIKey, auth.OwnKeys)
	if err != nil {
		return nil, err
	}
	parsed, err := body.Resolve(query.Options{Now: s.now()})
	if err != nil {
		return nil, err
	}
	q := parsed.Query
	if lvl == auth.OwnKeys {
		q = ownKeysOnly(sub, q)
	}
	mayCrossCluster := auth.HasPrivilege(sub, auth.ActionInvalidateCrossClusterAPIKey)
	var (
		resp  *api.InvalidateByQueryResponse
		plan  []*store.APIKey
		ids   []string
		at    = s.nowMillis()
		check = func(r store.Reader) error {
			var (
				refused []*store.APIKey
				err     error
			)
			plan, refused, err = planKeys(ctx, r, q, maxKeys, mayCrossCluster)
			if err != nil {
				return err
			}
			ids = planIDs(plan)
			resp = &api.InvalidateByQueryResponse{DryRun: req.DryRun, Count: len(ids), Plan: planDigest(ids)}
			if len(refused) > 0 {
				resp.InvalidateAPIKeysResponse = &api.InvalidateAPIKeysResponse{InvalidatedAPIKeys: []string{}, PreviouslyInvalidatedAPIKeys: []string{}}
				for _, k := range refused {
					resp.ErrorDetails = append(resp.ErrorDetails, api.Errorf(api.Forbidden,
						"Cannot invalidate cross-cluster API key [%s]. This requires [manage_security] cluster privilege or higher", k.ID))
				}
				resp.ErrorCount = len(resp.ErrorDetails)
			}
			return checkPlan(req, resp)
		}
	)
	if req.DryRun {
		if err := s.store.View(ctx, check); err != nil {
			return nil, s.internal("invalidate api keys by query", err)
		}
		resp.APIKeys = make([]api.PlannedKey, len(plan))
		for i, k := range plan {
			resp.APIKeys[i] = api.PlannedKey{ID: k.ID, Name: k.Name, Type: k.Type, Username: k.Creator.Principal,
				Realm: k.Creator.Realm, Creation: k.Creation, Expiration: k.Expiration}
		}
		return resp, nil
	}
	err = s.store.Update(ctx, func(w store.Writer) error {
		if err := check(w); err != nil {
			return err
		}
		if resp.InvalidateAPIKeysResponse == nil {
			resp.InvalidateAPIKeysResponse = &api.InvalidateAPIKeysResponse{PreviouslyInvalidatedAPIKeys: []string{}}
		}
		changed, err := w.InvalidateAPIKeys(ctx, store.KeyFilter{IDs: ids}, at)
		if err != nil {
			return err
		}
		resp.InvalidatedAPIKeys = append([]string{}, changed...)
		return nil
	})
	if err != nil {
		return nil, s.internal("invalidate api keys by query", err)
	}
	s.secrets.evict(resp.InvalidatedAPIKeys)
	s.audit(ctx, AuditEvent{Action: AuditInvalidateAPIKeys, Request: auth.ActionInvalidateAPIKey, Subject: sub, APIKeyIDs: resp.InvalidatedAPIKeys})
	s.afterInvalidation()
	return resp, nil
}

// planKeys reads the keys q matches that are not invalidated: those of
// the plan, and the cross-cluster keys the caller may not invalidate
// (when !mayCrossCluster). More than maxKeys of them is an error.
func planKeys(ctx context.Context, r store.Reader, q query.Query, maxKeys int, mayCrossCluster bool) (plan, refused []*store.APIKey, err error) {
	search := &store.KeySearch{Search: query.Search{Query: &query.Bool{
		Must:   []query.Query{orMatchAll(q)},
		Filter: []query.Query{&query.Term{Field: query.F(query.FieldInvalidated), Values: []any{int64(0)}}},
	}, Size: maxKeys + 1}}
	page, err := r.QueryAPIKeys(ctx, search)
	if err != nil {
		return nil, nil, err
	}
	if page.Total > maxKeys {
		return nil, nil, api.Errorf(api.Invalid, "the query matches [%d] API keys that are not invalidated, more than [max_keys] [%d] allows in one call: narrow the query, or raise [max_keys] (at most [%d])", page.Total, maxKeys, MaxInvalidateByQueryMax)
	}
	for _, k := range page.Keys {
		if k.Type == api.TypeCrossCluster && !mayCrossCluster {
			refused = append(refused, k)
		} else {
			plan = append(plan, k)
		}
	}
	slices.SortFunc(plan, func(a, b *store.APIKey) int { return strings.Compare(a.ID, b.ID) })
	return plan, refused, nil
}

func orMatchAll(q query.Query) query.Query {
	if q == nil {
		return query.MatchAll{}
	}
	return q
}

// planIDs are the ids of the plan's keys, in its order.
func planIDs(plan []*store.APIKey) []string {
	ids := make([]string, len(plan))
	for i, k := range plan {
		ids[i] = k.ID
	}
	return ids
}

// planDigest is the digest of a plan: "sha256:" and the hex SHA-256 of
// its ids, sorted bytewise, each followed by a newline. It is the same
// for the same set of keys whatever their state otherwise.
func planDigest(sortedIDs []string) string {
	h := sha256.New()
	for _, id := range sortedIDs {
		h.Write([]byte(id))
		h.Write([]byte{'\n'})
	}
	return api.PlanDigestPrefix + hex.EncodeToString(h.Sum(nil))
}

// checkPlan refuses a plan that is not the one req expects: a conflict,
// as a write refused for a version that changed.
func checkPlan(req *api.InvalidateByQueryRequest, resp *api.InvalidateByQueryResponse) error {
	countChanged := req.ExpectCount != nil && *req.ExpectCount != resp.Count
	planChanged := req.Plan != "" && req.Plan != resp.Plan
	if !countChanged && !planChanged {
		return nil
	}
	var expected string
	switch {
	case req.ExpectCount != nil && req.Plan != "":
		expected = fmt.Sprintf("[%d] keys with plan [%s]", *req.ExpectCount, req.Plan)
	case req.ExpectCount != nil:
		expected = fmt.Sprintf("[%d] keys", *req.ExpectCount)
	default:
		expected = fmt.Sprintf("plan [%s]", req.Plan)
	}
	return api.Errorf(api.Conflict, "the API keys the query matches are not those expected: expected %s, found [%d] with plan [%s]; nothing was invalidated: run a dry run again to see the keys it matches now", expected, resp.Count, resp.Plan)
}
