package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// accessFlags describe cross-cluster access.
type accessFlags struct {
	search      []string
	replication []string
	accessJSON  string
}

func (a *accessFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringArrayVar(&a.search, "search", nil, "grant cross-cluster search on these comma-separated index `patterns` (repeatable: one entry each)")
	fl.StringArrayVar(&a.replication, "replication", nil, "grant cross-cluster replication of these comma-separated index `patterns` (repeatable)")
	fl.StringVar(&a.accessJSON, "access-json", "", "the access object as JSON from `FILE` (- for stdin), for field security and queries")
}

// build returns the access to send, or nil when no flag names any.
func (a *accessFlags) build(f *Factory) (*api.CrossClusterAccess, error) {
	if a.accessJSON != "" {
		if len(a.search)+len(a.replication) > 0 {
			return nil, usageErrorf("--access-json cannot be combined with --search or --replication")
		}
		data, err := readFileOrStdin(f, a.accessJSON)
		if err != nil {
			return nil, err
		}
		body, _ := json.Marshal(map[string]json.RawMessage{"name": json.RawMessage(`"x"`), "access": data})
		req, err := api.DecodeCreateCrossClusterAPIKeyRequest(body)
		if err != nil {
			return nil, usageErrorf("--access-json %s: %v", a.accessJSON, err)
		}
		return req.Access, nil
	}
	if len(a.search)+len(a.replication) == 0 {
		return nil, nil
	}
	access := &api.CrossClusterAccess{}
	for _, s := range a.search {
		access.Search = append(access.Search, api.SearchAccess{Names: splitList(s)})
	}
	for _, r := range a.replication {
		access.Replication = append(access.Replication, api.ReplicationAccess{Names: splitList(r)})
	}
	return access, nil
}

func newCrossClusterCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cross-cluster",
		Short: "Create and update cross-cluster API keys",
		Long: `Cross-cluster API keys let a remote cluster search or replicate indices of
this one. They cannot authenticate REST calls. Creating and updating them
needs manage_security, and cannot be done with an API key.`,
		RunE: groupRunE,
	}
	cmd.AddCommand(newCrossClusterCreateCmd(f), newCrossClusterUpdateCmd(f))
	return cmd
}

type crossClusterCreateOptions struct {
	f                   *Factory
	out                 outputFlags
	access              accessFlags
	name                string
	expiration          string
	metadata            []string
	mdJSON              string
	certificateIdentity string
}

// certificateIdentityUsage is the help of --certificate-identity.
const certificateIdentityUsage = "allow only a remote cluster whose certificate's subject DN matches this regular `pattern` (Elasticsearch 9.3)"

func newCrossClusterCreateCmd(f *Factory) *cobra.Command {
	opts := &crossClusterCreateOptions{f: f}
	cmd := &cobra.Command{
		Use:   "create --name NAME (--search PATTERNS | --replication PATTERNS | --access-json FILE)",
		Short: "Create a cross-cluster API key",
		Long: `Create a cross-cluster API key, with the access given by --search,
--replication or --access-json.

--certificate-identity binds the key to the certificate of the remote
cluster that may use it (Elasticsearch 9.3's strong identity
verification): a regular expression, as Java writes them, matched against
the subject DN of the certificate the remote cluster signs its requests
with. apikeyd and Elasticsearch refuse a pattern that does not compile.`,
		Example: `  apikeyctl cross-cluster create --name eu-west --search 'logs-*,metrics-*' --replication 'archive-*'
  apikeyctl cross-cluster create --name dls --access-json access.json --field encoded

  apikeyctl cross-cluster create --name eu-central --search 'logs-*' \
    --certificate-identity 'CN=.*\.eu\.example\.com,O=Example Corp,C=US' --field id`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runCrossClusterCreate(cmd, opts) },
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.name, "name", "", "name of the key (required)")
	fl.StringVar(&opts.expiration, "expiration", "", "lifetime, e.g. 90d (default: never expires)")
	fl.StringArrayVar(&opts.metadata, "metadata", nil, "metadata `key=value` (repeatable)")
	fl.StringVar(&opts.mdJSON, "metadata-json", "", "metadata as a JSON `object`")
	fl.StringVar(&opts.certificateIdentity, "certificate-identity", "", certificateIdentityUsage)
	opts.access.register(cmd)
	opts.out.register(cmd)
	return cmd
}

