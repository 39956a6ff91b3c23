package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

type invalidateOptions struct {
	f       *Factory
	out     outputFlags
	req     api.InvalidateAPIKeysRequest
	cascade bool
	// byQuery are the flags of invalidate --query.
	byQuery byQueryFlags
}

func newInvalidateCmd(f *Factory) *cobra.Command {
	opts := &invalidateOptions{f: f}
	cmd := &cobra.Command{
		Use:   "invalidate [ID...]",
		Short: "Invalidate API keys",
		Long: `Invalidate API keys by id, name or owner, as the Invalidate API key API
does. Invalidated keys stop authenticating at once.

Without any id or selector it is a usage error on a terminal; from a script
(stdin not a terminal, as under xargs) it is nothing to do: exit 0 with a
note on stderr.

--cascade also invalidates every descendant of the selected keys (their
clones and rotation successors, every generation: see apikeyctl tree), in
the same transaction; an apikeyd feature.

Exits 6 when some of the named ids were not invalidated (unknown, already
invalidated, or refused: see the error details).

--query (apikeyd or --db) selects the keys as apikeyctl query does: --name is
a pattern (* and ? are wildcards), --user and --realm name the owner, and
the filter flags (--expires-within, --metadata, --query-json ...) are
query's. --dry-run lists the keys it matches that are not invalidated yet,
with the digest of that plan and the command that carries it out. The run
itself is one transaction, guarded: --plan DIGEST or --expect-count N
refuse it, invalidating nothing (exit 9), when the keys the query matches
changed since. Without either, a terminal asks y/N with the count, and a
script needs --yes; both make a dry run first and hold the run to its plan.
--max-keys caps the keys one call may invalidate (default 100000).`,
		Example: `  apikeyctl invalidate 7Q2eJ5gBc8uQ3hY1Zk9w
  apikeyctl invalidate --name 'ci-*' --owner
  apikeyctl get --name 'tmp-*' --field id | xargs -r apikeyctl invalidate

  # a key with every key made from it: its rotation's successor, their clones
  apikeyctl rotate 7Q2eJ5gBc8uQ3hY1Zk9w --grace 1h --field id
  apikeyctl invalidate --cascade 7Q2eJ5gBc8uQ3hY1Zk9w

  # a clean-up by query: look, then invalidate exactly what was listed
  apikeyctl invalidate --query --name 'tmp-*' --dry-run
  apikeyctl invalidate --query --name 'tmp-*' --plan "$(apikeyctl invalidate --query --name 'tmp-*' --dry-run --field plan)"`,
		RunE: func(cmd *cobra.Command, args []string) error { return runInvalidate(cmd, opts, args) },
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&opts.req.IDs, "id", nil, "invalidate the key with this `id` (repeatable)")
	fl.StringVar(&opts.req.Name, "name", "", "invalidate keys with this name (* for all, trailing * for a prefix)")
	fl.StringVar(&opts.req.Username, "user", "", "invalidate keys owned by this user (the API's username)")
	fl.StringVar(&opts.req.RealmName, "realm", "", "invalidate keys owned in this realm (the API's realm_name)")
	fl.BoolVar(&opts.req.Owner, "owner", false, "only your own keys")
	fl.BoolVar(&opts.cascade, "cascade", false, "also invalidate the keys' descendants (clones, rotation successors)")
	opts.byQuery.register(cmd)
	opts.out.register(cmd)
	cmd.ValidArgsFunction = completeKeyIDs(f, true)
	_ = cmd.RegisterFlagCompletionFunc("id", completeKeyIDs(f, true))
	_ = cmd.RegisterFlagCompletionFunc("name", completeKeys(f, "name", true))
	return cmd
}

func runInvalidate(cmd *cobra.Command, opts *invalidateOptions, args []string) error {
	if err := opts.byQuery.checkFlags(cmd, args, opts.req.Owner); err != nil {
		return err
	}
	if opts.byQuery.on {
		return runInvalidateByQuery(cmd, opts)
	}
	opts.req.IDs = append(opts.req.IDs, args...)
	r := &opts.req
	if len(r.IDs) == 0 && r.Name == "" && r.Username == "" && r.RealmName == "" && !r.Owner {
		// `... --field id | xargs apikeyctl invalidate` (without -r) when
		// nothing matched: no ids from a script is nothing to do.
		if !opts.f.IOStreams.IsStdinTTY() {
			fmt.Fprintln(opts.f.IOStreams.ErrOut, "note: nothing to invalidate: no key ids and no --name, --user, --realm or --owner were given")
			return nil
		}
		return usageErrorf("invalidate needs the keys to invalidate: ids as arguments or --id, or --name, --user, --realm or --owner")
	}
	svc, err := opts.f.Service(cmd.Context())
	if err != nil {
		return err
	}
	resp, err := invalidate(cmd.Context(), opts, svc)
	if err != nil {
		return err
	}
	if err := opts.out.print(opts.f, resp); err != nil {
		return err
	}
	var missed []string
	for _, id := range opts.req.IDs {
		if !slices.Contains(resp.InvalidatedAPIKeys, id) {
			missed = append(missed, id)
		}
	}
	switch {
	case resp.ErrorCount > 0:
		return &PartialError{Msg: fmt.Sprintf("%d API key(s) could not be invalidated", resp.ErrorCount)}
	case len(missed) > 0:
		return &PartialError{Msg: fmt.Sprintf("not invalidated (unknown, not yours, or already invalidated): %s", strings.Join(missed, ", "))}
	}
	return nil
}

// invalidate sends the request, through apikeyd's cascading invalidate
// with --cascade.
func invalidate(ctx context.Context, opts *invalidateOptions, svc api.Service) (*api.InvalidateAPIKeysResponse, error) {
	if !opts.cascade {
		return svc.InvalidateAPIKeys(ctx, &opts.req)
	}
	admin, err := opts.f.Admin(ctx)
	if err != nil {
		return nil, err
	}
	return admin.InvalidateAPIKeysCascade(ctx, &api.CascadeInvalidateRequest{InvalidateAPIKeysRequest: opts.req, Cascade: true})
}
