package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

type getOptions struct {
	f   *Factory
	out outputFlags
	req api.GetAPIKeysRequest
	// withLastUsed asks apikeyd when each key was last used (req's
	// WithLastUsed once the target is known to be apikeyd).
	withLastUsed bool
	// withRestrictions asks apikeyd for the networks keys are bound to.
	withRestrictions bool
}

func newGetCmd(f *Factory) *cobra.Command {
	opts := &getOptions{f: f}
	cmd := &cobra.Command{
		Use:   "get [ID]",
		Short: "Get API keys",
		Long: `Get API keys by id, name or owner, as the Get API key API does.

Without filters it lists every key you may see. A name ending in * matches
a prefix. On a terminal the answer is a table (a card for one id); on a
pipe, the API's JSON.

--with-last-used adds when each key last authenticated, from where and how
often (a LAST USED column, a Usage line on the card, and apikeyd's fields
last_used, last_used_from and usage_count in the JSON). apikeyd records
it; against Elasticsearch the flag shows nothing.

--with-restrictions adds the client networks a key is bound to (an ALLOWED
FROM column, an "Allowed from" line on the card, allowed_networks in the
JSON), for the keys that are bound to some. apikeyd only.`,
		Example: `  apikeyctl get --name 'ci-*' --active-only
  apikeyctl get --owner --field id
  apikeyctl get 7Q2eJ5gBc8uQ3hY1Zk9w -o yaml
  apikeyctl get --with-last-used
  apikeyctl get 7Q2eJ5gBc8uQ3hY1Zk9w --with-restrictions`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageErrorf("get takes at most one key id")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return runGet(cmd, opts, args) },
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.req.ID, "id", "", "the key with this id")
	fl.StringVar(&opts.req.Name, "name", "", "keys with this name (* for all, trailing * for a prefix)")
	fl.StringVar(&opts.req.Username, "user", "", "keys owned by this user (the API's username)")
	fl.StringVar(&opts.req.RealmName, "realm", "", "keys owned in this realm (the API's realm_name)")
	fl.BoolVar(&opts.req.Owner, "owner", false, "only your own keys")
	fl.BoolVar(&opts.req.ActiveOnly, "active-only", false, "leave out invalidated and expired keys")
	fl.BoolVar(&opts.req.WithLimitedBy, "with-limited-by", false, "include the owner's permissions the key is limited by")
	fl.BoolVar(&opts.req.WithProfileUID, "with-profile-uid", false, "include the owner's profile uid")
	fl.BoolVar(&opts.withLastUsed, "with-last-used", false, "include when each key was last used, from where and how often (apikeyd)")
	fl.BoolVar(&opts.withRestrictions, "with-restrictions", false, "include the client networks each key is bound to (apikeyd)")
	opts.out.register(cmd)
	cmd.ValidArgsFunction = completeKeyIDs(f, false)
	_ = cmd.RegisterFlagCompletionFunc("id", completeKeyIDs(f, false))
	_ = cmd.RegisterFlagCompletionFunc("name", completeKeys(f, "name", false))
	return cmd
}

func runGet(cmd *cobra.Command, opts *getOptions, args []string) error {
	if len(args) == 1 {
		if opts.req.ID != "" && opts.req.ID != args[0] {
			return usageErrorf("give the id either as an argument or with --id, not both")
		}
		opts.req.ID = args[0]
	}
	svc, err := opts.f.Service(cmd.Context())
	if err != nil {
		return err
	}
	if opts.withLastUsed {
		if opts.req.WithLastUsed, err = askLastUsed(cmd.Context(), opts.f, svc); err != nil {
			return err
		}
	}
	if opts.withRestrictions {
		if opts.req.WithRestrictions, err = askRestrictions(cmd.Context(), opts.f, svc); err != nil {
			return err
		}
	}
	resp, err := svc.GetAPIKeys(cmd.Context(), &opts.req)
	if err != nil {
		return err
	}
	opts.out.opts.Detail = opts.req.ID != ""
	if err := opts.out.print(opts.f, resp); err != nil {
		return err
	}
	if opts.req.ID != "" && len(resp.APIKeys) == 0 {
		return &NotFoundError{Msg: fmt.Sprintf("no API key with id [%s]", opts.req.ID)}
	}
	return nil
}
