package cli

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/backend"
	"github.com/apikeyctl/apikeyctl/pkg/browse"
)

type browseOptions struct {
	f        *Factory
	refresh  time.Duration
	pageSize int
	mouse    bool
}

func newBrowseCmd(f *Factory) *cobra.Command {
	opts := &browseOptions{f: f}
	cmd := &cobra.Command{
		Use:   "browse",
		Short: "Browse API keys in a full-screen terminal UI",
		Long: `Browse the keys of the target (the daemon, --db FILE or --url) in a
full-screen view: the key table as apikeyctl get shows it, loaded a page at
a time with search_after as you scroll, and reloaded every --refresh.

Keys: / filters as you type (name, owner, metadata values; esc clears);
: opens the query box, which takes the filter flags of apikeyctl query
(--name 'ci-*' --owner alice --expires-within 7d --metadata env=prod
--active, quoted as in a shell) or, starting with {, query DSL: a query
object, or a request body of which only "query" is used; enter runs it on
the server, esc closes the box, up and down walk this session's queries,
and an empty query shows every key again. s cycles the sort column, S
reverses it; r reloads; enter shows the key's card with the permissions it
is limited by; e updates the selected key's metadata (key=value pairs or a
JSON object, replacing the metadata as a whole) and expiration (a time
value such as 30d) after a y/N screen of what changes, as apikeyctl update
does; space marks keys; d invalidates the marked keys (or the selected
one) after a y/N question; c clones the selected key, asking for the
clone's name and the source key's encoded credential (not echoed), and
shows the new secret once, with y to copy it to the clipboard (OSC 52) and
w to write it to a new file (0600); ? shows every key; q quits.

The view uses the terminal's alternate screen, so nothing it showed stays
in the scrollback. It needs a terminal: on a pipe use get or query.`,
		Example: `  # A terminal gets the browser (reloading every 10s, with the mouse);
  # a pipe or cron gets the table of active keys instead
  if [ -t 0 ] && [ -t 1 ]; then apikeyctl browse --refresh 10s --mouse; else apikeyctl get --active-only; fi`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runBrowse(cmd, opts) },
	}
	fl := cmd.Flags()
	fl.DurationVar(&opts.refresh, "refresh", 30*time.Second, "reload the keys this often (0 never)")
	fl.IntVar(&opts.pageSize, "page-size", browse.DefaultPageSize, "keys asked for at a time")
	fl.BoolVar(&opts.mouse, "mouse", false, "use the mouse: the wheel scrolls, a click selects")
	return cmd
}

func runBrowse(cmd *cobra.Command, opts *browseOptions) error {
	ios := opts.f.IOStreams
	if !ios.IsStdoutTTY() || !ios.IsStdinTTY() {
		return usageErrorf("browse needs a terminal; use get or query on a pipe")
	}
	if opts.refresh < 0 {
		return usageErrorf("--refresh must not be negative")
	}
	if opts.pageSize < 1 || opts.pageSize > 10000 {
		return usageErrorf("--page-size must be between 1 and 10000")
	}
	cfg, err := opts.f.config()
	if err != nil {
		return err
	}
	svc, err := opts.f.Service(cmd.Context())
	if err != nil {
		return err
	}
	target := cfg.Socket
	switch {
	case cfg.DB != "":
		target = backend.DisplayName(cfg.DB)
	case cfg.URL != "":
		target = cfg.URL
	}
	apikeyd, err := isApikeyd(cmd.Context(), svc)
	if err != nil {
		return err
	}
	var lineage func(context.Context, string) (*api.APIKeyLineage, error)
	if l, ok := svc.(api.Lineage); ok && apikeyd {
		lineage = l.GetAPIKeyLineage
	}
	return browse.Run(cmd.Context(), browse.Options{
		Service:   svc,
		IOStreams: ios,
		Now:       opts.f.Now,
		Getenv:    opts.f.Getenv,
		Target:    target,
		Refresh:   opts.refresh,
		PageSize:  opts.pageSize,
		Mouse:     opts.mouse,
		LastUsed:  apikeyd,
		Lineage:   lineage,
	})
}
