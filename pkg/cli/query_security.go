package cli

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/spf13/cobra"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/keyflags"
)

// securityQuery is what user query and role query share: the filters
// their flags compile to, --sort, --limit, --from and --query-json.
type securityQuery struct {
	f         *Factory
	out       outputFlags
	sorts     []string
	limit     int
	from      int
	queryJSON string
}

func (q *securityQuery) register(cmd *cobra.Command, noun string, sortFields []string) {
	fl := cmd.Flags()
	fl.StringArrayVar(&q.sorts, "sort", nil, "sort by `field[:asc|desc]` (repeatable)")
	fl.IntVar(&q.limit, "limit", 0, "return at most `N` "+noun+" (default 10, as the API)")
	fl.IntVar(&q.from, "from", 0, "skip the first `N` matching "+noun)
	fl.StringVar(&q.queryJSON, "query-json", "", "request body from `FILE` (- for stdin)")
	q.out.register(cmd)
	_ = cmd.RegisterFlagCompletionFunc("sort", cobra.FixedCompletions(sortFields, cobra.ShellCompDirectiveNoFileComp))
}

// body builds the request body from --query-json and the flags: the
// filters (combined with AND, and with the body's query), the sort and
// the page. With only --query-json the body is sent as read, for the
// server to judge.
func (q *securityQuery) body(clauses []any) (json.RawMessage, error) {
	var raw []byte
	if q.queryJSON != "" {
		data, err := readFileOrStdin(q.f, q.queryJSON)
		if err != nil {
			return nil, err
		}
		raw = data
	}
	sorts, err := sortClauses(q.sorts)
	if err != nil {
		return nil, err
	}
	if q.limit < 0 || q.from < 0 {
		return nil, usageErrorf("--limit and --from cannot be negative")
	}
	if len(clauses) == 0 && len(sorts) == 0 && q.limit == 0 && q.from == 0 {
		return raw, nil
	}
	b := queryBody{}
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &b); err != nil {
			return nil, usageErrorf("--query-json: the body is not a JSON object (%v); send it alone to see the server's answer", err)
		}
	}
	if len(clauses) > 0 {
		clause := map[string]any{"filter": clauses}
		if must, ok := b["query"]; ok {
			clause["must"] = []any{must}
		}
		b.set("query", map[string]any{"bool": clause})
	}
	if len(sorts) > 0 {
		b.set("sort", sorts)
	}
	if q.limit > 0 {
		b.set("size", q.limit)
	}
	if q.from > 0 {
		b.set("from", q.from)
	}
	return json.Marshal(b)
}

// matchClause is a wildcard query when the value has a *, else a term
// query.
func matchClause(field, value string) any {
	if strings.Contains(value, "*") {
		return map[string]any{"wildcard": map[string]any{field: value}}
	}
	return map[string]any{"term": map[string]any{field: value}}
}

type userQueryOptions struct {
	securityQuery
	username       string
	roles          []string
	enabled        bool
	disabled       bool
	email          string
	fullName       string
	withProfileUID bool
}

func newUserQueryCmd(f *Factory) *cobra.Command {
	opts := &userQueryOptions{securityQuery: securityQuery{f: f}}
	cmd := &cobra.Command{
		Use:   "query",
		Short: "Query native users with filters, sorting and paging",
		Long: `Query the native users with the Query users API.

The flags are compiled to the query DSL and combine with AND: --user
takes a user name or a pattern with *, --role a role the user has (repeat it
for any of several), --enabled and --disabled the user's state, --email
and --full-name words of those fields (they are analysed text, so
"--full-name doe" finds "Jane Doe"). --query-json sends any request body
(query, from, size, sort, search_after); the flags add their filters, sort
and page to it. Elasticsearch lets a query name username, roles, enabled,
full_name and email, and sort on the first three.

Built-in users (elastic) are not native users and are never listed, as in
Elasticsearch. On a terminal the users are a table; on a pipe, the API's
JSON: {"total", "count", "users"}, each user with _sort when sorted.`,
		Example: `  apikeyctl user query --role superuser
  apikeyctl user query --user 'ci-*' --enabled --sort username:desc --limit 20
  apikeyctl user query --disabled --field username
  echo '{"query":{"match":{"full_name":"doe"}}}' | apikeyctl user query --query-json -`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runUserQuery(cmd, opts) },
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.username, "user", "", "users named `NAME` (* matches any characters; --username authenticates)")
	fl.StringArrayVar(&opts.roles, "role", nil, "users with the `ROLE` (repeatable: any of them)")
	fl.BoolVar(&opts.enabled, "enabled", false, "enabled users only")
	fl.BoolVar(&opts.disabled, "disabled", false, "disabled users only")
	fl.StringVar(&opts.email, "email", "", "users whose email matches `TEXT` (an address, a domain or a word of it)")
	fl.StringVar(&opts.fullName, "full-name", "", "users whose full name has the words of `TEXT`")
	fl.BoolVar(&opts.withProfileUID, "with-profile-uid", false, "include the users' profile uids (Elasticsearch; apikeyd keeps no profiles)")
	opts.register(cmd, "users", []string{"username", "roles", "enabled", "_doc"})
	_ = cmd.RegisterFlagCompletionFunc("role", completeRoles(f))
	return cmd
}

