package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/keyflags"
	"github.com/apikeyctl/apikeyctl/pkg/output"
)

// byQueryFlags are the flags of invalidate --query: the selection flags
// of apikeyctl query (compiled by its code) and the plan's guards.
type byQueryFlags struct {
	on          bool
	filters     keyflags.Filters
	queryJSON   string
	dryRun      bool
	expectCount int
	plan        string
	yes         bool
	maxKeys     int
}

// byQueryOnly are the flags that mean something only with --query.
var byQueryOnly = []string{"dry-run", "expect-count", "plan", "yes", "max-keys",
	"type", "active", "expired", "expires-within", "created-before", "created-after", "metadata", "unused-for", "query-json"}

// byQueryShared are the filter flags of query that invalidate has of its
// own: --name, --realm and, as --user, --owner (a bool for invalidate).
// --invalidated selects nothing a plan holds.
var byQueryShared = map[string]bool{"name": true, "owner": true, "realm": true, "invalidated": true}

func (q *byQueryFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.BoolVar(&q.on, "query", false, "select the keys with a query, as apikeyctl query does (apikeyd or --db): --name, --user, --realm and query's filters (--active, --created-*, --expired, --expires-within, --metadata, --type, --unused-for, --query-json)")
	filters := pflag.NewFlagSet("filters", pflag.ContinueOnError)
	q.filters.Register(filters)
	filters.VisitAll(func(f *pflag.Flag) {
		if !byQueryShared[f.Name] {
			fl.AddFlag(f)
		}
	})
	fl.StringVar(&q.queryJSON, "query-json", "", "with --query: a body from `FILE` (- for stdin) whose query selects the keys, as query's --query-json")
	_ = cmd.RegisterFlagCompletionFunc("type", cobra.FixedCompletions([]string{"rest", "cross_cluster"}, cobra.ShellCompDirectiveNoFileComp))
	fl.BoolVar(&q.dryRun, "dry-run", false, "with --query: list the keys the query would invalidate and the plan's digest; change nothing")
	fl.IntVar(&q.expectCount, "expect-count", 0, "with --query: invalidate only if the query still matches `N` keys")
	fl.StringVar(&q.plan, "plan", "", "with --query: invalidate only if the keys are still those of the plan `DIGEST` a --dry-run printed")
	fl.BoolVarP(&q.yes, "yes", "y", false, "with --query: invalidate the keys the query matches now without asking")
	fl.IntVar(&q.maxKeys, "max-keys", 0, "with --query: refuse a query that matches more than `N` keys (default 100000)")
}

// errInvalidateNotConfirmed is an invalidate by query the user declined.
var errInvalidateNotConfirmed = errors.New("nothing was invalidated (--yes invalidates without asking)")

// checkFlags refuses the --query flags without --query, and what does
// not go with it.
func (q *byQueryFlags) checkFlags(cmd *cobra.Command, args []string, owner bool) error {
	fl := cmd.Flags()
	if !q.on {
		for _, name := range byQueryOnly {
			if fl.Changed(name) {
				return usageErrorf("--%s selects or guards an invalidate by query: add --query", name)
			}
		}
		return nil
	}
	switch {
	case len(args) > 0 || fl.Changed("id"):
		return usageErrorf("--query selects the keys itself: give no key ids (drop --query to invalidate by id)")
	case fl.Changed("cascade"):
		return usageErrorf("--cascade does not combine with --query: invalidate by query takes the keys the query matches, and no others")
	case owner:
		return usageErrorf("--owner is not a query filter: select your own keys with --user NAME (and --realm), as apikeyctl query --owner does")
	case fl.Changed("expect-count") && q.expectCount < 0:
		return usageErrorf("invalid --expect-count %d: it cannot be negative", q.expectCount)
	case q.plan != "" && !api.IsPlanDigest(q.plan):
		return usageErrorf("invalid --plan %q: give the digest a --dry-run printed (sha256: and 64 hex digits)", q.plan)
	case q.maxKeys < 0:
		return usageErrorf("invalid --max-keys %d: it cannot be negative", q.maxKeys)
	}
	return nil
}

