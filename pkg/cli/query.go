package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// queryPageSize is the default page size of query --all.
const queryPageSize = 1000

type queryOptions struct {
	f   *Factory
	out outputFlags

	name, owner, realm, keyType  string
	active, expired, invalidated bool
	expiresWithin                string
	createdBefore, createdAfter  string
	metadata                     []string
	sorts                        []string
	limit                        int
	all                          bool
	pageSize                     int
	queryJSON                    string
	aggs                         string
	withLimitedBy                bool
	withProfileUID               bool
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
--sort, then index order) instead of returning one page.`,
		Example: `  # the rotation script: ids of the keys expiring within a week
  apikeyctl query --expires-within 7d --all -o json | jq -r '.api_keys[].id'

  apikeyctl query --owner alice --active --sort creation:desc --limit 20
  apikeyctl query --name 'ci-*' --metadata env=prod --all --field id
  apikeyctl query --aggs '{"by_owner":{"terms":{"field":"username"}}}'
  echo '{"query":{"prefix":{"name":"app-"}}}' | apikeyctl query --query-json -`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runQuery(cmd, opts) },
	}
	fl := cmd.Flags()
	opts.addFilterFlags(cmd)
	fl.StringArrayVar(&opts.sorts, "sort", nil, "sort by `field[:asc|desc]` (repeatable)")
	fl.IntVar(&opts.limit, "limit", 0, "return at most `N` keys (default 10, as the API)")
	fl.BoolVar(&opts.all, "all", false, "return every matching key, paging with search_after")
	fl.IntVar(&opts.pageSize, "page-size", queryPageSize, "keys per request with --all (at most 10000)")
	fl.StringVar(&opts.queryJSON, "query-json", "", "request body from `FILE` (- for stdin)")
	fl.StringVar(&opts.aggs, "aggs", "", "aggregations `JSON` object (@FILE to read it from a file); a table on a terminal")
	fl.BoolVar(&opts.withLimitedBy, "with-limited-by", false, "include the owner's permissions the keys are limited by")
	fl.BoolVar(&opts.withProfileUID, "with-profile-uid", false, "include the owners' profile uids")
	opts.out.register(cmd)
	_ = cmd.RegisterFlagCompletionFunc("sort", cobra.FixedCompletions([]string{
		"name", "username", "realm_name", "type", "creation", "expiration", "invalidated", "invalidation", "_doc",
	}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// addFilterFlags registers the flags that select keys (compiled to
// query clauses by filters) on cmd: query's, and those of the commands
// that act on the keys a query selects.
func (opts *queryOptions) addFilterFlags(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&opts.name, "name", "", "keys whose name matches `PATTERN` (* and ? are wildcards)")
	fl.StringVar(&opts.owner, "owner", "", "keys owned by `USER` (the API's username)")
	fl.StringVar(&opts.realm, "realm", "", "keys owned in `REALM` (the API's realm_name)")
	fl.StringVar(&opts.keyType, "type", "", "keys of this `TYPE`: rest or cross_cluster")
	fl.BoolVar(&opts.active, "active", false, "only keys neither invalidated nor expired")
	fl.BoolVar(&opts.expired, "expired", false, "only expired keys (not invalidated)")
	fl.BoolVar(&opts.invalidated, "invalidated", false, "only invalidated keys")
	fl.StringVar(&opts.expiresWithin, "expires-within", "", "only valid keys that expire within `DURATION` (7d, 12h, 2w)")
	fl.StringVar(&opts.createdBefore, "created-before", "", "only keys created before `DATE`")
	fl.StringVar(&opts.createdAfter, "created-after", "", "only keys created at or after `DATE`")
	fl.StringArrayVar(&opts.metadata, "metadata", nil, "only keys with metadata `key=value` (repeatable; nested keys with dots)")
	_ = cmd.RegisterFlagCompletionFunc("type", cobra.FixedCompletions([]string{"rest", "cross_cluster"}, cobra.ShellCompDirectiveNoFileComp))
}

// checkStates refuses more than one of --active, --expired and
// --invalidated.
func (opts *queryOptions) checkStates() error {
	states := 0
	for _, on := range []bool{opts.active, opts.expired, opts.invalidated} {
		if on {
			states++
		}
	}
	if states > 1 {
		return usageErrorf("--active, --expired and --invalidated cannot be used together")
	}
	return nil
}

// queryBody is a request body being built: its members as raw JSON.
type queryBody map[string]json.RawMessage

func (b queryBody) set(key string, v any) {
	data, _ := json.Marshal(v)
	b[key] = data
}

// durationRE matches the durations --expires-within takes.
var durationRE = regexp.MustCompile(`^[0-9]+[smhHdwMy]$`)

// filters compiles the filter flags to query clauses.
func (opts *queryOptions) filters() ([]any, error) {
	var fs []any
	term := func(field string, v any) { fs = append(fs, map[string]any{"term": map[string]any{field: v}}) }
	if opts.name != "" {
		if strings.ContainsAny(opts.name, "*?") {
			fs = append(fs, map[string]any{"wildcard": map[string]any{"name": opts.name}})
		} else {
			term("name", opts.name)
		}
	}
	if opts.owner != "" {
		term("username", opts.owner)
	}
	if opts.realm != "" {
		term("realm_name", opts.realm)
	}
	if opts.keyType != "" {
		if opts.keyType != api.TypeRest && opts.keyType != api.TypeCrossCluster {
			return nil, usageErrorf("invalid --type %q: use rest or cross_cluster", opts.keyType)
		}
		term("type", opts.keyType)
	}
	switch {
	case opts.active:
		term("invalidated", false)
		fs = append(fs, map[string]any{"bool": map[string]any{
			"should": []any{
				map[string]any{"range": map[string]any{"expiration": map[string]any{"gt": "now"}}},
				map[string]any{"bool": map[string]any{"must_not": map[string]any{"exists": map[string]any{"field": "expiration"}}}},
			},
			"minimum_should_match": 1,
		}})
	case opts.expired:
		term("invalidated", false)
		fs = append(fs, map[string]any{"range": map[string]any{"expiration": map[string]any{"lte": "now"}}})
	case opts.invalidated:
		term("invalidated", true)
	}
	if opts.expiresWithin != "" {
		if !durationRE.MatchString(opts.expiresWithin) {
			return nil, usageErrorf("invalid --expires-within %q: give a number and a unit (s, m, h, d, w, M, y), such as 7d", opts.expiresWithin)
		}
		term("invalidated", false)
		fs = append(fs, map[string]any{"range": map[string]any{"expiration": map[string]any{"gt": "now", "lte": "now+" + opts.expiresWithin}}})
	}
	for _, c := range []struct{ value, op string }{{opts.createdBefore, "lt"}, {opts.createdAfter, "gte"}} {
		if c.value != "" {
			fs = append(fs, map[string]any{"range": map[string]any{"creation": map[string]any{
				c.op: c.value, "format": "strict_date_optional_time||epoch_millis",
			}}})
		}
	}
	for _, kv := range opts.metadata {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usageErrorf("invalid --metadata %q: use key=value", kv)
		}
		term("metadata."+k, v)
	}
	return fs, nil
}

// sortClauses compiles --sort flags.
func (opts *queryOptions) sortClauses() ([]any, error) {
	var out []any
	for _, s := range opts.sorts {
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
	filters, err := opts.filters()
	if err != nil {
		return nil, nil, err
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
	if len(filters) == 0 && len(sorts) == 0 && opts.limit == 0 && aggs == nil && !opts.all {
		return raw, nil, nil
	}
	b := queryBody{}
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &b); err != nil {
			return nil, nil, usageErrorf("--query-json: the body is not a JSON object (%v); send it alone to see the server's answer", err)
		}
	}
	if len(filters) > 0 {
		clause := map[string]any{"filter": filters}
		if q, ok := b["query"]; ok {
			clause["must"] = []any{q}
		}
		b.set("query", map[string]any{"bool": clause})
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
	if err := opts.checkStates(); err != nil {
		return err
	}
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
