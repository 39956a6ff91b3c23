package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

func newUserCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Manage native users",
		Long:  "Add, show, delete users of the native realm and change their passwords.",
		RunE:  groupRunE,
	}
	cmd.AddCommand(newUserAddCmd(f), newUserGetCmd(f), newUserDeleteCmd(f), newUserPasswdCmd(f))
	for _, c := range cmd.Commands()[1:] {
		c.ValidArgsFunction = completeUsers(f)
	}
	return cmd
}

// newPassword reads a new password from stdin, or prompts twice on a
// terminal.
func newPassword(f *Factory, fromStdin bool, username string) (string, error) {
	if fromStdin {
		return readLine(f.IOStreams.In)
	}
	if !f.IOStreams.IsStdinTTY() {
		return "", usageErrorf("the new password is read from stdin with --new-password-stdin, or prompted for on a terminal")
	}
	p1, err := f.IOStreams.ReadPassword(fmt.Sprintf("New password for %s: ", username))
	if err != nil {
		return "", err
	}
	p2, err := f.IOStreams.ReadPassword("Repeat it: ")
	if err != nil {
		return "", err
	}
	if p1 != p2 {
		return "", usageErrorf("the passwords do not match")
	}
	return p1, nil
}

func newUserAddCmd(f *Factory) *cobra.Command {
	var (
		out       outputFlags
		req       api.PutUserRequest
		fullName  string
		email     string
		fromStdin bool
		disabled  bool
	)
	cmd := &cobra.Command{
		Use:   "add USERNAME",
		Short: "Create or update a native user",
		Example: `  # a CI user whose password comes from the pipeline's secret store
  printf '%s\n' "$CI_BOT_PASSWORD" | apikeyctl user add ci-bot --roles ci_keys --new-password-stdin

  # on a terminal, without --new-password-stdin, the password is prompted
  # for twice without echo
  printf '%s\n' "$ALICE_PASSWORD" | apikeyctl user add alice --roles superuser --full-name "Alice Doe" --new-password-stdin`,
		Args: exactArgs(1, "a USERNAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			req.Username = args[0]
			if cmd.Flags().Changed("full-name") {
				req.FullName = &fullName
			}
			if cmd.Flags().Changed("email") {
				req.Email = &email
			}
			if disabled {
				enabled := false
				req.Enabled = &enabled
			}
			pw, err := newPassword(f, fromStdin, req.Username)
			if err != nil {
				return err
			}
			req.Password = &pw
			if req.Roles == nil {
				req.Roles = []string{}
			}
			svc, err := f.Service(cmd.Context())
			if err != nil {
				return err
			}
			resp, err := svc.PutUser(cmd.Context(), &req)
			if err != nil {
				return err
			}
			return out.print(f, resp)
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&req.Roles, "roles", nil, "comma-separated `roles` of the user")
	fl.StringVar(&fullName, "full-name", "", "full name")
	fl.StringVar(&email, "email", "", "email address")
	fl.BoolVar(&fromStdin, "new-password-stdin", false, "read the user's password from the first line of stdin")
	fl.BoolVar(&disabled, "disabled", false, "create the user disabled")
	out.register(cmd)
	return cmd
}

func newUserGetCmd(f *Factory) *cobra.Command {
	var out outputFlags
	cmd := &cobra.Command{
		Use:     "get [USERNAME...]",
		Short:   "Show native users",
		Example: "  apikeyctl user get\n  apikeyctl user get alice -o json",
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := f.Service(cmd.Context())
			if err != nil {
				return err
			}
			resp, err := svc.GetUsers(cmd.Context(), args)
			if err != nil {
				return err
			}
			if err := out.print(f, resp); err != nil {
				return err
			}
			if len(args) > 0 && len(resp) == 0 {
				return &NotFoundError{Msg: fmt.Sprintf("no user named %v", args)}
			}
			return nil
		},
	}
	out.register(cmd)
	return cmd
}

func newUserDeleteCmd(f *Factory) *cobra.Command {
	var out outputFlags
	cmd := &cobra.Command{
		Use:     "delete USERNAME",
		Short:   "Delete a native user",
		Example: "  apikeyctl user delete alice",
		Args:    exactArgs(1, "a USERNAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := f.Service(cmd.Context())
			if err != nil {
				return err
			}
			resp, err := svc.DeleteUser(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if err := out.print(f, resp); err != nil {
				return err
			}
			if !resp.Found {
				return &NotFoundError{Msg: fmt.Sprintf("no user named %s", args[0])}
			}
			return nil
		},
	}
	out.register(cmd)
	return cmd
}

func newUserPasswdCmd(f *Factory) *cobra.Command {
	var fromStdin bool
	cmd := &cobra.Command{
		Use:     "passwd USERNAME",
		Short:   "Change a native user's password",
		Example: "  printf '%s\\n' \"$NEW_PASSWORD\" | apikeyctl user passwd ci-bot --new-password-stdin",
		Args:    exactArgs(1, "a USERNAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			pw, err := newPassword(f, fromStdin, args[0])
			if err != nil {
				return err
			}
			svc, err := f.Service(cmd.Context())
			if err != nil {
				return err
			}
			if err := svc.ChangePassword(cmd.Context(), &api.ChangePasswordRequest{Username: args[0], Password: &pw}); err != nil {
				return err
			}
			fmt.Fprintf(f.IOStreams.ErrOut, "Password of %s changed.\n", args[0])
			return nil
		},
	}
	cmd.Flags().BoolVar(&fromStdin, "new-password-stdin", false, "read the new password from the first line of stdin")
	return cmd
}
