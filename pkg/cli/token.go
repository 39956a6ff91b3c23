package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

func newTokenCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Create and invalidate OAuth2 access tokens",
		Long: `Create and invalidate the OAuth2 access tokens of the token service, as
the get token and invalidate token APIs do. An access token authenticates
as "Authorization: Bearer <token>" for 20 minutes; a refresh token gives a
new pair once, within 24 hours. Both need the manage_token privilege.

Tokens are secrets: they are read from the environment, stdin or a no-echo
prompt, never from an argument.`,
		Args: cobra.ArbitraryArgs,
		RunE: groupRunE,
	}
	cmd.AddCommand(newTokenCreateCmd(f), newTokenInvalidateCmd(f))
	return cmd
}

type tokenCreateOptions struct {
	f          *Factory
	out        outputFlags
	user       string
	passwordIn bool
	refresh    bool
	scope      string
}

func newTokenCreateCmd(f *Factory) *cobra.Command {
	opts := &tokenCreateOptions{f: f}
	cmd := &cobra.Command{
		Use:   "create [--user USER | --refresh]",
		Short: "Create an access token",
		Long: `Create an access token.

Without flags the token is for you (grant type client_credentials, no
refresh token). With --user it is for that user, proven by the user's
password (grant type password), read from APIKEYCTL_TOKEN_PASSWORD,
--user-password-stdin, or a no-echo prompt; a refresh token comes with it.
With --refresh a refresh token, read from APIKEYCTL_REFRESH_TOKEN, else
stdin (a prompt on a terminal), is exchanged for a new pair.

--field access_token prints just the token a client sends.`,
		Example: `  # a token for yourself, just the token a client sends
  apikeyctl token create --field access_token

  # a token pair for bob
  printf '%s\n' "$BOB_PASSWORD" | apikeyctl token create --user bob --user-password-stdin

  # bob's refresh token, later exchanged for a new pair
  printf '%s\n' "$BOB_PASSWORD" | apikeyctl token create --user bob --user-password-stdin --field refresh_token > refresh.txt
  apikeyctl token create --refresh < refresh.txt`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runTokenCreate(cmd, opts) },
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.user, "user", "", "create the token for this user, proven by its password (grant type password)")
	fl.BoolVar(&opts.passwordIn, "user-password-stdin", false, "read the user's password from the first line of stdin")
	fl.BoolVar(&opts.refresh, "refresh", false, "exchange a refresh token for a new pair (grant type refresh_token)")
	fl.StringVar(&opts.scope, "scope", "", "the scope asked for (tokens are always issued for the scope full)")
	opts.out.register(cmd)
	return cmd
}

func runTokenCreate(cmd *cobra.Command, opts *tokenCreateOptions) error {
	f := opts.f
	req := &api.GetTokenRequest{}
	grant := api.GrantTypeClientCredentials
	switch {
	case opts.user != "" && opts.refresh:
		return usageErrorf("give either --user (a token for a user) or --refresh (a new pair for a refresh token), not both")
	case opts.passwordIn && opts.user == "":
		return usageErrorf("--user-password-stdin needs --user: whose password is it?")
	case opts.user != "":
		grant = api.GrantTypePassword
		pw, err := userPassword(f, envTokenPassword, opts.passwordIn, opts.user)
		if err != nil {
			return err
		}
		req.Username, req.Password = &opts.user, &pw
	case opts.refresh:
		grant = api.GrantTypeRefreshToken
		rt, err := readTokenSecret(f, envRefreshToken, "Refresh token: ")
		if err != nil {
			return err
		}
		req.RefreshToken = &rt
	}
	req.GrantType = &grant
	if cmd.Flags().Changed("scope") {
		req.Scope = &opts.scope
	}
	svc, err := f.Service(cmd.Context())
	if err != nil {
		return err
	}
	resp, err := svc.GetToken(cmd.Context(), req)
	if err != nil {
		return err
	}
	return opts.out.print(f, resp)
}

// readTokenSecret reads a token from the environment variable env, else a
// no-echo prompt on a terminal, else the first line of stdin.
func readTokenSecret(f *Factory, env, prompt string) (string, error) {
	if v := strings.TrimSpace(f.Getenv(env)); v != "" {
		return v, nil
	}
	if f.IOStreams.IsStdinTTY() {
		return f.IOStreams.ReadPassword(prompt)
	}
	line, err := readLine(f.IOStreams.In)
	if err != nil {
		return "", usageErrorf("the token is read from %s or stdin: %v", env, err)
	}
	return strings.TrimSpace(line), nil
}

type tokenInvalidateOptions struct {
	f       *Factory
	out     outputFlags
	refresh bool
	realm   string
	user    string
}

func newTokenInvalidateCmd(f *Factory) *cobra.Command {
	opts := &tokenInvalidateOptions{f: f}
	cmd := &cobra.Command{
		Use:   "invalidate [--refresh | --realm REALM | --user USER]",
		Short: "Invalidate access or refresh tokens",
		Long: `Invalidate tokens, as the invalidate token API does: one access token
(read from APIKEYCTL_ACCESS_TOKEN, else stdin, a prompt on a terminal), one
refresh token with --refresh (from APIKEYCTL_REFRESH_TOKEN, else stdin), or
every active token of a realm and/or a user with --realm and --user.

Exits 3 when the token named matched nothing, and 6 when some tokens could
not be invalidated.`,
		Example: `  # an access token, read from stdin
  apikeyctl token create --field access_token | apikeyctl token invalidate

  # a refresh token
  printf '%s\n' "$BOB_PASSWORD" | apikeyctl token create --user bob --user-password-stdin --field refresh_token |
    apikeyctl token invalidate --refresh

  # every active token of bob
  apikeyctl token invalidate --user bob`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runTokenInvalidate(cmd, opts) },
	}
	fl := cmd.Flags()
	fl.BoolVar(&opts.refresh, "refresh", false, "the token read is a refresh token")
	fl.StringVar(&opts.realm, "realm", "", "invalidate the tokens of users of this realm (the API's realm_name)")
	fl.StringVar(&opts.user, "user", "", "invalidate the tokens of this user (the API's username)")
	opts.out.register(cmd)
	return cmd
}

func runTokenInvalidate(cmd *cobra.Command, opts *tokenInvalidateOptions) error {
	f := opts.f
	req := &api.InvalidateTokenRequest{RealmName: opts.realm, Username: opts.user}
	byOwner := opts.realm != "" || opts.user != ""
	switch {
	case byOwner && opts.refresh:
		return usageErrorf("--refresh names one token; --realm and --user select tokens by owner: give one or the other")
	case opts.refresh:
		rt, err := readTokenSecret(f, envRefreshToken, "Refresh token: ")
		if err != nil {
			return err
		}
		req.RefreshToken = rt
	case !byOwner:
		at, err := readTokenSecret(f, envAccessToken, "Access token: ")
		if err != nil {
			return err
		}
		req.Token = at
	}
	svc, err := f.Service(cmd.Context())
	if err != nil {
		return err
	}
	resp, err := svc.InvalidateToken(cmd.Context(), req)
	if err != nil {
		return err
	}
	if err := opts.out.print(f, resp); err != nil {
		return err
	}
	switch {
	case resp.ErrorCount > 0:
		return &PartialError{Msg: fmt.Sprintf("%d token(s) could not be invalidated", resp.ErrorCount)}
	case !byOwner && !resp.Found():
		return &NotFoundError{Msg: "no such token: it is unknown, or expired and removed"}
	}
	return nil
}
