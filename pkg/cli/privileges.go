package cli

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// splitList splits a comma-separated list, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

type hasPrivilegesOptions struct {
	f           *Factory
	out         outputFlags
	cluster     []string
	index       []string
	application []string
}

func newHasPrivilegesCmd(f *Factory) *cobra.Command {
	opts := &hasPrivilegesOptions{f: f}
	cmd := &cobra.Command{
		Use:   "has-privileges (--cluster PRIVS | --index PATTERNS=PRIVS | --application APP:RESOURCES=PRIVS)",
		Short: "Check what you (or the API key you use) may do",
		Long: `Ask which privileges the caller has, as the Has privileges API does. Used
with an API key (APIKEYCTL_API_KEY), it answers for the key's effective
privileges: its role descriptors limited by its owner's. An application
privilege asked for may be a privilege's name (it stands for its stored
actions) or an action.`,
		Example: `  APIKEYCTL_API_KEY=$KEY apikeyctl has-privileges --cluster manage_own_api_key --index 'logs-*=read,write'

  apikeyctl has-privileges --application 'myapp:shared/*,user/alice=read,action:login'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runHasPrivileges(cmd, opts) },
	}
	cmd.Flags().StringSliceVar(&opts.cluster, "cluster", nil, "comma-separated cluster `privileges` to check")
	cmd.Flags().StringArrayVar(&opts.index, "index", nil, "`PATTERNS=PRIVS` to check on indices (repeatable)")
	cmd.Flags().StringArrayVar(&opts.application, "application", nil, "`APP:RESOURCES=PRIVS` to check on an application's resources (repeatable)")
	opts.out.register(cmd)
	return cmd
}

func runHasPrivileges(cmd *cobra.Command, opts *hasPrivilegesOptions) error {
	req := &api.HasPrivilegesRequest{Cluster: opts.cluster}
	for _, spec := range opts.index {
		names, privs, ok := strings.Cut(spec, "=")
		if !ok || names == "" || privs == "" {
			return usageErrorf("--index %q: expected PATTERNS=PRIVILEGES, e.g. 'logs-*=read,write'", spec)
		}
		req.Index = append(req.Index, api.IndexPrivilegesCheck{Names: splitList(names), Privileges: splitList(privs)})
	}
	for _, spec := range opts.application {
		app, rest, ok := strings.Cut(spec, ":")
		resources, privs, ok2 := strings.Cut(rest, "=")
		if !ok || !ok2 || app == "" || resources == "" || privs == "" {
			return usageErrorf("--application %q: expected APP:RESOURCES=PRIVILEGES, e.g. 'myapp:shared/*=read,action:login'", spec)
		}
		req.Application = append(req.Application, api.ApplicationPrivilegesCheck{Application: app, Resources: splitList(resources), Privileges: splitList(privs)})
	}
	if len(req.Cluster) == 0 && len(req.Index) == 0 && len(req.Application) == 0 {
		return usageErrorf("ask for something: --cluster PRIVS, --index PATTERNS=PRIVS or --application APP:RESOURCES=PRIVS")
	}
	svc, err := opts.f.Service(cmd.Context())
	if err != nil {
		return err
	}
	resp, err := svc.HasPrivileges(cmd.Context(), req)
	if err != nil {
		return err
	}
	return opts.out.print(opts.f, resp)
}

type clearCacheOptions struct {
	f      *Factory
	out    outputFlags
	realms []string
	users  []string
	roles  []string
}

func newClearCacheCmd(f *Factory) *cobra.Command {
	opts := &clearCacheOptions{f: f}
	cmd := &cobra.Command{
		Use:   "clear-cache [ID...] [--realm NAME] [--user NAME] [--role NAME]",
		Short: "Evict API keys, users or roles from the authentication caches",
		Long: `Evict the given API keys (all of them without arguments) from the
authentication cache, as the Clear API key cache API does.

With --realm or --user, evict users from the realms' caches instead (the
clear realm cache API): the named users, or every user of the realms
(default_native and reserved; every realm when --realm is not given).
With --role, evict the users holding one of the roles ("*" for every
role) from the roles cache (the clear roles cache API). The next
request of an evicted user reads it and its roles again and checks its
password against the stored hash.

Caches follow every change to the database without this command; it
frees memory, or makes the next authentications take the slow path, as
Elasticsearch's do. Needs manage_security.`,
		Example: `  apikeyctl clear-cache
  apikeyctl clear-cache 7Q2eJ5gBc8uQ3hY1Zk9w
  apikeyctl clear-cache --realm default_native --user alice
  apikeyctl clear-cache --role '*'`,
		RunE: func(cmd *cobra.Command, args []string) error { return runClearCache(cmd, opts, args) },
	}
	cmd.Flags().StringSliceVar(&opts.realms, "realm", nil, "evict users from the cache of this `realm` (repeatable)")
	cmd.Flags().StringSliceVar(&opts.users, "user", nil, "evict only this `user` from the realms' caches (repeatable)")
	cmd.Flags().StringSliceVar(&opts.roles, "role", nil, "evict the users holding this `role` (repeatable; * for every role)")
	_ = cmd.RegisterFlagCompletionFunc("realm", cobra.FixedCompletions([]string{"default_native", "reserved"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("role", completeRoles(f))
	opts.out.register(cmd)
	return cmd
}

func runClearCache(cmd *cobra.Command, opts *clearCacheOptions, ids []string) error {
	realmCache := len(opts.realms)+len(opts.users) > 0
	switch {
	case len(opts.roles) > 0 && (realmCache || len(ids) > 0):
		return usageErrorf("--role clears the roles cache: give it without key IDs, --realm or --user")
	case realmCache && len(ids) > 0:
		return usageErrorf("--realm and --user clear the realms' caches: give them without key IDs")
	}
	svc, err := opts.f.Service(cmd.Context())
	if err != nil {
		return err
	}
	var resp *api.ClearCacheResponse
	switch {
	case len(opts.roles) > 0:
		resp, err = svc.ClearRolesCache(cmd.Context(), opts.roles)
	case realmCache:
		resp, err = svc.ClearRealmCache(cmd.Context(), &api.ClearRealmCacheRequest{Realms: opts.realms, Usernames: opts.users})
	default:
		resp, err = svc.ClearAPIKeyCache(cmd.Context(), ids)
	}
	if err != nil {
		return err
	}
	if err := opts.out.print(opts.f, resp); err != nil {
		return err
	}
	return nodesFailure(resp)
}

// nodesFailure is the error of a nodes answer whose node failed (a realm
// the server does not have): its cause, as the server gave it.
func nodesFailure(resp *api.ClearCacheResponse) error {
	for _, f := range resp.Nodes.Failures {
		if f.Cause != nil {
			return f.Cause
		}
		return f
	}
	return nil
}
