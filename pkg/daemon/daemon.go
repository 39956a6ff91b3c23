// Package daemon is apikeyd: its command line and typed configuration
// (flags, APIKEYD_* environment, YAML file), its listeners with socket
// hygiene and peer credentials, TLS, and the lifecycle of the HTTP server
// that serves package esapi over keyservice and the SQLite store.
//
// Main is the only place that decides apikeyd's exit code.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/apikeyctl/apikeyctl/pkg/esapi"
)

// Build information, set with -ldflags "-X github.com/apikeyctl/apikeyctl/pkg/daemon.Version=...".
var (
	Version = "dev"
	Commit  = ""
	Date    = ""
)

// Exit statuses of apikeyd.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// Main runs apikeyd with args (without the program name) and returns the
// process exit status: 0 after a clean stop, 2 for a usage or
// configuration error, 1 for anything else.
func Main(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, args, os.Stdout, os.Stderr)
}

// run is Main with its context and streams given.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd := newRootCmd(stdout, stderr)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "apikeyd: %v\n", err)
	var ce *ConfigError
	if errors.As(err, &ce) {
		fmt.Fprintln(stderr, "Run 'apikeyd --help' for usage.")
		return exitUsage
	}
	return exitError
}

// NewCommand returns apikeyd's command tree writing to stdout and stderr,
// for tools that document it (cmd/gendocs writes its man pages).
func NewCommand(stdout, stderr io.Writer) *cobra.Command { return newRootCmd(stdout, stderr) }

// newRootCmd builds the command tree: apikeyd serves, apikeyd version
// prints the build.
func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "apikeyd",
		Short: "Serve the Elasticsearch API key API over a local SQLite database",
		Long: `apikeyd keeps API keys, users and roles in one SQLite file and serves the
Elasticsearch API key REST API on a Unix socket (default) and, when asked, on
a TCP port. Every flag can also be set as an APIKEYD_* environment variable
(--data-dir is APIKEYD_DATA_DIR) or as a key of the --config YAML file.
On first start the superuser elastic is created with the password in
APIKEYD_BOOTSTRAP_PASSWORD, or a generated one printed once.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return configErrorf("unknown command or argument %q", args[0])
			}
			return nil
		},
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd.Flags())
			if err != nil {
				return err
			}
			log, flush := newLogger(cfg, stderr)
			defer flush()
			return NewServer(cfg, log, stderr).Run(cmd.Context())
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &ConfigError{msg: err.Error()}
	})
	addFlags(root.Flags())
	root.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "Print the version of apikeyd",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return configErrorf("version takes no arguments")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), versionString())
			return err
		},
	})
	return root
}

// versionString describes the build.
func versionString() string {
	version := Version
	if version == "dev" {
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			version = bi.Main.Version
		}
	}
	commit, date := Commit, Date
	if commit == "" {
		commit = "unknown"
	}
	if date == "" {
		date = "unknown"
	}
	return fmt.Sprintf("apikeyd %s (commit %s, built %s, %s %s/%s; Elasticsearch API %s)",
		version, commit, date, runtime.Version(), runtime.GOOS, runtime.GOARCH, esapi.ESVersion)
}

// newLogger logs to stderr in the configured level and format, written
// off the requests' path (asynclog.go), and returns the function that
// writes what is left when the daemon stops.
func newLogger(cfg *Config, stderr io.Writer) (*slog.Logger, func()) {
	opts := &slog.HandlerOptions{Level: cfg.logLevel()}
	var h slog.Handler = slog.NewTextHandler(stderr, opts)
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(stderr, opts)
	}
	return newAsyncLog(h)
}
