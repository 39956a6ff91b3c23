package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/client"
	"github.com/apikeyctl/apikeyctl/pkg/iostreams"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
	"github.com/apikeyctl/apikeyctl/pkg/store/sqlite"
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
	svc     api.Service
	closers []io.Closer
}

// BuildInfo is version information set at build time.
type BuildInfo struct {
	Version string
	Commit  string
	Date    string
}

// Service returns the api.Service of the target the configuration names.
func (f *Factory) Service(ctx context.Context) (api.Service, error) {
	if f.svc != nil {
		return f.svc, nil
	}
	cfg, err := loadConfig(f.flags, f.Getenv)
	if err != nil {
		return nil, err
	}
	if cfg.DB != "" {
		f.svc, err = f.localService(ctx, cfg.DB)
		return f.svc, err
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
	if cfg.Insecure {
		fmt.Fprintln(f.IOStreams.ErrOut, "warning: --insecure: the server's TLS certificate is not verified; anyone on the path can read your credentials")
	}
	if ccfg.Username != "" && ccfg.Password == "" {
		if ccfg.Password, err = f.readPassword(cfg.PasswordStdin, fmt.Sprintf("Password for %s: ", cfg.Username)); err != nil {
			return nil, err
		}
	}
	c, err := client.New(ccfg)
	if err != nil {
		return nil, &UsageError{Err: err}
	}
	f.closers = append(f.closers, c)
	f.svc = c
	return c, nil
}

// localService opens the database file and acts as the OS user, a
// superuser in realm os (the same identity the daemon gives this user on
// its socket).
func (f *Factory) localService(ctx context.Context, path string) (api.Service, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if _, err := os.Stat(filepath.Dir(path)); err != nil {
			return nil, fmt.Errorf("database %s: the directory %s does not exist", path, filepath.Dir(path))
		}
		fmt.Fprintf(f.IOStreams.ErrOut, "Creating a new database at %s\n", path)
	}
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	f.closers = append(f.closers, db)
	u, err := user.Current()
	if err != nil {
		return nil, fmt.Errorf("who is the current OS user: %w", err)
	}
	return keyservice.New(db, keyservice.Options{Now: f.Now, Caller: auth.OSSubject(u.Username)})
}

// readPassword reads a secret from stdin (when asked to) or from a no-echo
// prompt on a terminal.
func (f *Factory) readPassword(fromStdin bool, prompt string) (string, error) {
	if fromStdin {
		return readLine(f.IOStreams.In)
	}
	if f.IOStreams.IsStdinTTY() {
		return f.IOStreams.ReadPassword(prompt)
	}
	return "", errNoPassword
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

// Close releases the service.
func (f *Factory) Close() {
	for _, c := range f.closers {
		_ = c.Close()
	}
}
