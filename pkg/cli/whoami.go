package cli

import (
	"github.com/spf13/cobra"
)

type whoamiOptions struct {
	f   *Factory
	out outputFlags
}

func newWhoamiCmd(f *Factory) *cobra.Command {
	opts := &whoamiOptions{f: f}
	cmd := &cobra.Command{
		Use:   "whoami",
		Short: "Show who you are authenticated as",
		Long:  "Show the identity the target sees for you, as the Authenticate API returns it.",
		Example: `  apikeyctl whoami

  # the id of the API key in $KEY, asked of a cluster with its own CA
  APIKEYCTL_API_KEY=$KEY apikeyctl --url https://localhost:9200 --ca-cert http_ca.crt whoami --field api_key.id`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runWhoami(cmd, opts) },
	}
	opts.out.register(cmd)
	return cmd
}

func runWhoami(cmd *cobra.Command, opts *whoamiOptions) error {
	svc, err := opts.f.Service(cmd.Context())
	if err != nil {
		return err
	}
	resp, err := svc.Authenticate(cmd.Context())
	if err != nil {
		return err
	}
	return opts.out.print(opts.f, resp)
}
