package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

func newRoleCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "role",
		Short: "Manage roles",
		Long:  "Create, show, query and delete roles of the native realm.",
		RunE:  groupRunE,
	}
	cmd.AddCommand(newRolePutCmd(f), newRoleGetCmd(f), newRoleDeleteCmd(f))
	for _, c := range cmd.Commands()[1:] {
		c.ValidArgsFunction = completeRoles(f)
	}
	cmd.AddCommand(newRoleQueryCmd(f))
	return cmd
}

type rolePutOptions struct {
	f       *Factory
	out     outputFlags
	file    string
	cluster []string
}

func newRolePutCmd(f *Factory) *cobra.Command {
	opts := &rolePutOptions{f: f}
	cmd := &cobra.Command{
		Use:   "put NAME (--file FILE | --cluster PRIVS)",
		Short: "Create or replace a role",
		Example: `  apikeyctl role put key_admin --cluster manage_own_api_key
  apikeyctl role put reader --file reader-role.json`,
		Args: exactArgs(1, "a role NAME"),
		RunE: func(cmd *cobra.Command, args []string) error { return runRolePut(cmd, opts, args) },
	}
	cmd.Flags().StringVar(&opts.file, "file", "", "role descriptor JSON from `FILE` (- for stdin)")
	cmd.Flags().StringSliceVar(&opts.cluster, "cluster", nil, "comma-separated cluster `privileges`")
	opts.out.register(cmd)
	return cmd
}

func runRolePut(cmd *cobra.Command, opts *rolePutOptions, args []string) error {
	name := args[0]
	req := &api.PutRoleRequest{Name: name}
	switch {
	case opts.file != "" && len(opts.cluster) > 0:
		return usageErrorf("give the role either as --file or with --cluster, not both")
	case opts.file != "":
		data, err := readFileOrStdin(opts.f, opts.file)
		if err != nil {
			return err
		}
		parsed, err := api.DecodeRoleRequest(name, data)
		if err != nil {
			return usageErrorf("--file %s: %v", opts.file, err)
		}
		req = parsed
	case len(opts.cluster) > 0:
		req.Descriptor.Cluster = opts.cluster
	default:
		return usageErrorf("give the role's privileges with --file FILE or --cluster PRIVS")
	}
	svc, err := opts.f.Service(cmd.Context())
	if err != nil {
		return err
	}
	resp, err := svc.PutRole(cmd.Context(), req)
	if err != nil {
		return err
	}
	return opts.out.print(opts.f, resp)
}

type roleGetOptions struct {
	f   *Factory
	out outputFlags
}

func newRoleGetCmd(f *Factory) *cobra.Command {
	opts := &roleGetOptions{f: f}
	cmd := &cobra.Command{
		Use:     "get [NAME...]",
		Short:   "Show roles",
		Example: "  apikeyctl role get\n  apikeyctl role get superuser -o json",
		RunE:    func(cmd *cobra.Command, args []string) error { return runRoleGet(cmd, opts, args) },
	}
	opts.out.register(cmd)
	return cmd
}

func runRoleGet(cmd *cobra.Command, opts *roleGetOptions, names []string) error {
	svc, err := opts.f.Service(cmd.Context())
	if err != nil {
		return err
	}
	resp, err := svc.GetRoles(cmd.Context(), names)
	if err != nil {
		return err
	}
	return opts.out.printFound(opts.f, resp, len(names) == 0 || len(resp) > 0, fmt.Sprintf("no role named %v", names))
}

type roleDeleteOptions struct {
	f   *Factory
	out outputFlags
}

func newRoleDeleteCmd(f *Factory) *cobra.Command {
	opts := &roleDeleteOptions{f: f}
	cmd := &cobra.Command{
		Use:     "delete NAME",
		Short:   "Delete a role",
		Example: "  apikeyctl role delete key_admin",
		Args:    exactArgs(1, "a role NAME"),
		RunE:    func(cmd *cobra.Command, args []string) error { return runRoleDelete(cmd, opts, args) },
	}
	opts.out.register(cmd)
	return cmd
}

func runRoleDelete(cmd *cobra.Command, opts *roleDeleteOptions, args []string) error {
	name := args[0]
	svc, err := opts.f.Service(cmd.Context())
	if err != nil {
		return err
	}
	resp, err := svc.DeleteRole(cmd.Context(), name)
	if err != nil {
		return err
	}
	return opts.out.printFound(opts.f, resp, resp.Found, fmt.Sprintf("no role named %s", name))
}
