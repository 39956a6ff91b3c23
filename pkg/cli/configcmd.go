package cli

import (
	"fmt"
	"sort"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/apikeyctl/apikeyctl/pkg/output"
)

func newConfigCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Manage contexts: named targets and how to authenticate to them",
		Long: `Manage the contexts of apikeyctl's config file ($APIKEYCTL_CONFIG, else
$XDG_CONFIG_HOME/apikeyctl/config.yaml, else ~/.config/apikeyctl/config.yaml).

A context is a target (--db, --socket or --url) with the settings to
reach it: a username, TLS settings, and where the secret comes from — an
environment variable or a command whose stdout is the secret. A context
never holds a secret itself. Flags and APIKEYCTL_* variables beat the
context; see 'apikeyctl help environment'.`,
		RunE: groupRunE,
	}
	cmd.AddCommand(
		newSetContextCmd(f),
		newUseContextCmd(f),
		newGetContextsCmd(f),
		newCurrentContextCmd(f),
		newDeleteContextCmd(f),
		newConfigViewCmd(f),
	)
	return cmd
}

// loadFile reads the config file for the config commands.
func (f *Factory) loadFile() (string, *FileConfig, error) {
	path, err := configPath(f.Getenv)
	if err != nil {
		return "", nil, err
	}
	fc, err := readConfigFile(path)
	return path, fc, err
}

func newSetContextCmd(f *Factory) *cobra.Command {
	opts := &setContextOptions{f: f}
	c := &opts.given
	cmd := &cobra.Command{
		Use:   "set-context NAME (--db FILE | --store URL | --socket PATH | --url URL) [flags]",
		Short: "Create or change a context",
		Long: `Create the context NAME, or change the settings given of an existing one.
An empty value ("") clears a setting. A new target replaces the old one,
and a new credential source the old one.

The secret itself is never stored: --password-env and --api-key-env name
an environment variable that holds it; --password-command and
--api-key-command a command, run with sh -c when the secret is needed,
whose stdout is the secret (pass, op read, vault kv get -field, …).`,
		Example: `  # the local daemon of the package
  apikeyctl config set-context local --socket /run/apikeyd/apikeyd.sock

  # a cluster with its own CA, the password from a password manager
  apikeyctl config set-context prod --url https://es.example.com:9200 \
    --ca-cert /etc/apikeyctl/prod-ca.pem --username key-admin \
    --password-command 'pass show es/prod/key-admin'

  # a CI job: the API key is in the job's CI_ES_API_KEY variable
  apikeyctl config set-context ci --url https://es.example.com:9200 --api-key-env CI_ES_API_KEY

  # apikeyd's PostgreSQL database, worked on directly like --db
  # (the password in PGPASSWORD or ~/.pgpass, never in the file)
  apikeyctl config set-context pg --store 'postgres://apikeyd@db.example.com/apikeyd?sslmode=verify-full'`,
		Args:              exactArgs(1, "a context NAME"),
		ValidArgsFunction: completeContexts(f),
		RunE:              func(cmd *cobra.Command, args []string) error { return runSetContext(cmd, opts, args) },
	}
	fl := cmd.Flags()
	fl.StringVar(&c.DB, "db", "", "target: an apikeyd database `file`")
	fl.StringVar(&c.Store, "store", "", "target: an apikeyd PostgreSQL database, a postgres:// `URL` without its password")
	fl.StringVar(&c.Socket, "socket", "", "target: apikeyd's Unix socket `path`")
	fl.StringVar(&c.URL, "url", "", "target: apikeyd or Elasticsearch at this `URL`")
	fl.StringVar(&c.Username, "username", "", "authenticate as this user")
	fl.StringVar(&c.CACert, "ca-cert", "", "trust this PEM `file` of CA certificates")
	fl.BoolVar(&c.Insecure, "insecure", false, "do not verify the server's TLS certificate (dangerous)")
	fl.StringVar(&c.PasswordEnv, "password-env", "", "the password is in this environment `variable`")
	fl.StringVar(&c.PasswordCommand, "password-command", "", "the password is the output of this `command`")
	fl.StringVar(&c.APIKeyEnv, "api-key-env", "", "the encoded API key is in this environment `variable`")
	fl.StringVar(&c.APIKeyCommand, "api-key-command", "", "the encoded API key is the output of this `command`")
	return cmd
}