func runUserQuery(cmd *cobra.Command, opts *userQueryOptions) error {
	if opts.enabled && opts.disabled {
		return usageErrorf("--enabled and --disabled exclude each other")
	}
	var clauses []any
	if opts.username != "" {
		clauses = append(clauses, matchClause("username", opts.username))
	}
	if len(opts.roles) > 0 {
		clauses = append(clauses, map[string]any{"terms": map[string]any{"roles": opts.roles}})
	}
	if opts.enabled || opts.disabled {
		clauses = append(clauses, map[string]any{"term": map[string]any{"enabled": opts.enabled}})
	}
	if opts.email != "" {
		clauses = append(clauses, map[string]any{"match": map[string]any{"email": map[string]any{"query": opts.email, "operator": "and"}}})
	}
	if opts.fullName != "" {
		clauses = append(clauses, map[string]any{"match": map[string]any{"full_name": map[string]any{"query": opts.fullName, "operator": "and"}}})
	}
	body, err := opts.body(clauses)
	if err != nil {
		return err
	}
	svc, err := opts.f.Service(cmd.Context())
	if err != nil {
		return err
	}
	resp, err := svc.QueryUsers(cmd.Context(), &api.QueryUsersRequest{Body: body, WithProfileUID: opts.withProfileUID})
	if err != nil {
		return err
	}
	return opts.out.print(opts.f, resp)
}

type roleQueryOptions struct {
	securityQuery
	name        string
	application string
	description string
	metadata    []string
}

func newRoleQueryCmd(f *Factory) *cobra.Command {
	opts := &roleQueryOptions{securityQuery: securityQuery{f: f}}
	cmd := &cobra.Command{
		Use:   "query",
		Short: "Query native roles with filters, sorting and paging",
		Long: `Query the native roles with the Query roles API.

The flags are compiled to the query DSL and combine with AND: --name
takes a name or a pattern with *, --application an application name the
role grants privileges on, --description words of the description,
--metadata key=value a metadata value (repeatable). --query-json sends any
request body (query, from, size, sort, search_after); the flags add their
filters, sort and page to it. Elasticsearch lets a query name name,
description, applications.application, applications.resources,
applications.privileges and metadata.<key>.

Built-in roles (superuser) are not listed, as Elasticsearch documents. On
a terminal the roles are a table; on a pipe, the API's JSON: {"total",
"count", "roles"}, each role with its name and _sort when sorted.`,
		Example: `  apikeyctl role query --name 'key_*'
  apikeyctl role query --metadata team=payments --sort name:desc -o json
  echo '{"query":{"exists":{"field":"description"}}}' | apikeyctl role query --query-json -`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runRoleQuery(cmd, opts) },
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.name, "name", "", "roles named `NAME` (* matches any characters)")
	fl.StringVar(&opts.application, "application", "", "roles granting privileges on the application `APP`")
	fl.StringVar(&opts.description, "description", "", "roles whose description has the words of `TEXT`")
	fl.StringArrayVar(&opts.metadata, "metadata", nil, "roles whose metadata has `key=value` (repeatable)")
	opts.register(cmd, "roles", []string{"name", "applications.application", "_doc"})
	return cmd
}

func runRoleQuery(cmd *cobra.Command, opts *roleQueryOptions) error {
	var clauses []any
	if opts.name != "" {
		clauses = append(clauses, matchClause("name", opts.name))
	}
	if opts.application != "" {
		clauses = append(clauses, matchClause("applications.application", opts.application))
	}
	if opts.description != "" {
		clauses = append(clauses, map[string]any{"match": map[string]any{"description": map[string]any{"query": opts.description, "operator": "and"}}})
	}
	if len(opts.metadata) > 0 {
		md, err := keyflags.Metadata(opts.metadata, "")
		if err != nil {
			return &UsageError{Err: err}
		}
		for _, p := range opts.metadata {
			k, _, _ := strings.Cut(p, "=")
			clauses = append(clauses, map[string]any{"term": map[string]any{"metadata." + k: md.Map()[k]}})
		}
	}
	body, err := opts.body(clauses)
	if err != nil {
		return err
	}
	svc, err := opts.f.Service(cmd.Context())
	if err != nil {
		return err
	}
	resp, err := svc.QueryRoles(cmd.Context(), &api.QueryRolesRequest{Body: body})
	if err != nil {
		return err
	}
	return opts.out.print(opts.f, resp)
}
