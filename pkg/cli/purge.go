package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
)

type purgeOptions struct {
	f         *Factory
	out       outputFlags
	retention string
	dryRun    bool
}

// purgeResult is what purge prints: the API keys it removed (or, with
// --dry-run, would remove) and how many expired tokens it removed.
type purgeResult struct {
	RetentionPeriod string   `json:"retention_period"`
	Cutoff          int64    `json:"cutoff"`
	DryRun          bool     `json:"dry_run"`
	Count           int      `json:"count"`
	APIKeys         []string `json:"api_keys"`
	Tokens          *int     `json:"tokens,omitempty"`
}

func newPurgeCmd(f *Factory) *cobra.Command {
	opts := &purgeOptions{f: f}
	cmd := &cobra.Command{
		Use:   "purge [--retention-period 7d] [--dry-run]",
		Short: "Remove expired and invalidated API keys past their retention period (--db only)",
		Long: `Remove the API keys that have been expired or invalidated for longer than
the retention period, as Elasticsearch's remover does: a key goes when its
expiration is at or before now minus the period, or when it was invalidated
at or before then (or at an unknown time). Keys still inside their period
are never touched. Expired tokens older than 24 hours go too.

Works directly on a database file (--db): a running apikeyd removes them
itself, at start and then every --retention-interval. Removal runs in
batches of 1000 keys, each its own transaction. --dry-run lists what would
go and removes nothing.`,
		Example: `  apikeyctl --db /var/lib/apikeyd/apikeys.db purge
  apikeyctl --db keys.db purge --retention-period 1d --dry-run --field api_keys`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runPurge(cmd, opts) },
	}
	cmd.Flags().StringVar(&opts.retention, "retention-period", "7d", "keep expired and invalidated keys this long (Elasticsearch time value)")
	cmd.Flags().BoolVar(&opts.dryRun, "dry-run", false, "list the keys that would be removed, remove nothing")
	opts.out.register(cmd)
	return cmd
}

func runPurge(cmd *cobra.Command, opts *purgeOptions) error {
	f := opts.f
	retention, err := api.ParseTimeValue(opts.retention, "retention-period")
	if err != nil {
		return usageErrorf("--retention-period %q: %v", opts.retention, err)
	}
	if retention <= 0 {
		return usageErrorf("--retention-period %q: must be positive", opts.retention)
	}
	cfg, err := f.config()
	if err != nil {
		return err
	}
	if cfg.DB == "" {
		return usageErrorf("purge works on a database file: give --db FILE. A running apikeyd removes expired and invalidated keys itself (see its --retention-period and --retention-interval)")
	}
	p, err := f.LocalService(cmd.Context())
	if err != nil {
		return err
	}
	res := purgeResult{
		RetentionPeriod: opts.retention,
		Cutoff:          f.Now().Add(-retention).UnixMilli(),
		DryRun:          opts.dryRun,
	}
	ios := f.IOStreams
	ios.StartProgress("Removing expired and invalidated API keys")
	res.APIKeys, err = p.PurgeInactiveAPIKeys(cmd.Context(), retention, keyservice.PurgeOptions{
		DryRun: opts.dryRun,
		Progress: func(removed int) {
			ios.UpdateProgress(fmt.Sprintf("Removing expired and invalidated API keys (%d removed)", removed))
		},
	})
	if err == nil && !opts.dryRun {
		ios.UpdateProgress("Removing expired tokens")
		var n int
		n, err = p.PurgeExpiredTokens(cmd.Context())
		res.Tokens = &n
	}
	ios.StopProgress()
	if err != nil {
		return err
	}
	res.Count = len(res.APIKeys)
	return opts.out.print(f, res)
}