type setContextOptions struct {
	f     *Factory
	given Context
}

func runSetContext(cmd *cobra.Command, opts *setContextOptions, args []string) error {
	f, name := opts.f, args[0]
	if err := checkContextName(name); err != nil {
		return err
	}
	path, fc, err := f.loadFile()
	if err != nil {
		return err
	}
	merged, err := mergeContext(fc.Contexts[name], opts.given, cmd.Flags())
	if err != nil {
		return err
	}
	if err := merged.validate(); err != nil {
		return usageErrorf("context %q: %v", name, err)
	}
	_, existed := fc.Contexts[name]
	if fc.Contexts == nil {
		fc.Contexts = map[string]Context{}
	}
	fc.Contexts[name] = merged
	if err := writeConfigFile(path, fc); err != nil {
		return err
	}
	verb := "Created"
	if existed {
		verb = "Changed"
	}
	fmt.Fprintf(f.IOStreams.ErrOut, "%s context %q in %s.\n", verb, name, path)
	if fc.CurrentContext == "" {
		fmt.Fprintf(f.IOStreams.ErrOut, "Use it with 'apikeyctl config use-context %s' or --context %s.\n", name, name)
	}
	return nil
}

// mergeContext applies the flags that were given to old: a target
// replaces the old target, a credential source the old source.
func mergeContext(old, given Context, fl *pflag.FlagSet) (Context, error) {
	c := old
	set := func(name string, dst *string, v string) {
		if fl.Changed(name) {
			*dst = v
		}
	}
	var targets int
	for _, s := range targetSettings {
		if fl.Changed(s.key) {
			targets++
		}
	}
	if targets > 1 {
		return c, usageErrorf("give one target: --db, --store, --socket or --url")
	}
	if targets == 1 {
		c.DB, c.Store, c.Socket, c.URL = "", "", "", ""
	}
	set("db", &c.DB, given.DB)
	set("store", &c.Store, given.Store)
	set("socket", &c.Socket, given.Socket)
	set("url", &c.URL, given.URL)
	set("username", &c.Username, given.Username)
	set("ca-cert", &c.CACert, given.CACert)
	if fl.Changed("insecure") {
		c.Insecure = given.Insecure
	}
	sources := 0
	for _, k := range []string{"password-env", "password-command", "api-key-env", "api-key-command"} {
		if fl.Changed(k) {
			sources++
		}
	}
	if sources > 1 {
		return c, usageErrorf("give one credential source: --password-env, --password-command, --api-key-env or --api-key-command")
	}
	if sources == 1 {
		c.PasswordEnv, c.PasswordCommand, c.APIKeyEnv, c.APIKeyCommand = "", "", "", ""
	}
	set("password-env", &c.PasswordEnv, given.PasswordEnv)
	set("password-command", &c.PasswordCommand, given.PasswordCommand)
	set("api-key-env", &c.APIKeyEnv, given.APIKeyEnv)
	set("api-key-command", &c.APIKeyCommand, given.APIKeyCommand)
	return c, nil
}

func newUseContextCmd(f *Factory) *cobra.Command {
	opts := &contextNameOptions{f: f}
	return &cobra.Command{
		Use:   "use-context NAME",
		Short: "Make a context the current one",
		Example: `  apikeyctl config set-context local --socket /run/apikeyd/apikeyd.sock
  apikeyctl config use-context local`,
		Args:              exactArgs(1, "a context NAME"),
		ValidArgsFunction: completeContexts(f),
		RunE:              func(_ *cobra.Command, args []string) error { return runUseContext(opts, args) },
	}
}

// contextNameOptions are the options of the commands that take a context
// NAME and nothing else.
type contextNameOptions struct {
	f *Factory
}

