package cli

import (
	"context"
	"fmt"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// askLastUsed reports whether a request may ask for apikeyd's usage
// fields (with_last_used): only apikeyd (the daemon, or --db) records
// them, and Elasticsearch refuses the parameter. Against Elasticsearch
// it says on stderr that there is nothing to show.
func askLastUsed(ctx context.Context, f *Factory, svc api.Service) (bool, error) {
	ok, err := isApikeyd(ctx, svc)
	if err != nil || ok {
		return ok, err
	}
	fmt.Fprintln(f.IOStreams.ErrOut, "note: the target is Elasticsearch, which does not record when API keys are used: --with-last-used shows nothing")
	return false, nil
}

// isApikeyd reports whether svc is apikeyd, which takes its extensions.
func isApikeyd(ctx context.Context, svc api.Service) (bool, error) {
	d, ok := svc.(api.Dialect)
	if !ok {
		return false, nil
	}
	return d.IsApikeyd(ctx)
}

// unusedFilter is the query clause of --unused-for D: the keys last used
// before now-D, and the keys never used that were created before now-D
// (a key created since has not had the time to be used).
func unusedFilter(d string) any {
	before := map[string]any{"lt": "now-" + d}
	return map[string]any{"bool": map[string]any{
		"should": []any{
			map[string]any{"range": map[string]any{"last_used": before}},
			map[string]any{"bool": map[string]any{
				"must_not": map[string]any{"exists": map[string]any{"field": "last_used"}},
				"filter":   map[string]any{"range": map[string]any{"creation": before}},
			}},
		},
		"minimum_should_match": 1,
	}}
}
