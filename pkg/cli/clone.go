package cli

import (
	"context"
	"strings"

	"github.com/spf13/cobra"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

type cloneOptions struct {
	f            *Factory
	out          outputFlags
	secret       secretFlags
	name         string
	expiration   string
	noExpiration bool
	metadata     []string
	metadataJSON string
	allowFrom    allowFromFlags
}

func newCloneCmd(f *Factory) *cobra.Command {
	opts := &cloneOptions{f: f}
	cmd := &cobra.Command{
		Use:   "clone",
		Short: "Clone an API key from its credential",
		Long: `Create a new API key with the owner and permissions of an existing one,
proving possession of its credential. The caller may itself be an API key:
that is what clone is for (CI pipelines minting short-lived keys).

Two credentials are involved. The source key, the one cloned, is read from
APIKEYCTL_SOURCE_API_KEY, or else from the first line of stdin (a no-echo
prompt on a terminal); never from an argument. It only proves possession of
the key. The call itself is authenticated like any other: over apikeyd's
socket by your OS user, elsewhere (--url, Elasticsearch) with --username,
APIKEYCTL_API_KEY or a context; the caller needs clone_api_key. In CI the
deploy key often is both: APIKEYCTL_API_KEY=$DEPLOY_KEY and the source on
stdin. A piped stdin holds one secret: with --api-key-stdin or
--password-stdin the source must be in APIKEYCTL_SOURCE_API_KEY. Without --expiration the clone expires when the source does;
--no-expiration makes it never expire. Metadata is copied unless given.

A clone is bound to the networks of its source (an apikeyd feature), and
a source used from outside them is refused. --allow-from narrows them: each
network must lie within the source's (any, when the source has none).`,
		Example: `  # CI: a 5-minute key from the long-lived one in $DEPLOY_KEY
  printf '%s\n' "$DEPLOY_KEY" | apikeyctl clone --name "ci-$BUILD_ID" --expiration 5m --field encoded

  # over a URL the call needs a caller credential too: here the deploy key itself
  printf '%s\n' "$DEPLOY_KEY" | APIKEYCTL_API_KEY=$DEPLOY_KEY apikeyctl --url https://localhost:9200 --ca-cert http_ca.crt clone --name "ci-$BUILD_ID" --expiration 5m --field encoded

  APIKEYCTL_SOURCE_API_KEY=$DEPLOY_KEY apikeyctl clone --name deploy-2 --metadata rotated=true`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runClone(cmd, opts) },
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.name, "name", "", "name of the clone (default: the source's name)")
	fl.StringVar(&opts.expiration, "expiration", "", "lifetime of the clone, e.g. 5m, 12h (default: the source's expiry)")
	fl.BoolVar(&opts.noExpiration, "no-expiration", false, "the clone never expires")
	fl.StringArrayVar(&opts.metadata, "metadata", nil, "metadata `key=value` of the clone (repeatable; default: the source's)")
	fl.StringVar(&opts.metadataJSON, "metadata-json", "", "metadata of the clone as a JSON `object`")
	opts.allowFrom.register(cmd, "the clone", false)
	opts.secret.register(cmd)
	opts.out.register(cmd)
	return cmd
}

func runClone(cmd *cobra.Command, opts *cloneOptions) error {
	if opts.noExpiration && cmd.Flags().Changed("expiration") {
		return usageErrorf("--expiration and --no-expiration cannot be used together")
	}
	nets, err := opts.allowFrom.list(cmd)
	if err != nil {
		return err
	}
	if err := checkOneStdinSecret(opts.f); err != nil {
		return err
	}
	source, err := readSourceKey(opts.f)
	if err != nil {
		return err
	}
	req := &api.CloneAPIKeyRequest{APIKey: source}
	if cmd.Flags().Changed("name") {
		req.Name = &opts.name
	}
	switch {
	case opts.noExpiration:
		req.Expiration = &api.Clearable{Null: true}
	case cmd.Flags().Changed("expiration"):
		req.Expiration = &api.Clearable{Value: opts.expiration}
	}
	if req.Metadata, err = parseMetadata(opts.metadata, opts.metadataJSON); err != nil {
		return err
	}
	if nets != nil {
		admin, err := restrictions(cmd.Context(), opts.f)
		if err != nil {
			return err
		}
		ext := &api.ExtendedCloneAPIKeyRequest{CloneAPIKeyRequest: *req, AllowedNetworks: nets}
		return opts.secret.deliver(cmd.Context(), opts.f, &opts.out, func(ctx context.Context) (*api.CreateAPIKeyResponse, error) {
			return admin.CloneAPIKeyExtended(ctx, ext)
		})
	}
	svc, err := opts.f.Service(cmd.Context())
	if err != nil {
		return err
	}
	return opts.secret.deliver(cmd.Context(), opts.f, &opts.out, func(ctx context.Context) (*api.CreateAPIKeyResponse, error) { return svc.CloneAPIKey(ctx, req) })
}

// cloneCredentials tells clone's two credentials apart, for its errors.
const cloneCredentials = "the key to clone (stdin or APIKEYCTL_SOURCE_API_KEY) is not the caller's credential"

// checkOneStdinSecret refuses two secrets from one piped stdin: the key
// to clone and the caller's credential (--api-key-stdin,
// --password-stdin). A terminal prompts for each in turn.
func checkOneStdinSecret(f *Factory) error {
	if strings.TrimSpace(f.Getenv("APIKEYCTL_SOURCE_API_KEY")) != "" || f.IOStreams.IsStdinTTY() {
		return nil
	}
	cfg, err := f.config()
	if err != nil {
		return err
	}
	switch {
	case cfg.APIKeyStdin:
		return usageErrorf("--api-key-stdin and the key to clone cannot both come from stdin: give the key to clone in APIKEYCTL_SOURCE_API_KEY, or the caller's key in APIKEYCTL_API_KEY instead of --api-key-stdin")
	case cfg.PasswordStdin:
		return usageErrorf("--password-stdin and the key to clone cannot both come from stdin: give the key to clone in APIKEYCTL_SOURCE_API_KEY, or the password in APIKEYCTL_PASSWORD instead of --password-stdin")
	}
	return nil
}

// readSourceKey reads the credential of the key to clone.
func readSourceKey(f *Factory) (string, error) {
	if v := strings.TrimSpace(f.Getenv(envSourceAPIKey)); v != "" {
		return v, nil
	}
	if f.IOStreams.IsStdinTTY() {
		return f.IOStreams.ReadPassword("Encoded credential of the key to clone: ")
	}
	line, err := readLine(f.IOStreams.In)
	if err != nil {
		return "", usageErrorf("the source key's credential is read from APIKEYCTL_SOURCE_API_KEY or stdin: %v", err)
	}
	return line, nil
}