func runUseContext(opts *contextNameOptions, args []string) error {
	name := args[0]
	path, fc, err := opts.f.loadFile()
	if err != nil {
		return err
	}
	if _, ok := fc.Contexts[name]; !ok {
		return &NotFoundError{Msg: fmt.Sprintf("no context named %q in %s; see 'apikeyctl config get-contexts'", name, path)}
	}
	fc.CurrentContext = name
	if err := writeConfigFile(path, fc); err != nil {
		return err
	}
	fmt.Fprintf(opts.f.IOStreams.ErrOut, "Switched to context %q.\n", name)
	return nil
}

func newDeleteContextCmd(f *Factory) *cobra.Command {
	opts := &contextNameOptions{f: f}
	return &cobra.Command{
		Use:   "delete-context NAME",
		Short: "Delete a context",
		Example: `  apikeyctl config set-context scratch --db ./scratch.db
  apikeyctl config delete-context scratch`,
		Args:              exactArgs(1, "a context NAME"),
		ValidArgsFunction: completeContexts(f),
		RunE:              func(_ *cobra.Command, args []string) error { return runDeleteContext(opts, args) },
	}
}

func runDeleteContext(opts *contextNameOptions, args []string) error {
	name := args[0]
	path, fc, err := opts.f.loadFile()
	if err != nil {
		return err
	}
	if _, ok := fc.Contexts[name]; !ok {
		return &NotFoundError{Msg: fmt.Sprintf("no context named %q in %s", name, path)}
	}
	delete(fc.Contexts, name)
	if fc.CurrentContext == name {
		fc.CurrentContext = ""
		fmt.Fprintf(opts.f.IOStreams.ErrOut, "%q was the current context; now none is.\n", name)
	}
	if err := writeConfigFile(path, fc); err != nil {
		return err
	}
	fmt.Fprintf(opts.f.IOStreams.ErrOut, "Deleted context %q.\n", name)
	return nil
}

// contextRow is one context as get-contexts prints it.
type contextRow struct {
	Name    string `json:"name"`
	Current bool   `json:"current"`
	Context
}

func newGetContextsCmd(f *Factory) *cobra.Command {
	opts := &getContextsOptions{f: f}
	cmd := &cobra.Command{
		Use:   "get-contexts [NAME...]",
		Short: "List the contexts",
		Long: `List the contexts of the config file: on a terminal as a table, the
current one marked with *; on a pipe as JSON, one object per context.`,
		Example: `  apikeyctl config set-context local --socket /run/apikeyd/apikeyd.sock
  apikeyctl config get-contexts
  apikeyctl config get-contexts --field name`,
		ValidArgsFunction: completeContexts(f),
		RunE:              func(_ *cobra.Command, args []string) error { return runGetContexts(opts, args) },
	}
	opts.out.register(cmd)
	return cmd
}

type getContextsOptions struct {
	f   *Factory
	out outputFlags
}

func runGetContexts(opts *getContextsOptions, names []string) error {
	f := opts.f
	path, fc, err := f.loadFile()
	if err != nil {
		return err
	}
	current := currentContextName(f, fc)
	if len(names) == 0 {
		for name := range fc.Contexts {
			names = append(names, name)
		}
		sort.Strings(names)
	}
	rows := []contextRow{}
	var missing []string
	for _, name := range names {
		c, ok := fc.Contexts[name]
		if !ok {
			missing = append(missing, name)
			continue
		}
		rows = append(rows, contextRow{Name: name, Current: name == current, Context: c})
	}
	wopts := opts.out.opts
	wopts.Now = f.Now
	wopts.Render = func(t *output.Terminal) error { return contextsTable(t, rows, path) }
	if err := output.Write(f.IOStreams, wopts, rows); err != nil {
		return err
	}
	if len(missing) > 0 {
		return &NotFoundError{Msg: fmt.Sprintf("no context named %q in %s", missing, path)}
	}
	return nil
}

