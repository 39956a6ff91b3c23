package cli

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/output"
)

// changeFlags are the fields an update changes; unset flags leave a field
// as it is.
type changeFlags struct {
	metadata        []string
	metadataJSON    string
	clearMetadata   bool
	roleDescriptors string
	clearRoles      bool
	expiration      string
}

func (c *changeFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringArrayVar(&c.metadata, "metadata", nil, "replace the metadata with these `key=value` pairs (repeatable)")
	fl.StringVar(&c.metadataJSON, "metadata-json", "", "replace the metadata with this JSON `object`")
	fl.BoolVar(&c.clearMetadata, "clear-metadata", false, "remove all metadata")
	fl.StringVar(&c.roleDescriptors, "role-descriptors", "", "replace the role descriptors with the JSON object in `FILE` (- for stdin)")
	fl.BoolVar(&c.clearRoles, "clear-role-descriptors", false, "remove the role descriptors: the key gets its owner's permissions")
	fl.StringVar(&c.expiration, "expiration", "", "expire this long from now, e.g. 30d")
}

// build returns the role descriptors, metadata and expiration to send.
func (c *changeFlags) build(f *Factory, cmd *cobra.Command) (api.RoleDescriptors, api.Metadata, *string, error) {
	if c.clearMetadata && (len(c.metadata) > 0 || c.metadataJSON != "") {
		return nil, nil, nil, usageErrorf("--clear-metadata cannot be combined with --metadata or --metadata-json")
	}
	if c.clearRoles && c.roleDescriptors != "" {
		return nil, nil, nil, usageErrorf("--clear-role-descriptors cannot be combined with --role-descriptors")
	}
	md, err := parseMetadata(c.metadata, c.metadataJSON)
	if err != nil {
		return nil, nil, nil, err
	}
	if c.clearMetadata {
		md = api.Metadata{}
	}
	var rds api.RoleDescriptors
	switch {
	case c.clearRoles:
		rds = api.RoleDescriptors{}
	case c.roleDescriptors != "":
		data, err := readFileOrStdin(f, c.roleDescriptors)
		if err != nil {
			return nil, nil, nil, err
		}
		if rds, err = api.DecodeRoleDescriptors(data, false); err != nil {
			return nil, nil, nil, usageErrorf("--role-descriptors %s: %v", c.roleDescriptors, err)
		}
	}
	return rds, md, changedString(cmd, "expiration", &c.expiration), nil
}

type updateOptions struct {
	f   *Factory
	out outputFlags
	chg changeFlags
	// rename and noExpiration are what Elasticsearch's update leaves out:
	// apikeyd's extended update carries them.
	rename       string
	noExpiration bool
	allowFrom    allowFromFlags
}

func newUpdateCmd(f *Factory) *cobra.Command {
	opts := &updateOptions{f: f}
	cmd := &cobra.Command{
		Use:   "update ID",
		Short: "Update one of your API keys",
		Long: `Update the role descriptors, metadata or expiration of an API key you own,
as the Update API key API does. Each call also refreshes the snapshot of
your own permissions the key is limited by. Prints {"updated": false}
when nothing changed. Only the owner, authenticated as a user (not with an
API key), may update a key.

--rename and --no-expiration do what Elasticsearch's update cannot: give
the key a new name (the rules of create's names), and make it never
expire. They go to apikeyd's own update endpoint (PUT /_apikeyd/api_key/ID),
which takes the other changes too; without them the update is
Elasticsearch's API. So do --allow-from, which binds the key to the client
networks given (replacing its list), and --clear-allow-from, which makes it
usable from anywhere again.`,
		Example: `  apikeyctl update 7Q2eJ5gBc8uQ3hY1Zk9w --metadata env=prod --expiration 30d
  apikeyctl update 7Q2eJ5gBc8uQ3hY1Zk9w --clear-role-descriptors

  # apikeyd only: a new name, and no expiration
  apikeyctl update 7Q2eJ5gBc8uQ3hY1Zk9w --rename ci-deploy-legacy --no-expiration

  # apikeyd only: usable from one office network and the Unix socket, then from anywhere again
  apikeyctl update 7Q2eJ5gBc8uQ3hY1Zk9w --allow-from 192.0.2.0/24 --allow-from local
  apikeyctl update 7Q2eJ5gBc8uQ3hY1Zk9w --clear-allow-from`,
		Args: oneKeyID,
		RunE: func(cmd *cobra.Command, args []string) error { return runUpdate(cmd, opts, args) },
	}
	opts.chg.register(cmd)
	cmd.Flags().StringVar(&opts.rename, "rename", "", "give the key a new `NAME` (apikeyd only)")
	cmd.Flags().BoolVar(&opts.noExpiration, "no-expiration", false, "make the key never expire (apikeyd only)")
	opts.allowFrom.register(cmd, "the key", true)
	opts.out.register(cmd)
	return cmd
}

