package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

type inspectOptions struct {
	f             *Factory
	out           outputFlags
	withLimitedBy bool
}

func newInspectCmd(f *Factory) *cobra.Command {
	opts := &inspectOptions{f: f}
	cmd := &cobra.Command{
		Use:   "inspect ID...",
		Short: "Show API keys in full, as cards",
		Long: `Show API keys by id in full. On a terminal each key is a card: status,
owner, times, metadata, and its role descriptors as a tree. On a pipe the
answer is the API's JSON, as 'get --id' prints it, with every key named.

Exits 3 when an id is unknown; the keys that were found are still shown.`,
		Example: `  # one key's card
  apikeyctl inspect 7Q2eJ5gBc8uQ3hY1Zk9w

  # with the owner's permissions the key is limited by, as YAML
  apikeyctl inspect 7Q2eJ5gBc8uQ3hY1Zk9w --with-limited-by -o yaml

  # the cards of every key named ci-*
  apikeyctl get --name 'ci-*' --field id | xargs -r apikeyctl inspect`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErrorf("inspect needs at least one key ID; list them with 'apikeyctl get --field id'")
			}
			return nil
		},
		ValidArgsFunction: completeKeyIDs(f, false),
		RunE:              func(cmd *cobra.Command, args []string) error { return runInspect(cmd, opts, args) },
	}
	cmd.Flags().BoolVar(&opts.withLimitedBy, "with-limited-by", false, "include the owner's permissions the key is limited by")
	opts.out.register(cmd)
	return cmd
}

func runInspect(cmd *cobra.Command, opts *inspectOptions, ids []string) error {
	svc, err := opts.f.Service(cmd.Context())
	if err != nil {
		return err
	}
	// The card on a terminal says when the key was last used and the
	// networks it is bound to, where the target is apikeyd; what a pipe
	// gets stays get's answer.
	lastUsed := false
	if opts.f.IOStreams.IsStdoutTTY() {
		if lastUsed, err = isApikeyd(cmd.Context(), svc); err != nil {
			return err
		}
	}
	all := &api.GetAPIKeysResponse{APIKeys: []api.APIKey{}}
	var missing []string
	for _, id := range ids {
		resp, err := svc.GetAPIKeys(cmd.Context(), &api.GetAPIKeysRequest{ID: id, WithLimitedBy: opts.withLimitedBy, WithLastUsed: lastUsed, WithRestrictions: lastUsed})
		if err != nil {
			return err
		}
		if len(resp.APIKeys) == 0 {
			missing = append(missing, id)
		}
		all.APIKeys = append(all.APIKeys, resp.APIKeys...)
	}
	opts.out.opts.Detail = true
	if err := opts.out.print(opts.f, all); err != nil {
		return err
	}
	if len(missing) > 0 {
		return &NotFoundError{Msg: fmt.Sprintf("no API key with id [%s]", strings.Join(missing, "], ["))}
	}
	return nil
}
