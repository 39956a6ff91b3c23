package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
	"github.com/apikeyctl/apikeyctl/pkg/output"
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
go and removes nothing.

On a terminal purge prints a summary: how many keys went, by reason
(expired, invalidated), and how many tokens. The removed ids are printed
on a pipe, with -o json or yaml, or one a line with --field api_keys.`,
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
	// Parsed before the command ran (checkTimeValueFlags); the default
	// parses.
	retention, _ := api.ParseTimeValue(opts.retention, "retention-period")
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
	// The summary of a terminal counts the keys by reason, before they go:
	// the removal returns their ids only.
	var reasons purgeReasons
	opts.out.opts.Render = func(t *output.Terminal) error { return purgeSummary(t, res, reasons) }
	if ios.IsStdoutTTY() {
		if reasons, err = countPurgeReasons(cmd.Context(), p, res.Cutoff); err != nil {
			return err
		}
	}
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

// purgeReasons counts the keys due for removal by reason.
type purgeReasons struct{ expired, invalidated int }

// inactiveInvalidated is the query of the keys due for removal because
// they were invalidated at or before cutoff (or at an unknown instant).
func inactiveInvalidated(cutoff int64) map[string]any {
	return map[string]any{"bool": map[string]any{
		"filter": []any{map[string]any{"term": map[string]any{"invalidated": true}}},
		"should": []any{
			map[string]any{"range": map[string]any{"invalidation": map[string]any{"lte": cutoff}}},
			map[string]any{"bool": map[string]any{"must_not": map[string]any{"exists": map[string]any{"field": "invalidation"}}}},
		},
		"minimum_should_match": 1,
	}}
}

// countPurgeReasons counts the keys purge would remove at cutoff: those
// invalidated before it, and those expired before it (and not counted as
// invalidated), by the remover's rule.
func countPurgeReasons(ctx context.Context, svc api.Service, cutoff int64) (purgeReasons, error) {
	count := func(q map[string]any) (int, error) {
		body, err := json.Marshal(map[string]any{"size": 0, "query": q})
		if err != nil {
			return 0, err
		}
		resp, err := svc.QueryAPIKeys(ctx, &api.QueryAPIKeysRequest{Body: body})
		if err != nil {
			return 0, err
		}
		return resp.Total, nil
	}
	var r purgeReasons
	var err error
	if r.invalidated, err = count(inactiveInvalidated(cutoff)); err != nil {
		return r, err
	}
	r.expired, err = count(map[string]any{"bool": map[string]any{
		"filter":   []any{map[string]any{"range": map[string]any{"expiration": map[string]any{"lte": cutoff}}}},
		"must_not": []any{inactiveInvalidated(cutoff)},
	}})
	return r, err
}

// purgeSummary is purge on a terminal: counts, not 30,000 ids. The
// reasons are left out when they do not add up to what was removed (keys
// changed meanwhile).
func purgeSummary(t *output.Terminal, res purgeResult, r purgeReasons) error {
	verb := "Removed"
	if res.DryRun {
		verb = "Would remove"
	}
	cutoff := time.UnixMilli(res.Cutoff).UTC().Format(time.RFC3339)
	fmt.Fprintf(t.Out, "%s %s expired or invalidated before %s (retention period %s)", verb, plural(res.Count, "API key"), cutoff, res.RetentionPeriod)
	if res.Count > 0 && r.expired+r.invalidated == res.Count {
		fmt.Fprintf(t.Out, ": %d expired, %d invalidated", r.expired, r.invalidated)
	}
	fmt.Fprintln(t.Out)
	if res.Tokens != nil {
		fmt.Fprintf(t.Out, "%s %s\n", verb, plural(*res.Tokens, "expired token"))
	}
	if res.Count > 0 {
		t.Hint("List the ids with --field api_keys or -o json.")
	}
	return nil
}