// oneKeyID takes the one id update changes, and points to bulk-update
// for more.
func oneKeyID(cmd *cobra.Command, args []string) error {
	switch len(args) {
	case 1:
		return nil
	case 0:
		return usageErrorf("%s needs the ID of the key to update", cmd.CommandPath())
	}
	return usageErrorf("%s takes one key id, got %d: to apply one change to many keys use 'apikeyctl bulk-update ID...' (one transaction)", cmd.CommandPath(), len(args))
}

func runUpdate(cmd *cobra.Command, opts *updateOptions, args []string) error {
	if opts.noExpiration && cmd.Flags().Changed("expiration") {
		return usageErrorf("--expiration and --no-expiration cannot be used together")
	}
	nets, err := opts.allowFrom.list(cmd)
	if err != nil {
		return err
	}
	rds, md, exp, err := opts.chg.build(opts.f, cmd)
	if err != nil {
		return err
	}
	if opts.noExpiration || cmd.Flags().Changed("rename") || nets != nil {
		req := &api.ExtendedUpdateAPIKeyRequest{ID: args[0], RoleDescriptors: rds, Metadata: md}
		if nets != nil {
			req.AllowedNetworks = &nets
		}
		return runExtendedUpdate(cmd, opts, req, exp)
	}
	svc, err := opts.f.Service(cmd.Context())
	if err != nil {
		return err
	}
	resp, err := svc.UpdateAPIKey(cmd.Context(), &api.UpdateAPIKeyRequest{ID: args[0], RoleDescriptors: rds, Metadata: md, Expiration: exp})
	if err != nil {
		return err
	}
	return opts.out.print(opts.f, resp)
}

// runExtendedUpdate sends an update with --rename, --no-expiration,
// --allow-from or --clear-allow-from to
// apikeyd's extended update, exp being --expiration when given.
func runExtendedUpdate(cmd *cobra.Command, opts *updateOptions, req *api.ExtendedUpdateAPIKeyRequest, exp *string) error {
	switch {
	case opts.noExpiration:
		req.Expiration = &api.Clearable{Null: true}
	case exp != nil:
		req.Expiration = &api.Clearable{Value: *exp}
	}
	if cmd.Flags().Changed("rename") {
		req.Name = &opts.rename
	}
	admin, err := opts.f.Admin(cmd.Context())
	if err != nil {
		return err
	}
	resp, err := admin.UpdateAPIKeyExtended(cmd.Context(), req)
	if err != nil {
		return err
	}
	return opts.out.print(opts.f, resp)
}

// bulkProgressMin is the number of ids from which bulk-update shows a
// spinner on a terminal: fewer are answered in a blink.
const bulkProgressMin = 100

type bulkUpdateOptions struct {
	f       *Factory
	out     outputFlags
	chg     changeFlags
	ids     []string
	idsFile string
}

func newBulkUpdateCmd(f *Factory) *cobra.Command {
	opts := &bulkUpdateOptions{f: f}
	cmd := &cobra.Command{
		Use:   "bulk-update [ID...]",
		Short: "Apply one update to many of your API keys",
		Long: `Apply the same change to many API keys you own, in one transaction, as
the Bulk update API keys API does. Ids come from arguments, --id, --ids-file,
or stdin (one per line) when none is given and stdin is not a terminal.
An empty --ids-file or stdin is nothing to do: exit 0 with a note on stderr.

Keys that cannot be updated (unknown, not yours, expired, invalidated) do
not stop the others: they are listed on stderr (more than 10 are counted by
error type when stderr is a terminal; -o json lists them all) and
apikeyctl exits 6.

Interrupted (Ctrl-C), it says what became of the update: apikeyd and --db
run it as one transaction and roll it back; Elasticsearch may have updated
some of the keys.`,
		Example: `  apikeyctl get --name 'ci-*' --active-only --field id | apikeyctl bulk-update --metadata rotated=2026-11
  apikeyctl bulk-update --ids-file ids.txt --expiration 7d`,
		RunE: func(cmd *cobra.Command, args []string) error { return runBulkUpdate(cmd, opts, args) },
	}
	cmd.Flags().StringArrayVar(&opts.ids, "id", nil, "a key `id` to update (repeatable)")
	cmd.Flags().StringVar(&opts.idsFile, "ids-file", "", "read key ids from this `file`, one per line (- for stdin)")
	opts.chg.register(cmd)
	opts.out.register(cmd)
	return cmd
}

// bulkUpdateIDs are the ids to update: the arguments and --id, then
// --ids-file, or stdin when none was given and stdin is not a terminal.
// An empty file or stdin gives none: nothing to do.
func bulkUpdateIDs(opts *bulkUpdateOptions, args []string) ([]string, error) {
	all := append(append([]string{}, args...), opts.ids...)
	if opts.idsFile != "" {
		fromFile, err := readIDs(opts.f, opts.idsFile)
		if err != nil {
			return nil, err
		}
		all = append(all, fromFile...)
	} else if len(all) == 0 && !opts.f.IOStreams.IsStdinTTY() {
		fromStdin, err := readIDs(opts.f, "-")
		if err != nil {
			return nil, err
		}
		all = fromStdin
	}
	if len(all) == 0 && opts.idsFile == "" && opts.f.IOStreams.IsStdinTTY() {
		return nil, usageErrorf("no key ids: give them as arguments, with --id, --ids-file, or on stdin")
	}
	return all, nil
}

