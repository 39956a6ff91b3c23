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