// contextsTable renders the contexts on a terminal, the current one marked.
func contextsTable(t *output.Terminal, rows []contextRow, path string) error {
	if len(rows) == 0 {
		t.Hint("No contexts in %s. Create one with 'apikeyctl config set-context NAME --url URL'.", path)
		return nil
	}
	table := make([][]string, len(rows))
	for i, r := range rows {
		mark := ""
		if r.Current {
			mark = "*"
		}
		kind, target := r.target()
		table[i] = []string{mark, r.Name, kind + " " + target, orNone(r.Username), r.authText()}
	}
	return t.Table([]string{"CURRENT", "NAME", "TARGET", "USERNAME", "SECRET FROM"}, table)
}

// authText says where a context's secret comes from.
func (c Context) authText() string {
	switch {
	case c.PasswordEnv != "":
		return "password in $" + c.PasswordEnv
	case c.PasswordCommand != "":
		return "password from: " + c.PasswordCommand
	case c.APIKeyEnv != "":
		return "API key in $" + c.APIKeyEnv
	case c.APIKeyCommand != "":
		return "API key from: " + c.APIKeyCommand
	case c.Username != "":
		return "password prompt"
	case c.DB != "":
		return "OS user"
	case c.Store != "":
		return "database role"
	case c.Socket != "":
		return "OS user (peer)"
	}
	return "-"
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// currentContextName is the context in effect: --context, else
// APIKEYCTL_CONTEXT, else the file's current-context.
func currentContextName(f *Factory, fc *FileConfig) string {
	if fl := f.flags.Lookup("context"); fl != nil && fl.Changed {
		return fl.Value.String()
	}
	if name := f.Getenv(envContext); name != "" {
		return name
	}
	return fc.CurrentContext
}

func newCurrentContextCmd(f *Factory) *cobra.Command {
	opts := &currentContextOptions{f: f}
	return &cobra.Command{
		Use:   "current-context",
		Short: "Print the name of the context in use",
		Long: `Print the name of the context in use: --context, else APIKEYCTL_CONTEXT,
else the config file's current-context. Exits 3 when there is none.`,
		Example: `  apikeyctl config set-context local --socket /run/apikeyd/apikeyd.sock
  apikeyctl config use-context local
  apikeyctl config current-context`,
		Args: noArgs,
		RunE: func(*cobra.Command, []string) error { return runCurrentContext(opts) },
	}
}

type currentContextOptions struct {
	f *Factory
}

func runCurrentContext(opts *currentContextOptions) error {
	f := opts.f
	path, fc, err := f.loadFile()
	if err != nil {
		return err
	}
	name := currentContextName(f, fc)
	if name == "" {
		return &NotFoundError{Msg: fmt.Sprintf("no current context: %s sets none; choose one with 'apikeyctl config use-context NAME'", path)}
	}
	_, err = fmt.Fprintln(f.IOStreams.Out, name)
	return err
}

func newConfigViewCmd(f *Factory) *cobra.Command {
	opts := &configViewOptions{f: f}
	cmd := &cobra.Command{
		Use:   "view",
		Short: "Print the config file",
		Long: `Print the config file as YAML (or as -o asks). It holds no secrets, only
where they come from, so it is safe to show.`,
		Example: `  apikeyctl config set-context local --socket /run/apikeyd/apikeyd.sock
  apikeyctl config view
  apikeyctl config view -o json --jq '.contexts | keys'`,
		Args: noArgs,
		RunE: func(*cobra.Command, []string) error { return runConfigView(opts) },
	}
	opts.out.register(cmd)
	return cmd
}

type configViewOptions struct {
	f   *Factory
	out outputFlags
}

func runConfigView(opts *configViewOptions) error {
	_, fc, err := opts.f.loadFile()
	if err != nil {
		return err
	}
	wopts := opts.out.opts
	wopts.Now = opts.f.Now
	if wopts.Format == output.Auto || wopts.Format == output.Table || wopts.Format == output.Wide {
		if wopts.Field == "" && wopts.JQ == "" && wopts.Template == "" {
			wopts.Format = output.YAML
		}
	}
	return output.Write(opts.f.IOStreams, wopts, fc)
}
