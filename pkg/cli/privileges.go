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

func newHasPrivilegesCmd(f *Factory) *cobra.Command {
	var (
		out     outputFlags
		cluster []string
		index   []string
	)
	cmd := &cobra.Command{
		Use:   "has-privileges (--cluster PRIVS | --index PATTERNS=PRIVS)",
		Short: "Check what you (or the API key you use) may do",
		Long: `Ask which privileges the caller has, as the Has privileges API does. Used
with an API key (APIKEYCTL_API_KEY), it answers for the key's effective
privileges: its role descriptors limited by its owner's.`,
		Example: `  APIKEYCTL_API_KEY=$KEY apikeyctl has-privileges --cluster manage_own_api_key --index 'logs-*=read,write'`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req := &api.HasPrivilegesRequest{Cluster: cluster}
			for _, spec := range index {
				names, privs, ok := strings.Cut(spec, "=")
				if !ok || names == "" || privs == "" {
					return usageErrorf("--index %q: expected PATTERNS=PRIVILEGES, e.g. 'logs-*=read,write'", spec)
				}
				req.Index = append(req.Index, api.IndexPrivilegesCheck{Names: splitList(names), Privileges: splitList(privs)})
			}
			if len(req.Cluster) == 0 && len(req.Index) == 0 {
				return usageErrorf("ask for something: --cluster PRIVS or --index PATTERNS=PRIVS")
			}
			svc, err := f.Service(cmd.Context())
			if err != nil {
				return err
			}
			resp, err := svc.HasPrivileges(cmd.Context(), req)
			if err != nil {
				return err
			}
			return out.print(f, resp)
		},
	}
	cmd.Flags().StringSliceVar(&cluster, "cluster", nil, "comma-separated cluster `privileges` to check")
	cmd.Flags().StringArrayVar(&index, "index", nil, "`PATTERNS=PRIVS` to check on indices (repeatable)")
	out.register(cmd)
	return cmd
}

func newClearCacheCmd(f *Factory) *cobra.Command {
	var out outputFlags
	cmd := &cobra.Command{
		Use:   "clear-cache [ID...]",
		Short: "Evict API keys from the daemon's authentication cache",
		Long: `Evict the given API keys (all of them without arguments) from the
authentication cache, as the Clear API key cache API does. Needs
manage_security.`,
		Example: "  apikeyctl clear-cache\n  apikeyctl clear-cache 7Q2eJ5gBc8uQ3hY1Zk9w",
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := f.Service(cmd.Context())
			if err != nil {
				return err
			}
			resp, err := svc.ClearAPIKeyCache(cmd.Context(), args)
			if err != nil {
				return err
			}
			return out.print(f, resp)
		},
	}
	out.register(cmd)
	return cmd
}
