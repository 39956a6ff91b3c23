package keyservice

import (
	"context"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/query"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// QueryAPIKeys runs a query over the keys the caller may see: with
// manage_own_api_key only, a user's own keys (whatever the query says) and
// an API key only itself; with read_security or more, every key.
//
// The steps follow Elasticsearch's: the body is read (parse errors), the
// caller authorized, then the request translated and resolved for the
// security index (unsupported queries, fields, aggregations; shard
// errors such as dates that do not parse), run by the store, and the
// aggregations computed over every key that matched.
func (s *Service) QueryAPIKeys(ctx context.Context, req *api.QueryAPIKeysRequest) (*api.QueryAPIKeysResponse, error) {
	sub, err := s.subject(ctx)
	if err != nil {
		return nil, err
	}
	body, err := query.Read(req.Body)
	if err != nil {
		return nil, err
	}
	// manage_own_api_key queries the caller's own keys, but an API key
	// sees limited_by only with manage_api_key or higher.
	limitedByKey := sub.IsAPIKey() && req.WithLimitedBy
	lvl, err := s.requireFor(ctx, sub, auth.ActionQueryAPIKey, !limitedByKey)
	if err != nil {
		return nil, err
	}
	if limitedByKey && !auth.HasPrivilege(sub, auth.ActionUpdateAPIKey) {
		return nil, s.denied(ctx, sub, auth.ActionQueryAPIKey, false)
	}
	parsed, err := body.Resolve(query.Options{Now: s.now()})
	if err != nil {
		return nil, err
	}
	search := parsed.Search
	if lvl == auth.OwnKeys {
		search.Query = ownKeysOnly(sub, search.Query)
	}
	// Aggregations that a count per value answers are the store's GROUP
	// BY; the others read every matching key.
	ks := &store.KeySearch{Search: search}
	grouped := make([]int, len(parsed.Aggs)) // index in ks.Groups, or -1
	for i, a := range parsed.Aggs {
		grouped[i] = -1
		if f, ok := a.GroupField(); ok {
			grouped[i] = len(ks.Groups)
			ks.Groups = append(ks.Groups, f)
		} else {
			ks.Matches = true
		}
	}
	s.flushForSearch(ctx, search)
	var page *store.KeyPage
	err = s.store.View(ctx, func(r store.Reader) error {
		var err error
		page, err = r.QueryAPIKeys(ctx, ks)
		return err
	})
	if err != nil {
		return nil, s.internal("query api keys", err)
	}
	resp := &api.QueryAPIKeysResponse{Total: page.Total, Count: len(page.Keys), APIKeys: make([]api.APIKey, 0, len(page.Keys))}
	for i, k := range page.Keys {
		info, err := keyInfo(k, req.WithLimitedBy)
		if err != nil {
			return nil, s.internal("render api key", err)
		}
		if req.WithRestrictions {
			info.AllowedNetworks = k.AllowedNetworks
		}
		if parsed.Sorted() {
			info.Sort = make([]any, len(parsed.Sort))
			for j, c := range parsed.Sort {
				info.Sort[j] = c.Render(page.Sort[i][j])
			}
		}
		resp.APIKeys = append(resp.APIKeys, info)
	}
	if req.WithLastUsed {
		if err := s.addUsage(ctx, resp.APIKeys); err != nil {
			return nil, err
		}
	}
	if len(parsed.Aggs) > 0 {
		groups := make([]*query.Groups, len(parsed.Aggs))
		for i, g := range grouped {
			if g >= 0 {
				groups[i] = page.Groups[g]
			}
		}
		resp.Aggregations = query.AggregateGroups(parsed.Aggs, groups, page.Matches, req.TypedKeys)
	}
	return resp, nil
}

// ownKeysOnly restricts q to the keys a manage_own_api_key caller owns, as
// Elasticsearch filters the search: an API key to itself, a user to the
// keys created by its principal in its realm.
func ownKeysOnly(sub *auth.Subject, q query.Query) query.Query {
	b := &query.Bool{}
	if q != nil {
		b.Must = []query.Query{q}
	}
	if sub.IsAPIKey() {
		b.Filter = []query.Query{&query.IDs{Values: []string{sub.APIKey.ID}}}
		return b
	}
	b.Filter = []query.Query{
		&query.Term{Field: query.F(query.FieldUsername), Values: []any{sub.Username}},
		&query.Term{Field: query.F(query.FieldRealm), Values: []any{sub.OwnerRealm().Name}},
	}
	return b
}
