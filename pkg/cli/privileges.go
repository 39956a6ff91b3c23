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
	f   *Factory
	out outputFlags
}

func newClearCacheCmd(f *Factory) *cobra.Command {
	opts := &clearCacheOptions{f: f}
	cmd := &cobra.Command{
		Use:   "clear-cache [ID...]",
		Short: "Evict API keys from the daemon's authentication cache",
		Long: `Evict the given API keys (all of them without arguments) from the
authentication cache, as the Clear API key cache API does. Needs
manage_security.`,
		Example: "  apikeyctl clear-cache\n  apikeyctl clear-cache 7Q2eJ5gBc8uQ3hY1Zk9w",
		RunE:    func(cmd *cobra.Command, args []string) error { return runClearCache(cmd, opts, args) },
	}
	opts.out.register(cmd)
	return cmd
}

func runClearCache(cmd *cobra.Command, opts *clearCacheOptions, ids []string) error {
	svc, err := opts.f.Service(cmd.Context())
	if err != nil {
		return err
	}
	resp, err := svc.ClearAPIKeyCache(cmd.Context(), ids)
	if err != nil {
		return err
	}
	return opts.out.print(opts.f, resp)
}