func runCrossClusterCreate(cmd *cobra.Command, opts *crossClusterCreateOptions) error {
	if !cmd.Flags().Changed("name") {
		return usageErrorf("--name is required: the name of the new key")
	}
	a, err := opts.access.build(opts.f)
	if err != nil {
		return err
	}
	if a == nil {
		return usageErrorf("give the access with --search, --replication or --access-json")
	}
	req := &api.CreateCrossClusterAPIKeyRequest{Name: &opts.name, Access: a, Expiration: changedString(cmd, "expiration", &opts.expiration),
		CertificateIdentity: changedString(cmd, "certificate-identity", &opts.certificateIdentity)}
	if req.Metadata, err = parseMetadata(opts.metadata, opts.mdJSON); err != nil {
		return err
	}
	svc, err := opts.f.Service(cmd.Context())
	if err != nil {
		return err
	}
	resp, err := svc.CreateCrossClusterAPIKey(cmd.Context(), req)
	if err != nil {
		return err
	}
	return opts.out.print(opts.f, resp)
}

type crossClusterUpdateOptions struct {
	f                        *Factory
	out                      outputFlags
	access                   accessFlags
	expiration               string
	metadata                 []string
	mdJSON                   string
	clearMetadata            bool
	certificateIdentity      string
	clearCertificateIdentity bool
	yes                      bool
}

func newCrossClusterUpdateCmd(f *Factory) *cobra.Command {
	opts := &crossClusterUpdateOptions{f: f}
	cmd := &cobra.Command{
		Use:   "update ID",
		Short: "Update a cross-cluster API key",
		Long: `Update a cross-cluster API key: its access, expiration, metadata or
certificate identity. What is not given is left as it is;
--clear-certificate-identity removes the key's certificate identity (sent
as null, as Elasticsearch 9.3 takes it).

The access given (--search, --replication, --access-json) replaces the
key's access whole, as in Elasticsearch: --replication 'b-*' alone takes
away the search access the key had. To add access, give the old access
with the new. On a terminal apikeyctl shows the access the update would
take away and asks before it does (--yes does not ask); on a pipe it
updates, as Elasticsearch does.`,
		Example: `  CC_ID=$(apikeyctl cross-cluster create --name eu-west --search 'logs-*' --field id)
  apikeyctl cross-cluster update "$CC_ID" --search 'logs-*,metrics-*' --metadata owner=team-b
  apikeyctl cross-cluster update "$CC_ID" --search 'logs-*' --replication 'archive-*' --yes
  apikeyctl cross-cluster update "$CC_ID" --certificate-identity 'CN=remote-[0-9]+\.example\.com'
  apikeyctl cross-cluster update "$CC_ID" --clear-certificate-identity`,
		Args: exactArgs(1, "the ID of the key"),
		RunE: func(cmd *cobra.Command, args []string) error { return runCrossClusterUpdate(cmd, opts, args) },
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.expiration, "expiration", "", "expire this long from now, e.g. 90d")
	fl.StringArrayVar(&opts.metadata, "metadata", nil, "replace the metadata with these `key=value` pairs")
	fl.StringVar(&opts.mdJSON, "metadata-json", "", "replace the metadata with this JSON `object`")
	fl.BoolVar(&opts.clearMetadata, "clear-metadata", false, "remove all metadata")
	fl.StringVar(&opts.certificateIdentity, "certificate-identity", "", "replace the key's certificate identity: "+strings.TrimPrefix(certificateIdentityUsage, "allow "))
	fl.BoolVar(&opts.clearCertificateIdentity, "clear-certificate-identity", false, "remove the key's certificate identity")
	fl.BoolVarP(&opts.yes, "yes", "y", false, "do not ask before taking away access the key has")
	opts.access.register(cmd)
	opts.out.register(cmd)
	return cmd
}