// clause compiles the selection to the query clause sent: the filter
// flags, by query's own code (keyflags), narrowing the query of
// --query-json.
func (q *byQueryFlags) clause(f *Factory, req *api.InvalidateAPIKeysRequest) (json.RawMessage, error) {
	q.filters.Name, q.filters.Owner, q.filters.Realm = req.Name, req.Username, req.RealmName
	var must json.RawMessage
	if q.queryJSON != "" {
		data, err := readFileOrStdin(f, q.queryJSON)
		if err != nil {
			return nil, err
		}
		var b map[string]json.RawMessage
		if len(bytes.TrimSpace(data)) > 0 {
			if err := json.Unmarshal(data, &b); err != nil {
				return nil, usageErrorf("--query-json: the body is not a JSON object (%v)", err)
			}
		}
		for k := range b {
			if k != "query" {
				return nil, usageErrorf("--query-json: invalidate --query takes a body with a query alone, and %q selects no keys", k)
			}
		}
		must = b["query"]
	}
	built, err := q.filters.Query(must)
	if err != nil {
		return nil, &UsageError{Err: err}
	}
	if built == nil {
		return must, nil
	}
	return json.Marshal(built)
}

// runInvalidateByQuery invalidates the keys a query matches, through
// apikeyd's invalidate by query: a dry run lists them with the plan's
// digest; a real run is guarded by --expect-count or --plan, or, without
// them, by a dry run made first whose plan the run must still match
// (after a y/N on a terminal, unless --yes). A plan that changed is
// refused, nothing invalidated (exit 9).
func runInvalidateByQuery(cmd *cobra.Command, opts *invalidateOptions) error {
	q := &opts.byQuery
	ctx := cmd.Context()
	clause, err := q.clause(opts.f, &opts.req)
	if err != nil {
		return err
	}
	req := &api.InvalidateByQueryRequest{Query: clause, DryRun: q.dryRun, Plan: q.plan, MaxKeys: q.maxKeys}
	if cmd.Flags().Changed("expect-count") {
		req.ExpectCount = &q.expectCount
	}
	ios := opts.f.IOStreams
	if !q.dryRun && req.ExpectCount == nil && req.Plan == "" && !q.yes && !ios.IsStdinTTY() {
		return usageErrorf("invalidate --query from a script needs --expect-count N or --plan DIGEST (from --dry-run), or --yes to invalidate what the query matches now")
	}
	admin, err := opts.f.Admin(ctx)
	if err != nil {
		return err
	}
	if q.dryRun {
		resp, err := admin.InvalidateAPIKeysByQuery(ctx, req)
		if err != nil {
			return err
		}
		return printPlan(cmd, opts, resp)
	}
	if req.ExpectCount == nil && req.Plan == "" {
		// The plan of a dry run guards the run: keys that join or leave
		// the set meanwhile are not invalidated silently.
		dry := *req
		dry.DryRun = true
		plan, err := admin.InvalidateAPIKeysByQuery(ctx, &dry)
		if err != nil {
			return err
		}
		if !q.yes && plan.Count > 0 {
			ok, err := opts.f.confirm(ctx, fmt.Sprintf("Invalidate %s matching the query (plan %s)? [y/N] ", countKeys(plan.Count), plan.Plan))
			if err != nil {
				return err
			}
			if !ok {
				return errInvalidateNotConfirmed
			}
		}
		req.Plan = plan.Plan
	}
	resp, err := admin.InvalidateAPIKeysByQuery(ctx, req)
	if err != nil {
		return err
	}
	o := opts.out.opts
	o.Now = opts.f.Now
	o.Render = func(t *output.Terminal) error {
		if err := t.Render(resp.InvalidateAPIKeysResponse); err != nil {
			return err
		}
		if t.TTY {
			_, err := fmt.Fprintf(t.Out, "plan: %s, digest %s\n", countKeys(resp.Count), resp.Plan)
			return err
		}
		return nil
	}
	if err := output.Write(ios, o, resp); err != nil {
		return err
	}
	if resp.InvalidateAPIKeysResponse != nil && resp.ErrorCount > 0 {
		return &PartialError{Msg: fmt.Sprintf("%d API key(s) matching the query could not be invalidated", resp.ErrorCount)}
	}
	return nil
}

