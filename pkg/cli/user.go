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
		Long:  "Add, show, query, enable, disable, delete users of the native realm, change their passwords, and list your own privileges.",
		RunE:  groupRunE,
	}
	cmd.AddCommand(newUserAddCmd(f), newUserGetCmd(f), newUserDeleteCmd(f), newUserPasswdCmd(f),
		newUserSetEnabledCmd(f, true), newUserSetEnabledCmd(f, false))
	for _, c := range cmd.Commands()[1:] {
		c.ValidArgsFunction = completeUsers(f)
	}
	cmd.AddCommand(newUserPrivilegesCmd(f), newUserQueryCmd(f))
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

type userAddOptions struct {
	f         *Factory
	out       outputFlags
	req       api.PutUserRequest
	fullName  string
	email     string
	fromStdin bool
	disabled  bool
}

func newUserAddCmd(f *Factory) *cobra.Command {
	opts := &userAddOptions{f: f}
	cmd := &cobra.Command{
		Use:   "add USERNAME",
		Short: "Create or update a native user",
		Example: `  # a CI user whose password comes from the pipeline's secret store
  printf '%s\n' "$CI_BOT_PASSWORD" | apikeyctl user add ci-bot --roles ci_keys --new-password-stdin

  # on a terminal, without --new-password-stdin, the password is prompted
  # for twice without echo
  printf '%s\n' "$ALICE_PASSWORD" | apikeyctl user add alice --roles superuser --full-name "Alice Doe" --new-password-stdin`,
		Args: exactArgs(1, "a USERNAME"),
		RunE: func(cmd *cobra.Command, args []string) error { return runUserAdd(cmd, opts, args) },
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&opts.req.Roles, "roles", nil, "comma-separated `roles` of the user")
	fl.StringVar(&opts.fullName, "full-name", "", "full name")
	fl.StringVar(&opts.email, "email", "", "email address")
	fl.BoolVar(&opts.fromStdin, "new-password-stdin", false, "read the user's password from the first line of stdin")
	fl.BoolVar(&opts.disabled, "disabled", false, "create the user disabled")
	opts.out.register(cmd)
	return cmd
}

func runUserAdd(cmd *cobra.Command, opts *userAddOptions, args []string) error {
	req := &opts.req
	req.Username = args[0]
	req.FullName = changedString(cmd, "full-name", &opts.fullName)
	req.Email = changedString(cmd, "email", &opts.email)
	if opts.disabled {
		enabled := false
		req.Enabled = &enabled
	}
	pw, err := newPassword(opts.f, opts.fromStdin, req.Username)
	if err != nil {
		return err
	}
	req.Password = &pw
	if req.Roles == nil {
		req.Roles = []string{}
	}
	svc, err := opts.f.Service(cmd.Context())
	if err != nil {
		return err
	}
	resp, err := svc.PutUser(cmd.Context(), req)
	if err != nil {
		return err
	}
	return opts.out.print(opts.f, resp)
}

type userGetOptions struct {
	f   *Factory
	out outputFlags
}

func newUserGetCmd(f *Factory) *cobra.Command {
	opts := &userGetOptions{f: f}
	cmd := &cobra.Command{
		Use:     "get [USERNAME...]",
		Short:   "Show native users",
		Example: "  apikeyctl user get\n  apikeyctl user get alice -o json",
		RunE:    func(cmd *cobra.Command, args []string) error { return runUserGet(cmd, opts, args) },
	}
	opts.out.register(cmd)
	return cmd
}

func runUserGet(cmd *cobra.Command, opts *userGetOptions, names []string) error {
	svc, err := opts.f.Service(cmd.Context())
	if err != nil {
		return err
	}
	resp, err := svc.GetUsers(cmd.Context(), names)
	if err != nil {
		return err
	}
	return opts.out.printFound(opts.f, resp, len(names) == 0 || len(resp) > 0, fmt.Sprintf("no user named %v", names))
}

type userDeleteOptions struct {
	f   *Factory
	out outputFlags
}

func newUserDeleteCmd(f *Factory) *cobra.Command {
	opts := &userDeleteOptions{f: f}
	cmd := &cobra.Command{
		Use:     "delete USERNAME",
		Short:   "Delete a native user",
		Example: "  apikeyctl user delete alice",
		Args:    exactArgs(1, "a USERNAME"),
		RunE:    func(cmd *cobra.Command, args []string) error { return runUserDelete(cmd, opts, args) },
	}
	opts.out.register(cmd)
	return cmd
}

func runUserDelete(cmd *cobra.Command, opts *userDeleteOptions, args []string) error {
	username := args[0]
	svc, err := opts.f.Service(cmd.Context())
	if err != nil {
		return err
	}
	resp, err := svc.DeleteUser(cmd.Context(), username)
	if err != nil {
		return err
	}
	return opts.out.printFound(opts.f, resp, resp.Found, fmt.Sprintf("no user named %s", username))
}

type userPasswdOptions struct {
	f         *Factory
	fromStdin bool
}

func newUserPasswdCmd(f *Factory) *cobra.Command {
	opts := &userPasswdOptions{f: f}
	cmd := &cobra.Command{
		Use:     "passwd USERNAME",
		Short:   "Change a native user's password",
		Example: "  printf '%s\\n' \"$NEW_PASSWORD\" | apikeyctl user passwd ci-bot --new-password-stdin",
		Args:    exactArgs(1, "a USERNAME"),
		RunE:    func(cmd *cobra.Command, args []string) error { return runUserPasswd(cmd, opts, args) },
	}
	cmd.Flags().BoolVar(&opts.fromStdin, "new-password-stdin", false, "read the new password from the first line of stdin")
	return cmd
}

func runUserPasswd(cmd *cobra.Command, opts *userPasswdOptions, args []string) error {
	username := args[0]
	pw, err := newPassword(opts.f, opts.fromStdin, username)
	if err != nil {
		return err
	}
	svc, err := opts.f.Service(cmd.Context())
	if err != nil {
		return err
	}
	if err := svc.ChangePassword(cmd.Context(), &api.ChangePasswordRequest{Username: username, Password: &pw}); err != nil {
		return err
	}
	fmt.Fprintf(opts.f.IOStreams.ErrOut, "Password of %s changed.\n", username)
	return nil
}
