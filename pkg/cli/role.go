package cli

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
)

func newRoleCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "role",
		Short: "Manage roles",
		Long:  "Create, show and delete roles of the native realm.",
		RunE:  groupRunE,
	}
	get, del := newRoleGetCmd(f), newRoleDeleteCmd(f)
	get.ValidArgsFunction, del.ValidArgsFunction = completeRoles(f), completeRoles(f)
	cmd.AddCommand(newRolePutCmd(f), get, del, newRoleImportCmd(f))
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
		Use:   "delete NAME...",
		Short: "Delete roles",
		Long: `Delete roles of the native realm. Several names are deleted in one
request (the bulk delete roles API, Elasticsearch 8.15 or later), each
deleted, not found or refused on its own.`,
		Example: `  apikeyctl role delete key_admin

  apikeyctl role put reader --cluster read_security
  apikeyctl role put writer --cluster manage_security
  apikeyctl role delete reader writer`,
		Args:    minArgs(1, "a role NAME"),
		RunE:    func(cmd *cobra.Command, args []string) error { return runRoleDelete(cmd, opts, args) },
	}
	opts.out.register(cmd)
	return cmd
}

func runRoleDelete(cmd *cobra.Command, opts *roleDeleteOptions, names []string) error {
	svc, err := opts.f.Service(cmd.Context())
	if err != nil {
		return err
	}
	if len(names) == 1 {
		resp, err := svc.DeleteRole(cmd.Context(), names[0])
		if err != nil {
			return err
		}
		return opts.out.printFound(opts.f, resp, resp.Found, fmt.Sprintf("no role named %s", names[0]))
	}
	resp, err := svc.BulkDeleteRoles(cmd.Context(), &api.BulkDeleteRolesRequest{Names: names})
	if err != nil {
		return err
	}
	if err := opts.out.print(opts.f, resp); err != nil {
		return err
	}
	return bulkRolesOutcome(resp, "deleted")
}

// bulkRolesOutcome is the error of a bulk roles answer: a PartialError
// when a role failed, a NotFoundError when one was not found.
func bulkRolesOutcome(resp *api.BulkRolesResponse, done string) error {
	switch {
	case resp.Failed():
		return &PartialError{Msg: fmt.Sprintf("%d of the roles could not be %s", len(resp.Errors), done)}
	case len(resp.NotFound) > 0:
		return &NotFoundError{Msg: fmt.Sprintf("no role named %s", strings.Join(resp.NotFound, ", "))}
	}
	return nil
}

type roleImportOptions struct {
	f   *Factory
	out outputFlags
}

func newRoleImportCmd(f *Factory) *cobra.Command {
	opts := &roleImportOptions{f: f}
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Create or replace several roles from a file",
		Long: `Create or replace the roles of FILE (- for stdin) in one request, the bulk
put roles API (Elasticsearch 8.15 or later). FILE holds the request body,
{"roles":{NAME:DESCRIPTOR,...}}, or what "role get -o json" prints, so that
roles copy from one cluster to another. Each role is created, updated,
left unchanged or refused on its own; a refused role makes the exit code 6.`,
		Example: `  apikeyctl role get -o json > roles.json
  apikeyctl role import roles.json
  echo '{"roles":{"ci_keys":{"cluster":["manage_own_api_key"]}}}' | apikeyctl role import -`,
		Args: exactArgs(1, "a FILE of roles (- for stdin)"),
		RunE: func(cmd *cobra.Command, args []string) error { return runRoleImport(cmd, opts, args[0]) },
	}
	opts.out.register(cmd)
	return cmd
}

func runRoleImport(cmd *cobra.Command, opts *roleImportOptions, file string) error {
	data, err := readFileOrStdin(opts.f, file)
	if err != nil {
		return err
	}
	req, err := decodeRolesFile(data)
	if err != nil {
		return usageErrorf("%s: %v", file, err)
	}
	svc, err := opts.f.Service(cmd.Context())
	if err != nil {
		return err
	}
	resp, err := svc.BulkPutRoles(cmd.Context(), req)
	if err != nil {
		return err
	}
	if err := opts.out.print(opts.f, resp); err != nil {
		return err
	}
	return bulkRolesOutcome(resp, "written")
}

// decodeRolesFile reads a bulk put roles body, or an object of role
// descriptors by name (the answer of get roles), which it wraps as one.
// Built-in roles in an answer of get roles are left out: they exist on
// every cluster and cannot be written.
func decodeRolesFile(data []byte) (*api.BulkPutRolesRequest, error) {
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) == nil && len(top) == 1 && top["roles"] != nil {
		return api.DecodeBulkPutRolesRequest(data)
	}
	rds, err := api.DecodeRoleDescriptors(data, true)
	if err != nil {
		return nil, err
	}
	builtin := auth.BuiltinRoles()
	req := &api.BulkPutRolesRequest{Roles: api.RoleDescriptors{}}
	for _, rd := range rds {
		if _, ok := builtin.Get(rd.Name); !ok {
			req.Roles = append(req.Roles, rd)
		}
	}
	return req, nil
}
