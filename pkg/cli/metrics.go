package cli

import (
	"context"

	"github.com/spf13/cobra"
)

type metricsOptions struct {
	f *Factory
}

func newMetricsCmd(f *Factory) *cobra.Command {
	opts := &metricsOptions{f: f}
	cmd := &cobra.Command{
		Use:   "metrics",
		Short: "Print apikeyd's metrics in the Prometheus text format",
		Long: `Print apikeyd's metrics, as Prometheus scrapes them from
GET /_apikeyd/metrics, in the Prometheus text format, unchanged: API keys by
type and state (active, expired, invalidated, expiring within 7 days),
authentications by scheme and outcome, request latency by route, the hits,
misses and evictions of the authentication caches, the brake on failed
authentication, and the store (size, group-commit batch sizes, write queue).

Against the daemon they are the daemon's, and need the monitor cluster
privilege (or manage, or all); apikeyd --metrics-unauthenticated-loopback
serves them to local scrapers without credentials. With --db they are read
from the database file: the keys, the store and the caches of this command,
without the counters of requests and authentications, which only a daemon
has.`,
		Example: `  apikeyctl metrics

  # keys about to expire, from the daemon and from a copy of the database
  apikeyctl metrics | grep '^apikeyd_api_keys{state="expiring"'
  apikeyctl backup copy.db
  apikeyctl --db copy.db metrics | grep '^apikeyd_store_size_bytes'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runMetrics(cmd.Context(), opts) },
	}
	return cmd
}

func runMetrics(ctx context.Context, opts *metricsOptions) error {
	admin, err := opts.f.Admin(ctx)
	if err != nil {
		return err
	}
	m, err := admin.Metrics(ctx)
	if err != nil {
		return err
	}
	_, err = opts.f.IOStreams.Out.Write(m.Text)
	return err
}
