package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/output"
)

type rotateOptions struct {
	f           *Factory
	out         outputFlags
	secret      secretFlags
	grace       string
	untilUnused string
	query       bool
	yes         bool
	allowFrom   allowFromFlags
	// networks is the successor's list from the allow-from flags; nil
	// inherits the old key's.
	networks []string
	// sel holds query's filter flags, which select the keys of --query.
	sel queryOptions
}

func newRotateCmd(f *Factory) *cobra.Command {
	opts := &rotateOptions{f: f, sel: queryOptions{f: f, all: true, pageSize: queryPageSize}}
	cmd := &cobra.Command{
		Use:   "rotate ID | rotate --query FILTERS...",
		Short: "Rotate an API key: a successor now, the old key ends after a grace period",
		Long: `Rotate an API key (an apikeyd feature): in one transaction, create its
successor with every attribute of the old key (name, metadata, role
descriptors, limited-by, owner, type; an expiration as far from now as the
old key's was from its creation, none if it had none), link the two, and
set the old key to expire at the end of the grace period (never later than
it already would). Both keys work during the grace: deploy the new
credential, then let the old one lapse.

The new secret is shown once, as create shows it (-o json and --field
encoded as well), with when the old key stops working; --secret-out and
--secret-format send it elsewhere, as for create.

--until-unused D ends the old key earlier: once it has gone unused for D
after the successor's first use (D positive, not longer than --grace).
apikeyd applies it as it writes the uses of keys (--last-used-interval),
by setting the old key's expiration; with that recording off, the old key
ends at the end of the grace.

A key that was already rotated, while its successor is still active, is
refused: rotate the successor. An invalidated or expired key is refused.

The successor is bound to the networks of the old key, if any; --allow-from
binds it to others instead, --clear-allow-from to none.

--query rotates every key the filter flags select (the flags of apikeyctl
query: --name, --owner, --expires-within ...): one result per key, errors
per key, exit 6 if any failed. On a terminal it asks first (--yes does not).`,
		Example: `  # rotate a key, the old one keeps working for an hour
  apikeyctl rotate 7Q2eJ5gBc8uQ3hY1Zk9w --grace 1h --field encoded

  # end the old key 30 minutes after it was last used once the new one is in use
  apikeyctl rotate 7Q2eJ5gBc8uQ3hY1Zk9w --grace 24h --until-unused 30m -o json

  # rotate every key named ci-* that expires within a week
  apikeyctl rotate --query --name 'ci-*' --expires-within 7d --yes --field successor.encoded`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageErrorf("rotate takes one key id, got %d: rotate each, or select them with --query", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return runRotate(cmd, opts, args) },
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.grace, "grace", api.DefaultGrace, "how long (`DURATION`) the old key keeps working beside its successor; 0 ends it now")
	fl.StringVar(&opts.untilUnused, "until-unused", "", "end the old key once unused for `DURATION` after the successor's first use (e.g. 30m)")
	fl.BoolVar(&opts.query, "query", false, "rotate every key the filter flags select")
	fl.BoolVarP(&opts.yes, "yes", "y", false, "with --query, do not ask before rotating")
	opts.allowFrom.register(cmd, "the successor", true)
	opts.sel.filters.Register(fl)
	opts.secret.register(cmd)
	opts.out.register(cmd)
	cmd.ValidArgsFunction = completeKeyIDs(f, true)
	return cmd
}

// filterFlags are the flags that select keys for --query.
var filterFlags = []string{"name", "owner", "realm", "type", "active", "expired", "invalidated", "expires-within", "created-before", "created-after", "metadata", "unused-for"}

func runRotate(cmd *cobra.Command, opts *rotateOptions, args []string) error {
	var filters []string
	for _, name := range filterFlags {
		if cmd.Flags().Changed(name) {
			filters = append(filters, "--"+name)
		}
	}
	switch {
	case opts.query && len(args) > 0:
		return usageErrorf("rotate takes a key id or --query, not both")
	case opts.query && len(filters) == 0:
		return usageErrorf("rotate --query needs a filter that selects the keys, such as --name or --expires-within (--name '*' for every key)")
	case !opts.query && len(filters) > 0:
		return usageErrorf("%s selects keys with --query: rotate --query %s ...", filters[0], filters[0])
	case !opts.query && len(args) == 0:
		return usageErrorf("rotate needs the id of the key to rotate, or --query and filter flags")
	case opts.query && opts.secret.asked():
		return usageErrorf("--secret-out and --secret-format take the secret of one key: --query rotates many (their secrets are in the answer)")
	}
	var err error
	if opts.networks, err = opts.allowFrom.list(cmd); err != nil {
		return err
	}
	var b queryBody
	if opts.query {
		if _, b, err = opts.sel.body(); err != nil {
			return err
		}
	}
	admin, err := opts.f.Admin(cmd.Context())
	if err != nil {
		return err
	}
	if opts.query {
		return rotateQuery(cmd, opts, admin, b)
	}
	return opts.secret.deliverWith(cmd.Context(), opts.f, &opts.out, func(ctx context.Context) (any, *api.CreateAPIKeyResponse, error) {
		resp, err := admin.RotateAPIKey(ctx, opts.request(args[0]))
		if err != nil {
			return nil, nil, err
		}
		return resp, &resp.CreateAPIKeyResponse, nil
	})
}

