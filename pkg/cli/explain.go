package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

type explainOptions struct {
	f             *Factory
	id            string
	clientAddress string
	out           outputFlags
}

func newExplainCmd(f *Factory) *cobra.Command {
	opts := &explainOptions{f: f}
	cmd := &cobra.Command{
		Use:   "explain [--id ID]",
		Short: "Say, check by check, why an API key credential is accepted or refused",
		Long: `Explain an API key credential: the checks authentication makes of it, in
its order, what each found, and the answer a request carrying it would get
from Elasticsearch (and apikeyd): 200, or the status, type and reason of
its 401 or 429. The checks are authentication's own, so the explanation
cannot disagree with it:

  found        whether a key has the credential's id
  invalidated  whether, and when, the key was invalidated
  secret       whether the secret matches the key's hash
  type         a cross-cluster key is refused on the REST API
  expiration   whether, and when, the key expired or expires
  throttling   whether the brake on failed attempts holds the key id or
               this client's address (answered 429 while it does)
  owner        who the key authenticates as, and in which realm
  privileges   the cluster privileges its role descriptors and its
               owner's snapshot (limited-by) both grant

The credential is read from stdin, one line: the encoded credential, or
id:secret. On a terminal it is read without echo; it never appears on the
command line, in a log or in the audit log. Explaining is not an attempt:
it counts no failure, notes no use, and is audited as explain_apikey.

Anyone authenticated may explain a credential. When no key has its id or
its secret does not match, a caller who is not an administrator is told
only that the credential is not valid, the same either way, with no
detail of any key. An administrator (manage_api_key, manage_security or
all) sees every check, and may explain a key by --id, without its secret:
the verdict is then the one the key's secret would get.

Exits 0 when the credential would be accepted, 4 when it would be refused
(401 or 429), 1 when its key's stored record cannot be read; as any
command when the explanation itself fails (5 for --id without the
privilege, 7 target unreachable).`,
		Example: `  # a credential from a pipe: the encoded form, or id:secret
  echo "$KEY" | apikeyctl explain

  # a key by id, as an administrator
  apikeyctl explain --id 7Q2eJ5gBc8uQ3hY1Zk9w

  # would the key work from that host? (a key bound to networks)
  apikeyctl explain --id 7Q2eJ5gBc8uQ3hY1Zk9w --client-address 10.1.2.3

  # the verdict only, and what Elasticsearch would answer
  echo "$KEY" | apikeyctl explain --jq '.verdict, .answer.status'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runExplain(cmd.Context(), opts) },
	}
	cmd.Flags().StringVar(&opts.id, "id", "", "explain the key with this `id`, without its secret (manage_api_key, manage_security or all)")
	cmd.Flags().StringVar(&opts.clientAddress, "client-address", "", "check a key bound to networks as used from this IP `address` (or local: a socket, --db); default: where you call from")
	_ = cmd.RegisterFlagCompletionFunc("id", completeKeyIDs(f, false))
	opts.out.register(cmd)
	return cmd
}

// ExplainRefusedError is an explained credential that would be refused:
// the answer it would get.
type ExplainRefusedError struct{ Answer api.ExplainAnswer }

func (e *ExplainRefusedError) Error() string {
	return fmt.Sprintf("the credential would be refused with %d %s", e.Answer.Status, e.Answer.Type)
}

func runExplain(ctx context.Context, opts *explainOptions) error {
	f := opts.f
	cfg, err := f.config()
	if err != nil {
		return err
	}
	if opts.id == "" && (cfg.APIKeyStdin || cfg.PasswordStdin) {
		return usageErrorf("explain reads the credential to explain from stdin: give your own credentials another way (APIKEYCTL_API_KEY, APIKEYCTL_PASSWORD, a context), or explain a key by --id")
	}
	// Your own credentials first: their prompt, if any, comes before the
	// credential to explain is read.
	admin, err := f.Admin(ctx)
	if err != nil {
		return err
	}
	req := &api.ExplainRequest{ID: opts.id, ClientAddress: opts.clientAddress}
	if opts.id == "" {
		cred, err := f.readSecretStdin(ctx, "API key credential to explain: ")
		if err != nil {
			return err
		}
		if req.APIKey = strings.TrimSpace(cred); req.APIKey == "" {
			return usageErrorf("no credential on stdin: give one line, the encoded credential or id:secret (or explain a key by --id)")
		}
	}
	resp, err := admin.ExplainAPIKey(ctx, req)
	if err != nil {
		return err
	}
	if err := opts.out.print(f, resp); err != nil {
		return err
	}
	if !resp.Accepted {
		return &ExplainRefusedError{Answer: resp.Answer}
	}
	return nil
}
