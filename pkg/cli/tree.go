package cli

import (
	"github.com/spf13/cobra"
)

type treeOptions struct {
	f   *Factory
	out outputFlags
}

func newTreeCmd(f *Factory) *cobra.Command {
	opts := &treeOptions{f: f}
	cmd := &cobra.Command{
		Use:   "tree ID",
		Short: "Draw an API key's family: where it came from and what came of it",
		Long: `Draw the lineage of an API key (an apikeyd feature): the keys it descends
from, up to the eldest, and every key made from it since, each a clone of
its parent or its parent's successor by rotation. Each key shows its
relation, id, name and status, coloured as get colours it; the key asked
for is in bold. -o json gives the structure: {"api_key", "ancestors",
"descendants"}, each key naming its parent.`,
		Example: `  apikeyctl tree 7Q2eJ5gBc8uQ3hY1Zk9w
  apikeyctl tree 7Q2eJ5gBc8uQ3hY1Zk9w -o json`,
		Args: exactArgs(1, "the id of the key whose family to draw"),
		RunE: func(cmd *cobra.Command, args []string) error { return runTree(cmd, opts, args[0]) },
	}
	opts.out.register(cmd)
	cmd.ValidArgsFunction = completeKeyIDs(f, false)
	return cmd
}

func runTree(cmd *cobra.Command, opts *treeOptions, id string) error {
	admin, err := opts.f.Admin(cmd.Context())
	if err != nil {
		return err
	}
	resp, err := admin.GetAPIKeyLineage(cmd.Context(), id)
	if err != nil {
		return err
	}
	return opts.out.print(opts.f, resp)
}
