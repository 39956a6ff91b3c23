package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/audit"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/backend"
	"github.com/apikeyctl/apikeyctl/pkg/client"
	"github.com/apikeyctl/apikeyctl/pkg/iostreams"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
)

// Factory hands each command what it uses: the streams, the clock, and
// (lazily, on first use) the api.Service of the chosen target. Commands
// never know whether that service is local (--db) or remote.
type Factory struct {
	IOStreams *iostreams.IOStreams
	Getenv    func(string) string
	Now       func() time.Time
	// Version is printed by `apikeyctl version`.
	Version BuildInfo

	flags   *pflag.FlagSet
	cfg     *Config
	svc     api.Service
	local   *backend.Backend
	closers []io.Closer
	// completing is set while computing shell completions: nothing is
	// prompted for, read from stdin or created.
	completing bool
	// anonymous is set when the remote target is called without a
	// username or an API key (peer credentials over a socket at most).
	anonymous bool
}

// BuildInfo is version information set at build time.
type BuildInfo struct {
	Version string
	Commit  string
	Date    string
}

// config is the configuration, loaded on first use.
func (f *Factory) config() (*Config, error) {
	if f.cfg == nil {
		cfg, err := loadConfig(f.flags, f.Getenv)
		if err != nil {
			return nil, err
		}
		f.cfg = cfg
	}
	return f.cfg, nil
}

// Service returns the api.Service of the target the configuration names.
func (f *Factory) Service(ctx context.Context) (api.Service, error) {
	if f.svc != nil {
		return f.svc, nil
	}
	cfg, err := f.config()
	if err != nil {
		return nil, err
	}
	if cfg.DB != "" {
		local, err := f.LocalService(ctx)
		if err != nil {
			return nil, err
		}
		f.svc = local
		return local, nil
	}
	ccfg := client.Config{
		Socket:     cfg.Socket,
		URL:        cfg.URL,
		Username:   cfg.Username,
		Password:   cfg.Password,
		APIKey:     cfg.APIKey,
		CACertFile: cfg.CACert,
		Insecure:   cfg.Insecure,
		UserAgent:  "apikeyctl/" + f.Version.Version,
	}
	if cfg.Insecure && cfg.URL != "" {
		fmt.Fprintf(f.IOStreams.ErrOut, "WARNING: TLS certificate verification is OFF (%s): anyone on the network path can impersonate %s and read your credentials. Use --ca-cert FILE instead.\n", cfg.InsecureSource, cfg.URL)
	}
	if err := f.resolveSecret(ctx, cfg, &ccfg); err != nil {
		return nil, err
	}
	c, err := client.New(ccfg)
	if err != nil {
		return nil, &UsageError{Err: err}
	}
	f.anonymous = ccfg.Username == "" && ccfg.APIKey == ""
	f.closers = append(f.closers, c)
	f.svc = c
	return c, nil
}

// Admin returns apikeyd's own administration API (backup, doctor) of the
// target: the key service over the --db file, which must exist (it is
// never created for them), or the client of the daemon.
func (f *Factory) Admin(ctx context.Context) (api.Admin, error) {
	cfg, err := f.config()
	if err != nil {
		return nil, err
	}
	if cfg.DB != "" && !backend.IsURL(cfg.DB) {
		if _, err := os.Stat(cfg.DB); errors.Is(err, fs.ErrNotExist) {
			return nil, &NotFoundError{Msg: fmt.Sprintf("no database at %s", cfg.DB)}
		}
	}
	svc, err := f.Service(ctx)
	if err != nil {
		return nil, err
	}
	admin, ok := svc.(api.Admin)
	if !ok {
		return nil, fmt.Errorf("the target (%s) has no administration API", cfg.TargetSource)
	}
	return admin, nil
}

// resolveSecret fills the password or API key of ccfg from the source cfg
// names: stdin, a credential command, or a no-echo prompt on a terminal.
// While completing, nothing is read from stdin and nobody is prompted.
func (f *Factory) resolveSecret(ctx context.Context, cfg *Config, ccfg *client.Config) error {
	var err error
	if cfg.Username != "" {
		switch {
		case ccfg.Password != "":
		case cfg.PasswordStdin && !f.completing:
			ccfg.Password, err = f.readSecretStdin(ctx, fmt.Sprintf("Password for %s: ", cfg.Username))
		case cfg.PasswordCommand != "":
			ccfg.Password, err = f.runCredentialCommand(ctx, cfg.PasswordCommand, cfg.SecretSource)
		case cfg.SecretSource != "" && !cfg.PasswordStdin:
			return &CredentialError{Msg: fmt.Sprintf("no password for %s: %s is empty", cfg.Username, cfg.SecretSource)}
		case f.IOStreams.IsStdinTTY() && !f.completing:
			ccfg.Password, err = f.IOStreams.ReadPassword(fmt.Sprintf("Password for %s: ", cfg.Username))
		default:
			return errNoPassword
		}
		return err
	}
	switch {
	case ccfg.APIKey != "":
	case cfg.APIKeyStdin && !f.completing:
		ccfg.APIKey, err = f.readSecretStdin(ctx, "API key: ")
	case cfg.APIKeyCommand != "":
		ccfg.APIKey, err = f.runCredentialCommand(ctx, cfg.APIKeyCommand, cfg.SecretSource)
	case cfg.SecretSource != "" && !cfg.APIKeyStdin:
		return &CredentialError{Msg: fmt.Sprintf("no API key: %s is empty", cfg.SecretSource)}
	}
	return err
}