func runBulkUpdate(cmd *cobra.Command, opts *bulkUpdateOptions, args []string) error {
	ids, err := bulkUpdateIDs(opts, args)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		fmt.Fprintln(opts.f.IOStreams.ErrOut, "note: nothing to update: no key ids were read")
		return nil
	}
	rds, md, exp, err := opts.chg.build(opts.f, cmd)
	if err != nil {
		return err
	}
	svc, err := opts.f.Service(cmd.Context())
	if err != nil {
		return err
	}
	ios := opts.f.IOStreams
	if len(ids) >= bulkProgressMin {
		ios.StartProgress(fmt.Sprintf("Updating %d API keys", len(ids)))
	}
	resp, err := svc.BulkUpdateAPIKeys(cmd.Context(), &api.BulkUpdateAPIKeysRequest{IDs: ids, RoleDescriptors: rds, Metadata: md, Expiration: exp})
	ios.StopProgress()
	if err != nil && cmd.Context().Err() != nil {
		return bulkInterrupted(opts.f)
	}
	if err != nil {
		return err
	}
	if err := opts.out.print(opts.f, resp); err != nil {
		return err
	}
	if resp.Errors == nil || resp.Errors.Count == 0 {
		return nil
	}
	reportBulkErrors(opts, resp.Errors.Details)
	return &PartialError{Msg: fmt.Sprintf("%d of %d API keys were not updated", resp.Errors.Count, len(ids))}
}

// bulkInterrupted says what became of a bulk update cut short: apikeyd
// and --db run it as one transaction, which is rolled back; Elasticsearch
// updates key by key.
func bulkInterrupted(f *Factory) error {
	cfg, err := f.config()
	switch {
	case err != nil:
		return err
	case cfg.DB != "":
		return &InterruptedError{Msg: "no key was changed: the bulk update is one transaction, and it was rolled back"}
	case cfg.URL == "":
		return &InterruptedError{Msg: "no key was changed: apikeyd runs a bulk update as one transaction and rolls it back when the call is cut (unless it had already committed every key)"}
	}
	return &InterruptedError{Msg: "apikeyd rolls back a cut bulk update (one transaction), but Elasticsearch may have updated some of the keys: check them with 'apikeyctl get'"}
}

// bulkErrorsListMax is the number of failed ids bulk-update lists one a
// line on a terminal; more are summarized by error type.
const bulkErrorsListMax = 10

// reportBulkErrors writes the ids that were not updated to stderr, one a
// line with the reason: every one on a pipe or with a machine format
// (-o json, yaml, jsonl); on a terminal, when there are more than
// bulkErrorsListMax, a count by error type with an example of each.
func reportBulkErrors(opts *bulkUpdateOptions, details map[string]*api.Error) {
	w := opts.f.IOStreams.ErrOut
	failed := make([]string, 0, len(details))
	for id := range details {
		failed = append(failed, id)
	}
	sort.Strings(failed)
	machine := opts.out.opts.Format == output.JSON || opts.out.opts.Format == output.YAML || opts.out.opts.Format == output.JSONL
	if len(failed) <= bulkErrorsListMax || machine || !opts.f.IOStreams.IsStderrTTY() {
		for _, id := range failed {
			fmt.Fprintf(w, "%s: %s\n", id, details[id].Reason)
		}
		return
	}
	var types []string
	byType := map[string][]string{}
	for _, id := range failed {
		t := details[id].ErrType()
		if _, ok := byType[t]; !ok {
			types = append(types, t)
		}
		byType[t] = append(byType[t], id)
	}
	sort.Slice(types, func(i, j int) bool {
		if len(byType[types[i]]) != len(byType[types[j]]) {
			return len(byType[types[i]]) > len(byType[types[j]])
		}
		return types[i] < types[j]
	})
	for _, t := range types {
		first := byType[t][0]
		fmt.Fprintf(w, "%d × %s, e.g. %s: %s\n", len(byType[t]), t, first, details[first].Reason)
	}
	fmt.Fprintf(w, "(every failed id with its reason: -o json, or redirect stderr)\n")
}

// readIDs reads key ids, one per line, from a file or stdin ("-").
func readIDs(f *Factory, path string) ([]string, error) {
	var r io.Reader = f.IOStreams.In
	if path != "-" {
		file, err := os.Open(path)
		if err != nil {
			return nil, usageErrorf("%v", err)
		}
		defer file.Close()
		r = file
	}
	var ids []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if id := strings.TrimSpace(sc.Text()); id != "" {
			ids = append(ids, id)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read ids: %w", err)
	}
	return ids, nil
}
