package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// allowFromFlags is --allow-from, the networks a key may be used from (an
// apikeyd feature), and, where a key's list can be dropped, --clear-allow-from.
type allowFromFlags struct {
	nets  []string
	clear bool
}

// register adds --allow-from to cmd, and --clear-allow-from when
// withClear; what names the key the flags bind.
func (a *allowFromFlags) register(cmd *cobra.Command, what string, withClear bool) {
	cmd.Flags().StringArrayVar(&a.nets, "allow-from", nil, "bind "+what+" to this client network: a `CIDR`, an IP address, or local for the Unix socket and --db (repeatable; apikeyd only)")
	if withClear {
		cmd.Flags().BoolVar(&a.clear, "clear-allow-from", false, "unbind "+what+" from networks: usable from anywhere (apikeyd only)")
	}
}

// changed reports whether the flags ask for a change of the networks.
func (a *allowFromFlags) changed(cmd *cobra.Command) bool {
	return cmd.Flags().Changed("allow-from") || a.clear
}

// list checks the flags and returns the networks asked for: nil when
// --allow-from was not given, empty with --clear-allow-from.
func (a *allowFromFlags) list(cmd *cobra.Command) ([]string, error) {
	given := cmd.Flags().Changed("allow-from")
	if a.clear && given {
		return nil, usageErrorf("--allow-from and --clear-allow-from cannot be used together")
	}
	if a.clear {
		return []string{}, nil
	}
	if !given {
		return nil, nil
	}
	if len(a.nets) > api.MaxAllowedNetworks {
		return nil, usageErrorf("--allow-from is given %d times: a key is bound to at most %d networks", len(a.nets), api.MaxAllowedNetworks)
	}
	for _, e := range a.nets {
		if _, _, err := api.ParseAllowedNetwork(e); err != nil {
			return nil, usageErrorf("--allow-from %q %v", e, err)
		}
	}
	return a.nets, nil
}

// askRestrictions reports whether a request may ask for apikeyd's
// restrictions of keys (with_restrictions): Elasticsearch has none and
// refuses the parameter, so against it stderr says there is nothing to
// show.
func askRestrictions(ctx context.Context, f *Factory, svc api.Service) (bool, error) {
	ok, err := isApikeyd(ctx, svc)
	if err != nil || ok {
		return ok, err
	}
	fmt.Fprintln(f.IOStreams.ErrOut, "note: the target is Elasticsearch, which does not bind API keys to networks: --with-restrictions shows nothing")
	return false, nil
}

// restrictions is the target's create and clone with allowed networks:
// apikeyd's, over HTTP or in process. Unlike Factory.Admin it does not
// need the --db database to exist: a create makes it, as without
// --allow-from.
func restrictions(ctx context.Context, f *Factory) (api.Restrictions, error) {
	svc, err := f.Service(ctx)
	if err != nil {
		return nil, err
	}
	r, ok := svc.(api.Restrictions)
	if !ok {
		return nil, errors.New("the target cannot bind API keys to networks")
	}
	return r, nil
}
