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

They are the daemon's, and need the monitor cluster privilege (or manage,
or all); apikeyd --metrics-unauthenticated-loopback serves them to local
scrapers without credentials. With --db there is no daemon and no metrics:
count keys by state with apikeyctl query or expiring instead.`,
		Example: `  apikeyctl metrics

  # keys about to expire, and the failed authentications by class
  apikeyctl metrics | grep '^apikeyd_api_keys{state="expiring"'
  apikeyctl metrics | grep '^apikeyd_authentications_total{outcome="[a-z_]*",scheme="apikey"}'`,
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
