package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/keyflags"
	"github.com/apikeyctl/apikeyctl/pkg/output"
)

// ExpiringError is expiring's answer that some keys expire within the
// window: not a failure, but what a cron job or a CI step tests for
// (ExitExpiring).
type ExpiringError struct {
	Count  int
	Within string
}

func (e *ExpiringError) Error() string {
	if e.Count == 1 {
		return fmt.Sprintf("1 API key expires within %s", e.Within)
	}
	return fmt.Sprintf("%d API keys expire within %s", e.Count, e.Within)
}

type expiringOptions struct {
	f   *Factory
	out outputFlags

	within, owner, realm, name string
}

func newExpiringCmd(f *Factory) *cobra.Command {
	opts := &expiringOptions{f: f}
	cmd := &cobra.Command{
		Use:   "expiring [--within DURATION]",
		Short: "List the keys that expire soon; exit 8 when there are any",
		Long: `List the active API keys (neither invalidated nor expired) that expire
within --within, soonest first: on a terminal the table of get, times
relative; on a pipe the JSON of query ({"total", "count", "api_keys"}).
Every matching key is listed (paged like query --all).

Exits 8 when at least one key expires within the window, 0 when none
does, so that a cron job or a CI step can act on it; any other failure
exits as usual (1, 4, 5, 7...).

It runs through the Query API keys API: it works against apikeyd, a --db
file and an Elasticsearch cluster alike. Durations take the units of
Elasticsearch date math: s, m, h, d, w, M, y.`,
		Example: `  # in cron or CI: exit 8 means that keys expire within two weeks
  status=0
  apikeyctl expiring --within 14d --field id > expiring.txt || status=$?
  case $status in 0) echo "no key expires soon" ;; 8) echo "rotate: $(cat expiring.txt)" ;; *) exit $status ;; esac

  apikeyctl expiring --within 7d --owner alice -o json || test $? -eq 8
  apikeyctl expiring --within 30d --realm default_native --name 'ci-*' || test $? -eq 8`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runExpiring(cmd, opts) },
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.within, "within", "14d", "list the keys that expire within this `DURATION` (7d, 12h, 2w)")
	fl.StringVar(&opts.owner, "owner", "", "only keys owned by `USER`")
	fl.StringVar(&opts.realm, "realm", "", "only keys owned in `REALM`")
	fl.StringVar(&opts.name, "name", "", "only keys whose name matches `PATTERN` (* and ? are wildcards)")
	opts.out.register(cmd)
	return cmd
}

func runExpiring(cmd *cobra.Command, opts *expiringOptions) error {
	if err := keyflags.CheckDuration("within", opts.within, "14d"); err != nil {
		return &UsageError{Err: err}
	}
	q := &queryOptions{
		f:       opts.f,
		filters: keyflags.Filters{Name: opts.name, Owner: opts.owner, Realm: opts.realm, ExpiresWithin: opts.within},
		sorts:   []string{"expiration:asc"}, all: true, pageSize: queryPageSize,
	}
	raw, b, err := q.body()
	if err != nil {
		return err
	}
	svc, err := opts.f.Service(cmd.Context())
	if err != nil {
		return err
	}
	resp, err := queryAll(cmd, q, svc, &api.QueryAPIKeysRequest{Body: raw}, b)
	if err != nil {
		return err
	}
	// The sort values are the expirations the keys show already.
	for i := range resp.APIKeys {
		resp.APIKeys[i].Sort = nil
	}
	o := opts.out
	o.opts.Render = func(t *output.Terminal) error { return t.Render(resp.APIKeys) }
	if err := o.print(opts.f, resp); err != nil {
		return err
	}
	if len(resp.APIKeys) > 0 {
		return &ExpiringError{Count: len(resp.APIKeys), Within: opts.within}
	}
	return nil
}
