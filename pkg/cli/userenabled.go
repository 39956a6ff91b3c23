package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

type userSetEnabledOptions struct {
	f       *Factory
	enabled bool
}

// newUserSetEnabledCmd is `user enable` (enabled true) or `user disable`.
func newUserSetEnabledCmd(f *Factory, enabled bool) *cobra.Command {
	opts := &userSetEnabledOptions{f: f, enabled: enabled}
	cmd := &cobra.Command{
		Use:   "enable USERNAME",
		Short: "Enable a native user",
		Long: `Enable a disabled native user: its password and its access tokens work again.
Needs manage_security; nobody may enable or disable their own account.`,
		Example: "  apikeyctl user enable bob",
		Args:    exactArgs(1, "a USERNAME"),
		RunE:    func(cmd *cobra.Command, args []string) error { return runUserSetEnabled(cmd, opts, args) },
	}
	if !enabled {
		cmd.Use = "disable USERNAME"
		cmd.Short = "Disable a native user"
		cmd.Long = `Disable a native user: it can no longer authenticate with its password nor with
its access tokens, from the next request on. Its API keys keep working, as in
Elasticsearch: invalidate them with "apikeyctl invalidate --user NAME".
Needs manage_security; nobody may enable or disable their own account.`
		cmd.Example = "  # lock out a user who left; \"apikeyctl user enable bob\" lets them back in\n  apikeyctl user disable bob"
	}
	return cmd
}

func runUserSetEnabled(cmd *cobra.Command, opts *userSetEnabledOptions, args []string) error {
	username := args[0]
	svc, err := opts.f.Service(cmd.Context())
	if err != nil {
		return err
	}
	if err := svc.SetUserEnabled(cmd.Context(), username, opts.enabled); err != nil {
		return err
	}
	verb := "disabled"
	if opts.enabled {
		verb = "enabled"
	}
	fmt.Fprintf(opts.f.IOStreams.ErrOut, "User %s %s.\n", username, verb)
	return nil
}

type userPrivilegesOptions struct {
	f   *Factory
	out outputFlags
}

func newUserPrivilegesCmd(f *Factory) *cobra.Command {
	opts := &userPrivilegesOptions{f: f}
	cmd := &cobra.Command{
		Use:   "privileges",
		Short: "List your own privileges",
		Long: `List the privileges you hold, as the get user privileges API answers: cluster
privileges, index and application privileges and run_as, merged over your
roles. With an API key that has role descriptors of its own the target
refuses, as Elasticsearch does: read the key with "apikeyctl get" instead.`,
		Example: `  apikeyctl user privileges

  # only the cluster privileges
  apikeyctl user privileges --jq '.cluster[]'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runUserPrivileges(cmd, opts) },
	}
	opts.out.register(cmd)
	return cmd
}

func runUserPrivileges(cmd *cobra.Command, opts *userPrivilegesOptions) error {
	svc, err := opts.f.Service(cmd.Context())
	if err != nil {
		return err
	}
	resp, err := svc.GetUserPrivileges(cmd.Context())
	if err != nil {
		return err
	}
	return opts.out.print(opts.f, resp)
}