// runCredentialCommand runs a context's password-command or
// api-key-command with the shell, as a credential helper: its stdout,
// without the line ending, is the secret; its stderr is ours. Neither the
// command line nor its output appears in an error.
func (f *Factory) runCredentialCommand(ctx context.Context, command, source string) (string, error) {
	shell, flag := "sh", "-c"
	if runtime.GOOS == "windows" {
		shell, flag = "cmd", "/C"
	}
	cmd := exec.CommandContext(ctx, shell, flag, command)
	cmd.Stderr = f.IOStreams.ErrOut
	out, err := cmd.Output()
	if ctx.Err() != nil {
		return "", ctx.Err()
	}
	if err != nil {
		return "", &CredentialError{Msg: fmt.Sprintf("%s failed: %v", source, err)}
	}
	secret := strings.TrimRight(string(out), "\r\n")
	if secret == "" || strings.ContainsAny(secret, "\r\n") {
		return "", &CredentialError{Msg: fmt.Sprintf("%s printed no secret: it must print the secret alone on one line", source)}
	}
	return secret, nil
}

// LocalService returns the key service over the database file of --db,
// for what only a local target offers (purge). It acts as the OS user, a
// superuser in realm os (the same identity the daemon gives this user on
// its socket).
func (f *Factory) LocalService(ctx context.Context) (*keyservice.Service, error) {
	if f.local != nil {
		return f.local.Service, nil
	}
	cfg, err := f.config()
	if err != nil {
		return nil, err
	}
	path := cfg.DB
	if path == "" {
		return nil, usageErrorf("this works on a database: give --db FILE or --store URL")
	}
	isURL := backend.IsURL(path)
	if _, err := os.Stat(path); !isURL && errors.Is(err, fs.ErrNotExist) {
		if f.completing {
			// Completion never creates a database.
			return nil, err
		}
		if _, err := os.Stat(filepath.Dir(path)); err != nil {
			return nil, fmt.Errorf("database %s: the directory %s does not exist", path, filepath.Dir(path))
		}
		fmt.Fprintf(f.IOStreams.ErrOut, "Creating a new database at %s\n", path)
	}
	u, err := user.Current()
	if err != nil {
		return nil, fmt.Errorf("who is the current OS user: %w", err)
	}
	opts := backend.Options{
		DB:     path,
		Origin: auth.LocalOrigin(os.Getuid()),
		Service: keyservice.Options{
			Now:    f.Now,
			Caller: auth.OSSubject(u.Username),
			// Only warnings and errors reach stderr: the service's
			// informational log lines (a purge's batches) are the
			// daemon's business.
			Logger: slog.New(slog.NewTextHandler(f.IOStreams.ErrOut, &slog.HandlerOptions{Level: slog.LevelWarn})),
		},
	}
	if !f.completing && !isURL {
		// A PostgreSQL store has no directory of its own: its audit
		// trail is its daemons'. The audit log of a database file is
		// audit.json beside it: the same
		// file the daemon writes when the database is in its data
		// directory. It is opened at the first write: reads never need it.
		opts.AuditFile = filepath.Join(filepath.Dir(path), audit.FileName)
		opts.AuditAtFirstWrite = true
	}
	f.local, err = backend.Open(ctx, opts)
	if err != nil {
		return nil, err
	}
	return f.local.Service, nil
}

// readLine reads the first line of r, without its line ending.
func readLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read stdin: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("stdin is empty: expected a secret on its first line")
	}
	return line, nil
}

// readSecretStdin reads a secret from the first line of stdin; when stdin
// is a terminal it prompts and reads without echo, so that the secret
// never shows on the screen.
func (f *Factory) readSecretStdin(ctx context.Context, prompt string) (string, error) {
	if f.IOStreams.IsStdinTTY() {
		return f.IOStreams.ReadPassword(prompt)
	}
	return readLineContext(ctx, f.IOStreams.In)
}

// readLineContext is readLine that gives up when ctx ends (Ctrl-C while
// waiting for stdin); the read itself is left to the exiting process.
func readLineContext(ctx context.Context, r io.Reader) (string, error) {
	type result struct {
		line string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		line, err := readLine(r)
		done <- result{line, err}
	}()
	select {
	case res := <-done:
		return res.line, res.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// Close releases the service.
func (f *Factory) Close() {
	for _, c := range f.closers {
		_ = c.Close()
	}
	if f.local != nil {
		_ = f.local.Close()
	}
}
