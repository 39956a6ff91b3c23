package cli

import (
	"encoding/json"
	"time"

	"github.com/spf13/cobra"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
	"github.com/apikeyctl/apikeyctl/pkg/output"
)

// eventsOptions are the flags of apikeyctl events.
type eventsOptions struct {
	f   *Factory
	out outputFlags

	key, user, since, until, outcome, after string
	actions                                 []string
	limit                                   int
	follow                                  bool
	wait                                    string
}

func newEventsCmd(f *Factory) *cobra.Command {
	opts := &eventsOptions{f: f}
	cmd := &cobra.Command{
		Use:   "events [--key ID] [--user USER] [--since TIME] [--until TIME] [--action ACTION]... [--outcome success|failure] [--limit N] [-f]",
		Short: "Read the audit log: who did what to which key, and what was refused",
		Long: `Read apikeyd's audit log (GET /_apikeyd/events), oldest first: the time,
action, outcome, user, key, origin and reason of each event. Filters
combine: --key matches the key that authenticated the caller or one the
event acted on; --action matches the event's action (create_apikey,
invalidate_apikeys, authentication_failed, access_denied...) or its type
(security_config_change), and may be repeated or hold a comma list;
--since and --until take a time value counted back from now (24h, 7d), a
date (2026-12-06, 2026-12-06T10:00:00Z) or epoch milliseconds.

--limit prints at most N events (100 by default, at most 10000).
--wait waits, when no event matches yet, for one to be written (a script
waiting for a key to be used, say). -f
prints what matches, then follows new events as they are written until
Ctrl-C (exit 130): through the daemon by long polling (each request waits
up to 30s for a write), with --db by watching the audit log's files.
Rotated files (audit-TIME.json) are read as well.

Reading the audit log needs read_security (or manage_security, or all).
On a pipe the answer is the API's JSON ({"count","events","next"}); with
-f, one such answer per batch of events.`,
		Example: `  apikeyctl events --since 24h
  apikeyctl events --key 7Q2eJ5gBc8uQ3hY1Zk9w -o json
  apikeyctl events --action create_apikey,invalidate_apikeys --since 7d --field event.action
  apikeyctl events --outcome failure --limit 20 -o table
  apikeyctl events --user elastic --jq '.events[]."apikey.ids"'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runEvents(cmd, opts) },
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.key, "key", "", "events of the API key `ID` (the caller's key, or a key acted on)")
	fl.StringVar(&opts.user, "user", "", "events of the user `USER` (user.name)")
	fl.StringVar(&opts.since, "since", "", "events at or after `TIME`: a time value back from now (24h, 7d), a date or epoch milliseconds")
	fl.StringVar(&opts.until, "until", "", "events at or before `TIME` (as --since)")
	fl.StringSliceVar(&opts.actions, "action", nil, "events of this `ACTION` or event type (repeatable, or a comma list)")
	fl.StringVar(&opts.outcome, "outcome", "", "events of this outcome: success or failure")
	fl.StringVar(&opts.after, "after", "", "events after the position `NEXT`, the next of a previous answer (the following page)")
	fl.IntVar(&opts.limit, "limit", api.DefaultEventsSize, "print at most `N` events (at most 10000)")
	fl.BoolVarP(&opts.follow, "follow", "f", false, "print new events as they are written, until Ctrl-C")
	fl.StringVar(&opts.wait, "wait", "", "when no event matches yet, wait up to this `DURATION` (at most 30s) for one to be written")
	opts.out.register(cmd)
	return cmd
}

// runEvents reads one page of events and, with -f, follows the log from
// where the page ended.
func runEvents(cmd *cobra.Command, opts *eventsOptions) error {
	if opts.limit < 1 || opts.limit > api.MaxEventsSize {
		return usageErrorf("--limit %d: give a number of events from 1 to %d", opts.limit, api.MaxEventsSize)
	}
	if opts.outcome != "" && opts.outcome != api.OutcomeSuccess && opts.outcome != api.OutcomeFailure {
		return usageErrorf("--outcome %q: give success or failure", opts.outcome)
	}
	var wait time.Duration
	if opts.wait != "" {
		d, err := api.ParseTimeValue(opts.wait, "wait")
		if err != nil || d < 0 || d > api.MaxEventsWait {
			return usageErrorf("--wait %q: give a time value of at most %s, such as 10s", opts.wait, api.MaxEventsWait)
		}
		wait = d
	}
	now := opts.f.Now()
	for _, fl := range []struct{ name, value string }{{"since", opts.since}, {"until", opts.until}} {
		if _, err := keyservice.EventTime(fl.name, fl.value, now, false); err != nil {
			return usageErrorf("--%s %q: give a time value back from now (24h, 7d), a date (2026-12-06T10:00:00Z) or epoch milliseconds", fl.name, fl.value)
		}
	}
	ctx := cmd.Context()
	admin, err := opts.f.Admin(ctx)
	if err != nil {
		return err
	}
	req := &api.EventsRequest{APIKeyID: opts.key, User: opts.user, Actions: opts.actions, Outcome: opts.outcome,
		Since: opts.since, Until: opts.until, Size: opts.limit, After: opts.after, Wait: wait}
	resp, err := admin.Events(ctx, req)
	if err != nil {
		return err
	}
	if err := printEvents(opts, resp, !opts.follow); err != nil || !opts.follow {
		return err
	}
	for {
		if resp.Next != "" {
			req.After = resp.Next
		}
		req.Wait = api.MaxEventsWait
		resp, err = admin.Events(ctx, req)
		if ctx.Err() != nil {
			return &InterruptedError{Msg: "stopped following the event log"}
		}
		if err != nil {
			return err
		}
		if resp.Count > 0 {
			if err := printEvents(opts, resp, false); err != nil {
				return err
			}
		}
	}
}

// printEvents prints a page of events: on a terminal a table of time,
// action, outcome, user, key, origin and reason (hint says when there is
// none); elsewhere the answer as -o asks.
func printEvents(opts *eventsOptions, resp *api.EventsResponse, hint bool) error {
	opts.out.opts.Render = func(t *output.Terminal) error {
		if resp.Count == 0 {
			if hint {
				t.Hint("no events match")
			}
			return nil
		}
		events := make([]api.Event, 0, len(resp.Events))
		for _, raw := range resp.Events {
			var e api.Event
			if json.Unmarshal(raw, &e) == nil {
				events = append(events, e)
			}
		}
		return t.EventTable(events)
	}
	return opts.out.print(opts.f, resp)
}
