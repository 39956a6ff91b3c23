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
		Long:  "Create, show and delete roles of the native realm.",
		RunE:  groupRunE,
	}
	cmd.AddCommand(newRolePutCmd(f), newRoleGetCmd(f), newRoleDeleteCmd(f))
	for _, c := range cmd.Commands()[1:] {
		c.ValidArgsFunction = completeRoles(f)
	}
	return cmd
}

func newRolePutCmd(f *Factory) *cobra.Command {
	var (
		out     outputFlags
		file    string
		cluster []string
	)
	cmd := &cobra.Command{
		Use:   "put NAME (--file FILE | --cluster PRIVS)",
		Short: "Create or replace a role",
		Example: `  apikeyctl role put key_admin --cluster manage_own_api_key
  apikeyctl role put reader --file reader-role.json`,
		Args: exactArgs(1, "a role NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := &api.PutRoleRequest{Name: args[0]}
			switch {
			case file != "" && len(cluster) > 0:
				return usageErrorf("give the role either as --file or with --cluster, not both")
			case file != "":
				data, err := readFileOrStdin(f, file)
				if err != nil {
					return err
				}
				parsed, err := api.DecodeRoleRequest(args[0], data)
				if err != nil {
					return usageErrorf("--file %s: %v", file, err)
				}
				req = parsed
			case len(cluster) > 0:
				req.Descriptor.Cluster = cluster
			default:
				return usageErrorf("give the role's privileges with --file FILE or --cluster PRIVS")
			}
			svc, err := f.Service(cmd.Context())
			if err != nil {
				return err
			}
			resp, err := svc.PutRole(cmd.Context(), req)
			if err != nil {
				return err
			}
			return out.print(f, resp)
		},
	}
	cmd.Flags().StringVar(&file, "file", "", "role descriptor JSON from `FILE` (- for stdin)")
	cmd.Flags().StringSliceVar(&cluster, "cluster", nil, "comma-separated cluster `privileges`")
	out.register(cmd)
	return cmd
}

func newRoleGetCmd(f *Factory) *cobra.Command {
	var out outputFlags
	cmd := &cobra.Command{
		Use:     "get [NAME...]",
		Short:   "Show roles",
		Example: "  apikeyctl role get\n  apikeyctl role get superuser -o json",
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := f.Service(cmd.Context())
			if err != nil {
				return err
			}
			resp, err := svc.GetRoles(cmd.Context(), args)
			if err != nil {
				return err
			}
			if err := out.print(f, resp); err != nil {
				return err
			}
			if len(args) > 0 && len(resp) == 0 {
				return &NotFoundError{Msg: fmt.Sprintf("no role named %v", args)}
			}
			return nil
		},
	}
	out.register(cmd)
	return cmd
}

func newRoleDeleteCmd(f *Factory) *cobra.Command {
	var out outputFlags
	cmd := &cobra.Command{
		Use:     "delete NAME",
		Short:   "Delete a role",
		Example: "  apikeyctl role delete key_admin",
		Args:    exactArgs(1, "a role NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := f.Service(cmd.Context())
			if err != nil {
				return err
			}
			resp, err := svc.DeleteRole(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if err := out.print(f, resp); err != nil {
				return err
			}
			if !resp.Found {
				return &NotFoundError{Msg: fmt.Sprintf("no role named %s", args[0])}
			}
			return nil
		},
	}
	out.register(cmd)
	return cmd
}
