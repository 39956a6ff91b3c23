// Package cli is apikeyctl: the cobra command tree, the Factory that hands
// each command its api.Service and IOStreams, the choice of target (--db,
// --socket, --url, environment, config file, default socket) and the one
// mapping from errors to exit codes.
package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/apikeyctl/apikeyctl/pkg/iostreams"
)

// Build information, set with -ldflags "-X github.com/apikeyctl/apikeyctl/pkg/cli.version=...".
var (
	version = "dev"
	commit  = ""
	date    = ""
)

// Main runs apikeyctl with args and returns its exit code. It is the only
// place that decides one.
func Main(args []string) int {
	ios := iostreams.System()
	f := &Factory{
		IOStreams: ios,
		Getenv:    os.Getenv,
		Now:       time.Now,
		Version:   BuildInfo{Version: version, Commit: commit, Date: date},
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	done := make(chan int, 1)
	go func() { done <- Run(ctx, f, args) }()
	select {
	case code := <-done:
		return code
	case <-ctx.Done():
	}
	// Interrupted. Calls in flight end with the context; a command blocked
	// elsewhere (reading stdin) gets a moment, then is abandoned.
	select {
	case code := <-done:
		return code
	case <-time.After(interruptGrace):
		fmt.Fprintln(ios.ErrOut, "error: interrupted")
		return ExitInterrupted
	}
}

// interruptGrace is how long an interrupted command may take to stop.
const interruptGrace = 2 * time.Second

// Run executes one command line with the given factory and returns the
// exit code; tests call it with test streams.
func Run(ctx context.Context, f *Factory, args []string) int {
	root := NewRootCmd(f)
	root.SetArgs(protectDashIDs(root, args))
	defer f.Close()
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		err = ctx.Err()
	}
	line := errorLine(err)
	if hint := f.credentialHint(cmd, err); hint != "" {
		line += "; " + hint
	}
	fmt.Fprintln(f.IOStreams.ErrOut, line)
	return ExitCode(err)
}

// NewRootCmd builds the command tree.
func NewRootCmd(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "apikeyctl",
		Short: "Manage Elasticsearch API keys, in apikeyd or in an Elasticsearch cluster",
		Long: `apikeyctl manages Elasticsearch-style API keys.

It talks to apikeyd over its Unix socket (the default) or a URL, to a real
Elasticsearch cluster over its URL, or works directly on an apikeyd database
file with --db. Every command behaves and prints the same in all modes.

On a terminal, answers are tables and cards; on a pipe, they are the API's
JSON, exactly as the REST API returns it.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE:          groupRunE,
		// Args set: cobra leaves unknown subcommands to groupRunE, which
		// reports them as usage errors.
		Args: cobra.ArbitraryArgs,
	}
	root.SetOut(f.IOStreams.Out)
	root.SetErr(f.IOStreams.ErrOut)
	root.SetIn(f.IOStreams.In)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		// "apikeyctl gt --id X": the typo, not the flag, is the mistake.
		if args := cmd.Flags().Args(); cmd.HasSubCommands() && len(args) > 0 {
			return groupRunE(cmd, args)
		}
		return &UsageError{Err: err}
	})

	pf := root.PersistentFlags()
	pf.String("db", "", "work directly on this apikeyd database `file`, as your OS user")
	pf.String("store", "", "work directly on this store, as your OS user: a postgres:// `URL` of a PostgreSQL database (or a database file, as --db)")
	pf.String("socket", "", "talk to apikeyd over this Unix socket `path`")
	pf.String("url", "", "talk to apikeyd or Elasticsearch at this `URL`")
	pf.String("context", "", "use this context of the config file (see 'apikeyctl config get-contexts')")
	pf.String("username", "", "authenticate as this user (password from APIKEYCTL_PASSWORD, --password-stdin, the context or a prompt)")
	pf.Bool("password-stdin", false, "read the password of --username from the first line of stdin")
	pf.Bool("api-key-stdin", false, "authenticate with the encoded API key read from the first line of stdin")
	pf.String("ca-cert", "", "trust this PEM `file` of CA certificates for --url")
	pf.Bool("insecure", false, "do not verify the server's TLS certificate (dangerous)")
	pf.Bool("no-color", false, "never colour the output")
	addRefusedSecretFlags(pf)
	f.flags = pf

	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if noColor, _ := cmd.Flags().GetBool("no-color"); noColor {
			f.IOStreams.SetColorEnabled(false)
		}
		if err := checkNoSecretFlags(cmd, pf); err != nil {
			return err
		}
		return checkTimeValueFlags(cmd)
	}
	root.CompletionOptions.DisableDefaultCmd = true
	registerGlobalCompletions(f, root)

	root.AddCommand(
		newCreateCmd(f),
		newGetCmd(f),
		newQueryCmd(f),
		newExpiringCmd(f),
		newBrowseCmd(f),
		newInvalidateCmd(f),
		newGrantCmd(f),
		newCloneCmd(f),
		newRotateCmd(f),
		newTreeCmd(f),
		newUpdateCmd(f),
		newBulkUpdateCmd(f),
		newCrossClusterCmd(f),
		newHasPrivilegesCmd(f),
		newClearCacheCmd(f),
		newTokenCmd(f),
		newPurgeCmd(f),
		newBackupCmd(f),
		newMigrateCmd(f),
		newDoctorCmd(f),
		newExplainCmd(f),
		newEventsCmd(f),
		newMetricsCmd(f),
		newWhoamiCmd(f),
		newUserCmd(f),
		newRoleCmd(f),
		newPrivilegeCmd(f),
		newPolicyCmd(f),
		newVersionCmd(f),
		newInspectCmd(f),
		newConfigCmd(f),
		newCompletionCmd(f),
	)
	addHelpTopics(root)
	setSuggestionDistance(root)
	return root
}

// setSuggestionDistance makes cmd and its subcommands suggest, for an
// unknown subcommand, those at most two edits away (cobra's own default,
// which SuggestionsFor applies only when set).
func setSuggestionDistance(cmd *cobra.Command) {
	cmd.SuggestionsMinimumDistance = 2
	for _, c := range cmd.Commands() {
		setSuggestionDistance(c)
	}
}

// groupRunE runs a command that only groups others: alone it prints its
// help, with an unknown subcommand it is a usage error (exit 2) that
// suggests the subcommands the typo is close to, as gh and kubectl do.
func groupRunE(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		var hint string
		if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
			hint = " Did you mean " + joinOr(s) + "?"
		}
		return usageErrorf("unknown command %q for %q.%s See '%s --help'", args[0], cmd.CommandPath(), hint, cmd.CommandPath())
	}
	return cmd.Help()
}

// joinOr joins words as "a", "a or b", "a, b or c".
func joinOr(words []string) string {
	if len(words) == 1 {
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// noArgs rejects positional arguments with a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErrorf("%s takes no arguments, got %q", cmd.CommandPath(), args)
	}
	return nil
}

// minArgs requires at least n positional arguments.
func minArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			return usageErrorf("%s needs %s", cmd.CommandPath(), what)
		}
		return nil
	}
}

// exactArgs requires n positional arguments.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageErrorf("%s needs %s", cmd.CommandPath(), what)
		}
		return nil
	}
}
