package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/keyflags"
)

// queryPageSize is the default page size of query --all.
const queryPageSize = 1000

type queryOptions struct {
	f   *Factory
	out outputFlags

	filters        keyflags.Filters
	sorts          []string
	limit          int
	all            bool
	pageSize       int
	queryJSON      string
	aggs           string
	withLimitedBy  bool
	withProfileUID bool
	withLastUsed   bool
	// withRestrictions asks apikeyd for the networks keys are bound to.
	withRestrictions bool
}

func newQueryCmd(f *Factory) *cobra.Command {
	opts := &queryOptions{f: f}
	cmd := &cobra.Command{
		Use:   "query",
		Short: "Query API keys with filters, sorting, paging and aggregations",
		Long: `Query API keys with the Query API keys API.

The flags answer the everyday questions and are compiled to the query DSL;
they combine with AND. --query-json sends any request body (the flags add
their filters, sort and limit to it). On a terminal the keys are a table,
followed by the buckets of --aggs (which asks for no keys unless --limit
does), dates as dates; on a pipe, the API's JSON: {"total", "count",
"api_keys", "aggregations"}.

--expires-within lists the keys that are still valid and expire within the
given time: the keys to rotate. Durations take the units of Elasticsearch
date math: s, m, h, d, w, M, y. Dates (--created-before, --created-after)
are ISO 8601 (2025-01-31, 2025-01-31T12:00:00Z), epoch milliseconds, or
date math (now-30d).

--all pages through every matching key with search_after (sorted by your
--sort, then index order) instead of returning one page.

apikeyd records when each key last authenticated: --with-last-used shows
it (a LAST USED column; last_used, last_used_from and usage_count in the
JSON), --sort last_used orders by it, and --unused-for 90d lists the keys
nobody used for 90 days: last used more than 90 days ago, or never used
and created more than 90 days ago. Elasticsearch records none of this.

--with-restrictions adds the client networks keys are bound to (an
ALLOWED FROM column, allowed_networks in the JSON). apikeyd only.`,
		Example: `  # the rotation script: ids of the keys expiring within a week
  apikeyctl query --expires-within 7d --all -o json | jq -r '.api_keys[].id'

  apikeyctl query --owner alice --active --sort creation:desc --limit 20
  apikeyctl query --name 'ci-*' --metadata env=prod --all --field id
  apikeyctl query --aggs '{"by_owner":{"terms":{"field":"username"}}}'
  apikeyctl query --unused-for 90d --all
  echo '{"query":{"prefix":{"name":"app-"}}}' | apikeyctl query --query-json -`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runQuery(cmd, opts) },
	}
	fl := cmd.Flags()
	opts.filters.Register(fl)
	fl.StringArrayVar(&opts.sorts, "sort", nil, "sort by `field[:asc|desc]` (repeatable)")
	fl.IntVar(&opts.limit, "limit", 0, "return at most `N` keys (default 10, as the API)")
	fl.BoolVar(&opts.all, "all", false, "return every matching key, paging with search_after")
	fl.IntVar(&opts.pageSize, "page-size", queryPageSize, "keys per request with --all (at most 10000)")
	fl.StringVar(&opts.queryJSON, "query-json", "", "request body from `FILE` (- for stdin)")
	fl.StringVar(&opts.aggs, "aggs", "", "aggregations `JSON` object (@FILE to read it from a file); a table on a terminal")
	fl.BoolVar(&opts.withLimitedBy, "with-limited-by", false, "include the owner's permissions the keys are limited by")
	fl.BoolVar(&opts.withProfileUID, "with-profile-uid", false, "include the owners' profile uids")
	fl.BoolVar(&opts.withLastUsed, "with-last-used", false, "include when each key was last used, from where and how often (apikeyd)")
	fl.BoolVar(&opts.withRestrictions, "with-restrictions", false, "include the client networks each key is bound to (apikeyd)")
	opts.out.register(cmd)
	_ = cmd.RegisterFlagCompletionFunc("type", cobra.FixedCompletions([]string{"rest", "cross_cluster"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("sort", cobra.FixedCompletions([]string{
		"name", "username", "realm_name", "type", "creation", "expiration", "invalidated", "invalidation", "last_used", "_doc",
	}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// queryBody is a request body being built: its members as raw JSON.
type queryBody map[string]json.RawMessage

func (b queryBody) set(key string, v any) {
	data, _ := json.Marshal(v)
	b[key] = data
}

// sortClauses compiles --sort flags.
func (opts *queryOptions) sortClauses() ([]any, error) { return sortClauses(opts.sorts) }

// sortClauses compiles --sort flags: field[:asc|desc] each.
func sortClauses(sorts []string) ([]any, error) {
	var out []any
	for _, s := range sorts {
		field, order, found := strings.Cut(s, ":")
		if field == "" {
			return nil, usageErrorf("invalid --sort %q: use field[:asc|desc]", s)
		}
		if !found {
			out = append(out, field)
			continue
		}
		order = strings.ToLower(order)
		if order != "asc" && order != "desc" {
			return nil, usageErrorf("invalid --sort %q: the order is asc or desc", s)
		}
		out = append(out, map[string]any{field: map[string]any{"order": order}})
	}
	return out, nil
}

// body builds the request body from --query-json and the flags. With only
// --query-json it is sent as read, for the server to judge.
func (opts *queryOptions) body() (json.RawMessage, queryBody, error) {
	var raw []byte
	if opts.queryJSON != "" {
		data, err := readFileOrStdin(opts.f, opts.queryJSON)
		if err != nil {
			return nil, nil, err
		}
		raw = data
	}
	clauses, err := opts.filters.Clauses()
	if err != nil {
		return nil, nil, &UsageError{Err: err}
	}
	sorts, err := opts.sortClauses()
	if err != nil {
		return nil, nil, err
	}
	var aggs json.RawMessage
	if opts.aggs != "" {
		text := []byte(opts.aggs)
		if file, ok := strings.CutPrefix(opts.aggs, "@"); ok {
			if text, err = os.ReadFile(file); err != nil {
				return nil, nil, usageErrorf("--aggs: %v", err)
			}
		}
		if !json.Valid(text) {
			return nil, nil, usageErrorf("--aggs is not valid JSON")
		}
		aggs = text
	}
	if len(clauses) == 0 && len(sorts) == 0 && opts.limit == 0 && aggs == nil && !opts.all {
		return raw, nil, nil
	}
	b := queryBody{}
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &b); err != nil {
			return nil, nil, usageErrorf("--query-json: the body is not a JSON object (%v); send it alone to see the server's answer", err)
		}
	}
	if q, err := opts.filters.Query(b["query"]); err != nil {
		return nil, nil, &UsageError{Err: err}
	} else if q != nil {
		b.set("query", q)
	}
	if len(sorts) > 0 {
		b.set("sort", sorts)
	}
	if opts.limit > 0 {
		b.set("size", opts.limit)
	} else if opts.limit < 0 {
		return nil, nil, usageErrorf("invalid --limit %d: it cannot be negative", opts.limit)
	}
	if aggs != nil {
		b["aggs"] = aggs
		if _, ok := b["size"]; !ok {
			b.set("size", 0)
		}
	}
	data, err := json.Marshal(b)
	return data, b, err
}

func runQuery(cmd *cobra.Command, opts *queryOptions) error {
	ctx := cmd.Context()
	if opts.all && opts.limit != 0 {
		return usageErrorf("--all returns every key: use --page-size rather than --limit")
	}
	raw, b, err := opts.body()
	if err != nil {
		return err
	}
	svc, err := opts.f.Service(ctx)
	if err != nil {
		return err
	}
	req := &api.QueryAPIKeysRequest{Body: raw, WithLimitedBy: opts.withLimitedBy, WithProfileUID: opts.withProfileUID}
	switch {
	case opts.filters.UnusedFor != "":
		ok, err := isApikeyd(ctx, svc)
		if err != nil {
			return err
		}
		if !ok {
			return api.Errorf(api.Invalid, "--unused-for needs apikeyd, which records when API keys are used; the target is Elasticsearch, which does not")
		}
		req.WithLastUsed = true
	case opts.withLastUsed:
		if req.WithLastUsed, err = askLastUsed(ctx, opts.f, svc); err != nil {
			return err
		}
	}
	if opts.withRestrictions {
		if req.WithRestrictions, err = askRestrictions(ctx, opts.f, svc); err != nil {
			return err
		}
	}
	var resp *api.QueryAPIKeysResponse
	if opts.all {
		if opts.pageSize < 1 || opts.pageSize > 10000 {
			return usageErrorf("invalid --page-size %d: it is between 1 and 10000", opts.pageSize)
		}
		resp, err = queryAll(cmd, opts, svc, req, b)
	} else {
		resp, err = svc.QueryAPIKeys(ctx, req)
	}
	if err != nil {
		return err
	}
	if err := opts.out.print(opts.f, resp); err != nil {
		return err
	}
	if !opts.all && !opts.f.IOStreams.IsStdoutTTY() {
		noteUnprinted(opts.f, raw, resp)
	}
	return nil
}

// noteUnprinted says on stderr how many more keys matched than one page
// held, when the page had the API's default size: a script reading the
// ids of a pipe would otherwise miss them silently. A size the request
// chose (--limit, --aggs, a body's size) is what the user asked for.
func noteUnprinted(f *Factory, body json.RawMessage, resp *api.QueryAPIKeysResponse) {
	var b struct {
		Size *int `json:"size"`
		From int  `json:"from"`
	}
	if len(bytes.TrimSpace(body)) > 0 && json.Unmarshal(body, &b) != nil {
		return
	}
	more := resp.Total - b.From - resp.Count
	if b.Size != nil || more <= 0 {
		return
	}
	fmt.Fprintf(f.IOStreams.ErrOut, "note: %d more API key(s) matched than the %d printed (the API answers one page unless asked): use --all for every one, or --limit N\n", more, resp.Count)
}

// queryAll pages through every key the body matches: sorted by its sort
// and then _doc, each page after the last key of the one before. The
// answer holds all the keys, the total and the first page's
// aggregations; _sort values are those of the sort asked for. A spinner
// on a terminal's stderr counts the keys read.
func queryAll(cmd *cobra.Command, opts *queryOptions, svc api.Service, req *api.QueryAPIKeysRequest, b queryBody) (*api.QueryAPIKeysResponse, error) {
	pageSize := opts.pageSize
	ctx := cmd.Context()
	if from, ok := b["from"]; ok && string(from) != "0" {
		return nil, usageErrorf("--all pages with search_after and cannot start at a from offset")
	}
	delete(b, "from")
	var sorts []json.RawMessage
	if s, ok := b["sort"]; ok {
		if err := json.Unmarshal(s, &sorts); err != nil {
			var one json.RawMessage
			if json.Unmarshal(s, &one) != nil {
				return nil, usageErrorf("--query-json: sort is not a list")
			}
			sorts = []json.RawMessage{one}
		}
	}
	userSorts := len(sorts)
	hasDoc := false
	for _, s := range sorts {
		var name string
		if json.Unmarshal(s, &name) == nil && name == "_doc" {
			hasDoc = true
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(s, &obj) == nil {
			if _, ok := obj["_doc"]; ok {
				hasDoc = true
			}
		}
	}
	if !hasDoc {
		sorts = append(sorts, json.RawMessage(`"_doc"`))
	}
	b.set("sort", sorts)
	b.set("size", pageSize)
	out := &api.QueryAPIKeysResponse{APIKeys: []api.APIKey{}}
	ios := opts.f.IOStreams
	ios.StartProgress("Querying API keys")
	defer ios.StopProgress()
	for page := 0; ; page++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		body, err := json.Marshal(b)
		if err != nil {
			return nil, err
		}
		r := *req
		r.Body = body
		resp, err := svc.QueryAPIKeys(ctx, &r)
		if err != nil {
			return nil, err
		}
		if page == 0 {
			out.Total, out.Aggregations = resp.Total, resp.Aggregations
			delete(b, "aggs")
			delete(b, "aggregations")
		}
		out.APIKeys = append(out.APIKeys, resp.APIKeys...)
		ios.UpdateProgress(fmt.Sprintf("Querying API keys (%d of %d)", len(out.APIKeys), out.Total))
		if len(resp.APIKeys) < pageSize {
			break
		}
		last := resp.APIKeys[len(resp.APIKeys)-1]
		if len(last.Sort) != len(sorts) {
			return nil, fmt.Errorf("query --all: the answer's keys carry no sort values to page with")
		}
		b.set("search_after", last.Sort)
	}
	for i := range out.APIKeys {
		if userSorts == 0 {
			out.APIKeys[i].Sort = nil
		} else if len(out.APIKeys[i].Sort) > userSorts {
			out.APIKeys[i].Sort = out.APIKeys[i].Sort[:userSorts]
		}
	}
	out.Count = len(out.APIKeys)
	return out, nil
}
