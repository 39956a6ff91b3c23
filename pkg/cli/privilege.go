package cli

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/spf13/cobra"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

func newPrivilegeCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "privilege",
		Short: "Manage application privileges",
		Long: `Create, show and delete application privileges: names an application gives
to sets of its actions. A role's "applications" entries grant them by name;
has-privileges and the _has_privileges API resolve a name to its actions.`,
		RunE: groupRunE,
	}
	cmd.AddCommand(newPrivilegePutCmd(f), newPrivilegeGetCmd(f), newPrivilegeDeleteCmd(f))
	for _, c := range cmd.Commands()[1:] {
		c.ValidArgsFunction = completeApplications(f)
	}
	return cmd
}

// completeApplications completes application names, then the privilege
// names of the application given first.
func completeApplications(f *Factory) cobra.CompletionFunc {
	return completeFromTarget(f, func(ctx context.Context, svc api.Service, args []string, toComplete string) ([]cobra.Completion, error) {
		app := ""
		if len(args) > 0 {
			app = args[0]
		}
		privs, err := svc.GetPrivileges(ctx, app, nil)
		if err != nil {
			return nil, err
		}
		if len(args) == 0 {
			return filterNames(slices.Collect(maps.Keys(privs)), args, toComplete), nil
		}
		return filterNames(slices.Collect(maps.Keys(privs[app])), args[1:], toComplete), nil
	})
}

type privilegePutOptions struct {
	f       *Factory
	out     outputFlags
	file    string
	app     string
	name    string
	actions []string
}

func newPrivilegePutCmd(f *Factory) *cobra.Command {
	opts := &privilegePutOptions{f: f}
	cmd := &cobra.Command{
		Use:   "put (--file FILE | --app APP --name NAME --action ACTION...)",
		Short: "Create or replace application privileges",
		Long: `Create or replace application privileges, from a file (or stdin) holding the
body of Elasticsearch's put privileges API, {"APP": {"NAME": {"actions": [...],
"metadata": {...}}}}, or one privilege given with flags. An action contains
'/', '*' or ':'.`,
		Example: `  apikeyctl privilege put --app myapp --name read --action 'data:read/*' --action action:login

  echo '{"myapp":{"write":{"actions":["data:write/*"],"metadata":{"description":"Write access"}}}}' | apikeyctl privilege put --file -`,
		Args: exactArgs(0, "no arguments (give the privilege with --file or --app, --name and --action)"),
		RunE: func(cmd *cobra.Command, args []string) error { return runPrivilegePut(cmd, opts) },
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.file, "file", "", "put privileges body JSON from `FILE` (- for stdin)")
	fl.StringVar(&opts.app, "app", "", "the `APPLICATION` of the privilege")
	fl.StringVar(&opts.name, "name", "", "the privilege's `NAME`")
	fl.StringArrayVar(&opts.actions, "action", nil, "an `ACTION` the privilege grants (repeatable)")
	opts.out.register(cmd)
	return cmd
}

func runPrivilegePut(cmd *cobra.Command, opts *privilegePutOptions) error {
	flags := opts.app != "" || opts.name != "" || len(opts.actions) > 0
	var req *api.PutPrivilegesRequest
	switch {
	case opts.file != "" && flags:
		return usageErrorf("give the privileges either as --file or with --app, --name and --action, not both")
	case opts.file != "":
		data, err := readFileOrStdin(opts.f, opts.file)
		if err != nil {
			return err
		}
		parsed, err := api.DecodePutPrivilegesRequest(data)
		if err != nil {
			return usageErrorf("--file %s: %v", opts.file, err)
		}
		req = parsed
	case opts.app == "" || opts.name == "" || len(opts.actions) == 0:
		return usageErrorf("give the privilege with --app APP, --name NAME and at least one --action ACTION, or the privileges with --file FILE")
	default:
		req = &api.PutPrivilegesRequest{Privileges: []api.ApplicationPrivilege{{Application: opts.app, Name: opts.name, Actions: opts.actions}}}
	}
	svc, err := opts.f.Service(cmd.Context())
	if err != nil {
		return err
	}
	resp, err := svc.PutPrivileges(cmd.Context(), req)
	if err != nil {
		return err
	}
	return opts.out.print(opts.f, resp)
}

type privilegeGetOptions struct {
	f   *Factory
	out outputFlags
}

func newPrivilegeGetCmd(f *Factory) *cobra.Command {
	opts := &privilegeGetOptions{f: f}
	cmd := &cobra.Command{
		Use:   "get [APP [NAME...]]",
		Short: "Show application privileges",
		Long: `Show application privileges: every one, those of an application (a trailing
'*' matches a prefix), or the named privileges of one. Naming privileges
none of which exists exits 3.`,
		Example: `  apikeyctl privilege put --app myapp --name read --action 'data:read/*'
  apikeyctl privilege get
  apikeyctl privilege get myapp read -o json`,
		RunE: func(cmd *cobra.Command, args []string) error { return runPrivilegeGet(cmd, opts, args) },
	}
	opts.out.register(cmd)
	return cmd
}

func runPrivilegeGet(cmd *cobra.Command, opts *privilegeGetOptions, args []string) error {
	app, names := "", []string(nil)
	if len(args) > 0 {
		app, names = args[0], args[1:]
	}
	svc, err := opts.f.Service(cmd.Context())
	if err != nil {
		return err
	}
	resp, err := svc.GetPrivileges(cmd.Context(), app, names)
	if err != nil {
		return err
	}
	return opts.out.printFound(opts.f, resp, len(names) == 0 || len(resp) > 0, fmt.Sprintf("no privilege of application %s named %v", app, names))
}

type privilegeDeleteOptions struct {
	f   *Factory
	out outputFlags
}

func newPrivilegeDeleteCmd(f *Factory) *cobra.Command {
	opts := &privilegeDeleteOptions{f: f}
	cmd := &cobra.Command{
		Use:   "delete APP NAME...",
		Short: "Delete application privileges",
		Long: `Delete the named privileges of an application. When none of them exists the
command exits 3.`,
		Example: `  apikeyctl privilege put --app myapp --name tmp --action 'data:tmp/*'
  apikeyctl privilege delete myapp tmp`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return usageErrorf("%s needs an application and at least one privilege NAME", cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return runPrivilegeDelete(cmd, opts, args) },
	}
	opts.out.register(cmd)
	return cmd
}

func runPrivilegeDelete(cmd *cobra.Command, opts *privilegeDeleteOptions, args []string) error {
	app, names := args[0], args[1:]
	svc, err := opts.f.Service(cmd.Context())
	if err != nil {
		return err
	}
	resp, err := svc.DeletePrivileges(cmd.Context(), app, names)
	if err != nil {
		return err
	}
	found := false
	for _, r := range resp[app] {
		found = found || r.Found
	}
	return opts.out.printFound(opts.f, resp, found, fmt.Sprintf("no privilege of application %s named %v", app, names))
}
