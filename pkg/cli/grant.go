package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

type grantOptions struct {
	f          *Factory
	out        outputFlags
	secret     secretFlags
	create     createOptions
	user       string
	runAs      string
	passwordIn bool
	tokenIn    bool
	fromFile   string
}

func newGrantCmd(f *Factory) *cobra.Command {
	opts := &grantOptions{f: f}
	cmd := &cobra.Command{
		Use:   "grant (--user USER | --access-token-stdin) (--name NAME | --from-file FILE)",
		Short: "Create API keys on behalf of another user",
		Long: `Create an API key owned by another user, proven by that user's password
or access token, as the Grant API key API does. The caller needs the
grant_api_key privilege.

The user's password comes from APIKEYCTL_GRANT_PASSWORD, --user-password-stdin
or a no-echo prompt; an access token from APIKEYCTL_GRANT_ACCESS_TOKEN or
--access-token-stdin. --from-file grants many keys at once, in one
transaction: a JSON array of key objects ({"name", "expiration",
"role_descriptors", "metadata"}), or an object with "api_keys".`,
		Example: `  printf '%s\n' "$ALICE_PASSWORD" | apikeyctl grant --user alice --user-password-stdin --name alice-ci --expiration 7d

  # many keys at once, in one transaction
  echo '[{"name": "alice-a"}, {"name": "alice-b", "expiration": "1d"}]' > keys.json
  APIKEYCTL_GRANT_PASSWORD=$ALICE_PASSWORD apikeyctl grant --user alice --from-file keys.json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runGrant(cmd, opts) },
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.user, "user", "", "the user who will own the key (grant_type password)")
	fl.BoolVar(&opts.passwordIn, "user-password-stdin", false, "read the user's password from the first line of stdin")
	fl.BoolVar(&opts.tokenIn, "access-token-stdin", false, "prove the user with an access token from stdin (grant_type access_token)")
	fl.StringVar(&opts.runAs, "run-as", "", "create the key for this user, whom the granted user may run as")
	fl.StringVar(&opts.fromFile, "from-file", "", "grant every key described in this JSON `file` (- for stdin)")
	fl.StringVar(&opts.create.name, "name", "", "name of the key")
	fl.StringVar(&opts.create.expiration, "expiration", "", "lifetime as an Elasticsearch time value, e.g. 30d")
	fl.StringArrayVar(&opts.create.metadata, "metadata", nil, "metadata `key=value` (repeatable)")
	fl.StringVar(&opts.create.metadataJSON, "metadata-json", "", "metadata as a JSON `object`")
	fl.StringVar(&opts.create.roleDescriptors, "role-descriptors", "", "role descriptors JSON object from `FILE`")
	opts.secret.register(cmd)
	opts.out.register(cmd)
	return cmd
}

func (opts *grantOptions) credential() (api.GrantCredential, error) {
	f := opts.f
	var g api.GrantCredential
	switch {
	case opts.tokenIn && opts.user != "":
		return g, usageErrorf("give either --user (password grant) or --access-token-stdin (token grant), not both")
	case opts.tokenIn:
		tok, err := readLine(f.IOStreams.In)
		if err != nil {
			return g, err
		}
		g.GrantType, g.AccessToken = api.GrantTypeAccessToken, &tok
	case opts.user != "":
		pw, err := userPassword(f, envGrantPassword, opts.passwordIn, opts.user)
		if err != nil {
			return g, err
		}
		g.GrantType, g.Username, g.Password = api.GrantTypePassword, &opts.user, &pw
	default:
		if tok := f.Getenv(envGrantAccessToken); tok != "" {
			g.GrantType, g.AccessToken = api.GrantTypeAccessToken, &tok
			break
		}
		return g, usageErrorf("whose key? give --user USER (with a password) or --access-token-stdin")
	}
	if opts.runAs != "" {
		g.RunAs = &opts.runAs
	}
	return g, nil
}

func runGrant(cmd *cobra.Command, opts *grantOptions) error {
	if opts.fromFile != "" && cmd.Flags().Changed("name") {
		return usageErrorf("give either --name or --from-file, not both")
	}
	if opts.fromFile == "" && !cmd.Flags().Changed("name") {
		return usageErrorf("--name is required (or --from-file for many keys)")
	}
	if opts.fromFile != "" && opts.secret.asked() {
		return usageErrorf("--secret-out and --secret-format take the secret of one key: --from-file grants many (their secrets are in the JSON answer)")
	}
	if opts.fromFile == "-" && (opts.passwordIn || opts.tokenIn) {
		return usageErrorf("stdin cannot carry both the keys file and the secret")
	}
	var keys []api.CreateAPIKeyRequest
	if opts.fromFile != "" {
		data, err := readFileOrStdin(opts.f, opts.fromFile)
		if err != nil {
			return err
		}
		if keys, err = parseKeysFile(data); err != nil {
			return usageErrorf("--from-file %s: %v", opts.fromFile, err)
		}
	}
	g, err := opts.credential()
	if err != nil {
		return err
	}
	svc, err := opts.f.Service(cmd.Context())
	if err != nil {
		return err
	}
	if keys != nil {
		resp, err := svc.BulkGrantAPIKeys(cmd.Context(), &api.BulkGrantAPIKeysRequest{GrantCredential: g, APIKeys: keys})
		if err != nil {
			return err
		}
		return opts.out.print(opts.f, resp)
	}
	key := &api.CreateAPIKeyRequest{Name: &opts.create.name, Expiration: changedString(cmd, "expiration", &opts.create.expiration)}
	if key.Metadata, err = parseMetadata(opts.create.metadata, opts.create.metadataJSON); err != nil {
		return err
	}
	if opts.create.roleDescriptors != "" {
		data, err := readFileOrStdin(opts.f, opts.create.roleDescriptors)
		if err != nil {
			return err
		}
		if key.RoleDescriptors, err = api.DecodeRoleDescriptors(data, false); err != nil {
			return usageErrorf("--role-descriptors %s: %v", opts.create.roleDescriptors, err)
		}
	}
	grant := &api.GrantAPIKeyRequest{GrantCredential: g, APIKey: key}
	return opts.secret.deliver(cmd.Context(), opts.f, &opts.out, func(ctx context.Context) (*api.CreateAPIKeyResponse, error) { return svc.GrantAPIKey(ctx, grant) })
}

// userPassword reads the password of another user (the one a key or a
// token is for): from the environment variable env, from stdin when
// fromStdin, or from a no-echo prompt on a terminal.
func userPassword(f *Factory, env string, fromStdin bool, user string) (string, error) {
	switch pw := f.Getenv(env); {
	case pw != "":
		return pw, nil
	case fromStdin:
		return readLine(f.IOStreams.In)
	case f.IOStreams.IsStdinTTY():
		return f.IOStreams.ReadPassword(fmt.Sprintf("Password of %s: ", user))
	}
	return "", usageErrorf("the password of %s comes from %s, --user-password-stdin or a prompt on a terminal", user, env)
}

// parseKeysFile reads the keys of a bulk grant: an array of key objects,
// or an object with an api_keys array.
func parseKeysFile(data []byte) ([]api.CreateAPIKeyRequest, error) {
	trimmed := strings.TrimSpace(string(data))
	if strings.HasPrefix(trimmed, "[") {
		trimmed = `{"grant_type":"password","api_keys":` + trimmed + `}`
	} else {
		var probe map[string]json.RawMessage
		if err := json.Unmarshal([]byte(trimmed), &probe); err != nil {
			return nil, err
		}
		if len(probe) != 1 || probe["api_keys"] == nil {
			return nil, fmt.Errorf(`expected a JSON array of keys or {"api_keys": [...]}`)
		}
		trimmed = `{"grant_type":"password","api_keys":` + string(probe["api_keys"]) + `}`
	}
	req, err := api.DecodeBulkGrantAPIKeysRequest([]byte(trimmed))
	if err != nil {
		return nil, err
	}
	if len(req.APIKeys) == 0 {
		return nil, fmt.Errorf("the file lists no keys")
	}
	return req.APIKeys, nil
}
