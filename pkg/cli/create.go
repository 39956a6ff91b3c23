package cli

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/keyflags"
)

type createOptions struct {
	f               *Factory
	out             outputFlags
	secret          secretFlags
	name            string
	expiration      string
	metadata        []string
	metadataJSON    string
	roleDescriptors string
	allowFrom       allowFromFlags
}

func newCreateCmd(f *Factory) *cobra.Command {
	opts := &createOptions{f: f}
	cmd := &cobra.Command{
		Use:   "create --name NAME",
		Short: "Create an API key",
		Long: `Create an API key owned by you.

The secret is shown once: on a terminal in a card with the ready
Authorization header, on a pipe as the API's JSON. --field encoded prints
just the credential a client sends.

--secret-out fd:N or file:PATH sends the secret elsewhere, in the format of
--secret-format (encoded, id:key, header, env, json): a CI job hands the key
to its next step without printing it. stdout then gets only the id, name
and expiration.

--allow-from binds the key to client networks (an apikeyd feature): it
authenticates only from those addresses, and elsewhere is refused as a
wrong secret is. Give CIDRs or addresses, and local for the Unix socket
and --db, which have no network address.`,
		Example: `  # a key for CI that expires in 30 days, printed as the credential only
  apikeyctl create --name ci-deploy --expiration 30d --field encoded

  # metadata, and role descriptors from a file
  apikeyctl create --name reader --metadata team=search --role-descriptors roles.json

  # CI: the credential to a file of mode 0600 as KEY=value lines, the id on stdout
  apikeyctl create --name ci-step --expiration 1h --secret-out file:key.env --secret-format env --field id
  . ./key.env && rm key.env

  # apikeyd only: a key usable from the 10.0.0.0/8 network and this machine's socket
  apikeyctl create --name backend --allow-from 10.0.0.0/8 --allow-from local --field encoded`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runCreate(cmd, opts) },
	}
	cmd.Flags().StringVar(&opts.name, "name", "", "name of the key (required)")
	cmd.Flags().StringVar(&opts.expiration, "expiration", "", "lifetime as an Elasticsearch time value, e.g. 12h, 30d (default: never expires)")
	cmd.Flags().StringArrayVar(&opts.metadata, "metadata", nil, "metadata `key=value` (repeatable; values are strings)")
	cmd.Flags().StringVar(&opts.metadataJSON, "metadata-json", "", "metadata as a JSON `object`")
	cmd.Flags().StringVar(&opts.roleDescriptors, "role-descriptors", "", "role descriptors JSON object from `FILE` (- for stdin)")
	opts.allowFrom.register(cmd, "the key", false)
	opts.secret.register(cmd)
	opts.out.register(cmd)
	return cmd
}

func runCreate(cmd *cobra.Command, opts *createOptions) error {
	if !cmd.Flags().Changed("name") {
		return usageErrorf("--name is required: the name of the new key")
	}
	req := &api.CreateAPIKeyRequest{Name: &opts.name, Expiration: changedString(cmd, "expiration", &opts.expiration)}
	md, err := parseMetadata(opts.metadata, opts.metadataJSON)
	if err != nil {
		return err
	}
	req.Metadata = md
	if opts.roleDescriptors != "" {
		data, err := readFileOrStdin(opts.f, opts.roleDescriptors)
		if err != nil {
			return err
		}
		rds, err := api.DecodeRoleDescriptors(data, false)
		if err != nil {
			return usageErrorf("--role-descriptors %s: %v", opts.roleDescriptors, err)
		}
		req.RoleDescriptors = rds
	}
	nets, err := opts.allowFrom.list(cmd)
	if err != nil {
		return err
	}
	if nets != nil {
		admin, err := restrictions(cmd.Context(), opts.f)
		if err != nil {
			return err
		}
		ext := &api.ExtendedCreateAPIKeyRequest{CreateAPIKeyRequest: *req, AllowedNetworks: nets}
		return opts.secret.deliver(cmd.Context(), opts.f, &opts.out, func(ctx context.Context) (*api.CreateAPIKeyResponse, error) {
			return admin.CreateAPIKeyExtended(ctx, ext)
		})
	}
	svc, err := opts.f.Service(cmd.Context())
	if err != nil {
		return err
	}
	return opts.secret.deliver(cmd.Context(), opts.f, &opts.out, func(ctx context.Context) (*api.CreateAPIKeyResponse, error) { return svc.CreateAPIKey(ctx, req) })
}

// parseMetadata merges --metadata-json with the key=value pairs of
// --metadata, which win.
func parseMetadata(pairs []string, jsonText string) (api.Metadata, error) {
	md, err := keyflags.Metadata(pairs, jsonText)
	if err != nil {
		return nil, &UsageError{Err: err}
	}
	return md, nil
}

// readFileOrStdin reads a file, or stdin for "-".
func readFileOrStdin(f *Factory, path string) ([]byte, error) {
	if path == "-" {
		data, err := io.ReadAll(f.IOStreams.In)
		if err != nil {
			return nil, fmt.Errorf("read stdin: %w", err)
		}
		return data, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	return data, nil
}