// request is the rotate request of the key id.
func (opts *rotateOptions) request(id string) *api.RotateAPIKeyRequest {
	req := &api.RotateAPIKeyRequest{ID: id, Grace: &opts.grace}
	if opts.untilUnused != "" {
		req.UntilUnused = &opts.untilUnused
	}
	if opts.networks != nil {
		req.AllowedNetworks = &opts.networks
	}
	return req
}

// rotateResult is one key's result of rotate --query: its successor, or
// why it was not rotated.
type rotateResult struct {
	// ID is the key rotated.
	ID        string                    `json:"id"`
	Successor *api.RotateAPIKeyResponse `json:"successor,omitempty"`
	Error     *api.Error                `json:"error,omitempty"`
}

// errNotRotated is a rotate --query the user did not confirm.
var errNotRotated = errors.New("no key was rotated (--yes rotates without asking)")

// rotateQuery rotates every key the query body b (built from the filter
// flags) selects, one request per key, and prints one result per key: on a terminal each successor's card
// (or the error), elsewhere the list of results.
func rotateQuery(cmd *cobra.Command, opts *rotateOptions, admin api.Admin, b queryBody) error {
	ctx := cmd.Context()
	svc, err := opts.f.Service(ctx)
	if err != nil {
		return err
	}
	// Elasticsearch would refuse every key alike: say it once.
	if ok, err := isApikeyd(ctx, svc); err != nil {
		return err
	} else if !ok {
		return api.Errorf(api.Invalid, "rotation is an apikeyd feature and the target is Elasticsearch: create the successors with apikeyctl clone or create, then set the old keys' expiration with apikeyctl bulk-update --expiration")
	}
	// --unused-for filters on the last use apikeyd records, which a
	// query shows only when asked.
	req := &api.QueryAPIKeysRequest{WithLastUsed: opts.sel.filters.UnusedFor != ""}
	found, err := queryAll(cmd, &opts.sel, svc, req, b)
	if err != nil {
		return err
	}
	ios := opts.f.IOStreams
	if len(found.APIKeys) == 0 {
		fmt.Fprintln(ios.ErrOut, "note: no API key matches: nothing to rotate")
		return nil
	}
	if !opts.yes && ios.IsStdinTTY() && ios.IsStderrTTY() {
		ok, err := opts.f.confirm(ctx, fmt.Sprintf("Rotate %d API key(s), each old key ending after %s? [y/N] ", len(found.APIKeys), opts.grace))
		if err != nil {
			return err
		}
		if !ok {
			return errNotRotated
		}
	}
	results, failed, err := rotateEach(ctx, opts, admin, found.APIKeys)
	if err != nil {
		return err
	}
	out := opts.out
	out.opts.Render = func(t *output.Terminal) error { return renderRotations(t, results) }
	if err := out.print(opts.f, results); err != nil {
		return err
	}
	if failed > 0 {
		return &PartialError{Msg: fmt.Sprintf("%d of %d API key(s) could not be rotated", failed, len(results))}
	}
	return nil
}

// rotateEach rotates keys one by one; a refusal is that key's result, any
// other failure (the target unreachable, Ctrl-C) stops the work.
func rotateEach(ctx context.Context, opts *rotateOptions, admin api.Admin, keys []api.APIKey) ([]rotateResult, int, error) {
	results := make([]rotateResult, 0, len(keys))
	failed := 0
	for _, k := range keys {
		resp, err := admin.RotateAPIKey(ctx, opts.request(k.ID))
		if err != nil {
			e, ok := api.AsError(err)
			if !ok {
				return nil, 0, fmt.Errorf("%w (after %d of %d keys)", err, len(results), len(keys))
			}
			results = append(results, rotateResult{ID: k.ID, Error: e})
			failed++
			continue
		}
		results = append(results, rotateResult{ID: k.ID, Successor: resp})
	}
	return results, failed, nil
}

// renderRotations shows each successor as rotate shows one, and each
// refusal as a line naming the key.
func renderRotations(t *output.Terminal, results []rotateResult) error {
	for i, r := range results {
		if i > 0 && t.TTY {
			fmt.Fprintln(t.Out)
		}
		if r.Error != nil {
			fmt.Fprintf(t.Out, "%s %s: %s\n", t.Styles.Error.Render("✗ not rotated"), r.ID, r.Error.Reason)
			continue
		}
		if err := t.Render(r.Successor); err != nil {
			return err
		}
	}
	return nil
}