func countKeys(n int) string {
	if n == 1 {
		return "1 key"
	}
	return fmt.Sprintf("%d keys", n)
}

// printPlan writes a dry run: on a terminal the keys as a table, the plan
// line and the command that carries it out; elsewhere the answer's JSON,
// the plan line and the command going to stderr (unless --field, --jq or
// --template picked what to print).
func printPlan(cmd *cobra.Command, opts *invalidateOptions, resp *api.InvalidateByQueryResponse) error {
	apply := applyCommand(cmd, resp.Plan)
	o := opts.out.opts
	o.Now = opts.f.Now
	o.Render = func(t *output.Terminal) error {
		rows := make([][]string, len(resp.APIKeys))
		for i, k := range resp.APIKeys {
			expires := "never"
			if k.Expiration != nil {
				expires = time.UnixMilli(*k.Expiration).UTC().Format(time.RFC3339)
			}
			rows[i] = []string{k.ID, k.Name, k.Username, k.Realm, k.Type, expires}
		}
		if len(rows) == 0 {
			t.Hint("No API key that is not invalidated matches the query.")
		} else if err := t.Table([]string{"ID", "NAME", "OWNER", "REALM", "TYPE", "EXPIRES"}, rows); err != nil {
			return err
		}
		_, err := fmt.Fprintf(t.Out, "plan: %s, digest %s\nto invalidate them: %s\n", countKeys(resp.Count), resp.Plan, apply)
		return err
	}
	if err := output.Write(opts.f.IOStreams, o, resp); err != nil {
		return err
	}
	if !usesTerminalRendering(opts.f, o) && o.Field == "" && o.JQ == "" && o.Template == "" {
		fmt.Fprintf(opts.f.IOStreams.ErrOut, "plan: %s, digest %s\nto invalidate them: %s\n", countKeys(resp.Count), resp.Plan, apply)
	}
	if resp.InvalidateAPIKeysResponse != nil {
		for _, e := range resp.ErrorDetails {
			fmt.Fprintf(opts.f.IOStreams.ErrOut, "not in the plan: %s\n", e.Reason)
		}
	}
	return nil
}

// usesTerminalRendering reports whether output.Write renders o with its
// Render function (a table), rather than an export.
func usesTerminalRendering(f *Factory, o output.Options) bool {
	if o.Field != "" || o.JQ != "" || o.Template != "" {
		return false
	}
	switch o.Format {
	case output.Table, output.Wide:
		return true
	case output.Auto:
		return f.IOStreams.IsStdoutTTY()
	}
	return false
}

// applyCommand is the command line that carries out a dry run's plan:
// this one, without --dry-run and the output flags, with --plan.
func applyCommand(cmd *cobra.Command, plan string) string {
	skip := map[string]bool{"dry-run": true, "plan": true, "expect-count": true, "yes": true,
		"output": true, "field": true, "jq": true, "template": true}
	var names []string
	values := map[string][]string{}
	cmd.Flags().Visit(func(fl *pflag.Flag) {
		if skip[fl.Name] {
			return
		}
		names = append(names, fl.Name)
		if sv, ok := fl.Value.(pflag.SliceValue); ok {
			values[fl.Name] = sv.GetSlice()
		} else if fl.Value.Type() != "bool" {
			values[fl.Name] = []string{fl.Value.String()}
		}
	})
	sort.Strings(names)
	parts := []string{cmd.CommandPath()}
	for _, name := range names {
		vs, ok := values[name]
		if !ok {
			parts = append(parts, "--"+name)
			continue
		}
		for _, v := range vs {
			parts = append(parts, "--"+name, shellQuote(v))
		}
	}
	return strings.Join(append(parts, "--plan", plan), " ")
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@%+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