func runCrossClusterUpdate(cmd *cobra.Command, opts *crossClusterUpdateOptions, args []string) error {
	a, err := opts.access.build(opts.f)
	if err != nil {
		return err
	}
	req := &api.UpdateCrossClusterAPIKeyRequest{ID: args[0], Access: a, Expiration: changedString(cmd, "expiration", &opts.expiration)}
	if req.Metadata, err = parseMetadata(opts.metadata, opts.mdJSON); err != nil {
		return err
	}
	if opts.clearMetadata {
		if req.Metadata != nil {
			return usageErrorf("--clear-metadata cannot be combined with --metadata or --metadata-json")
		}
		req.Metadata = api.Metadata{}
	}
	if ci := changedString(cmd, "certificate-identity", &opts.certificateIdentity); ci != nil {
		if opts.clearCertificateIdentity {
			return usageErrorf("--clear-certificate-identity cannot be combined with --certificate-identity")
		}
		req.CertificateIdentity = &api.Clearable{Value: *ci}
	} else if opts.clearCertificateIdentity {
		req.CertificateIdentity = &api.Clearable{Null: true}
	}
	svc, err := opts.f.Service(cmd.Context())
	if err != nil {
		return err
	}
	ios := opts.f.IOStreams
	if a != nil && !opts.yes && ios.IsStdinTTY() && ios.IsStderrTTY() {
		if err := confirmAccessChange(cmd.Context(), opts.f, svc, req.ID, a); err != nil {
			return err
		}
	}
	resp, err := svc.UpdateCrossClusterAPIKey(cmd.Context(), req)
	if err != nil {
		return err
	}
	return opts.out.print(opts.f, resp)
}

// errNotConfirmed is an update of access the user did not confirm.
var errNotConfirmed = errors.New("the key was not updated (--yes updates without asking)")

// confirmAccessChange says which access of key id the new access takes
// away, if any, and asks whether to go on. A key that cannot be read is
// left to the update to report.
func confirmAccessChange(ctx context.Context, f *Factory, svc api.Service, id string, next *api.CrossClusterAccess) error {
	resp, err := svc.GetAPIKeys(ctx, &api.GetAPIKeysRequest{ID: id})
	if err != nil || len(resp.APIKeys) != 1 {
		return nil
	}
	search, replication := removedAccess(resp.APIKeys[0].Access, next)
	var lost []string
	if len(search) > 0 {
		lost = append(lost, "search on "+strings.Join(search, ", "))
	}
	if len(replication) > 0 {
		lost = append(lost, "replication of "+strings.Join(replication, ", "))
	}
	if len(lost) == 0 {
		return nil
	}
	fmt.Fprintf(f.IOStreams.ErrOut, "The access given replaces the key's access whole: key %s would lose %s.\n", id, strings.Join(lost, " and "))
	ok, err := f.confirm(ctx, "Update it anyway? [y/N] ")
	if err != nil {
		return err
	}
	if !ok {
		return errNotConfirmed
	}
	return nil
}

// removedAccess is the index patterns cur grants search on or replication
// of that next does not, in cur's order.
func removedAccess(cur, next *api.CrossClusterAccess) (search, replication []string) {
	if cur == nil {
		return nil, nil
	}
	keep := map[string]bool{}
	for _, s := range next.Search {
		for _, n := range s.Names {
			keep[n] = true
		}
	}
	for _, s := range cur.Search {
		for _, n := range s.Names {
			if !keep[n] {
				search = append(search, n)
			}
		}
	}
	keep = map[string]bool{}
	for _, r := range next.Replication {
		for _, n := range r.Names {
			keep[n] = true
		}
	}
	for _, r := range cur.Replication {
		for _, n := range r.Names {
			if !keep[n] {
				replication = append(replication, n)
			}
		}
	}
	return search, replication
}
