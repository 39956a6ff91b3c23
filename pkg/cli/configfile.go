package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/spf13/viper"
)

// This file holds the config file: its contexts, where it is, and how
// it is read and written.

// Context is a named target of the config file and how to authenticate to
// it. It never holds a secret: a password or an API key comes from the
// environment variable or the command (credential-helper style: its
// stdout is the secret) that it names.
type Context struct {
	DB       string `mapstructure:"db" json:"db,omitempty"`
	Store    string `mapstructure:"store" json:"store,omitempty"`
	Socket   string `mapstructure:"socket" json:"socket,omitempty"`
	URL      string `mapstructure:"url" json:"url,omitempty"`
	Username string `mapstructure:"username" json:"username,omitempty"`
	CACert   string `mapstructure:"ca-cert" json:"ca-cert,omitempty"`
	Insecure bool   `mapstructure:"insecure" json:"insecure,omitempty"`

	PasswordEnv     string `mapstructure:"password-env" json:"password-env,omitempty"`
	PasswordCommand string `mapstructure:"password-command" json:"password-command,omitempty"`
	APIKeyEnv       string `mapstructure:"api-key-env" json:"api-key-env,omitempty"`
	APIKeyCommand   string `mapstructure:"api-key-command" json:"api-key-command,omitempty"`
}

// contextKeys are the keys of a context in the config file, in the order
// they are documented and written.
var contextKeys = []string{"db", "store", "socket", "url", "username", "ca-cert", "insecure",
	"password-env", "password-command", "api-key-env", "api-key-command"}

// values returns the context's settings by key, leaving out empty ones.
func (c Context) values() map[string]any {
	m := map[string]any{}
	for k, v := range map[string]string{
		"db": c.DB, "store": c.Store, "socket": c.Socket, "url": c.URL, "username": c.Username, "ca-cert": c.CACert,
		"password-env": c.PasswordEnv, "password-command": c.PasswordCommand,
		"api-key-env": c.APIKeyEnv, "api-key-command": c.APIKeyCommand,
	} {
		if v != "" {
			m[k] = v
		}
	}
	if c.Insecure {
		m["insecure"] = true
	}
	return m
}

// target returns the context's target kind and value, or "" when it has
// none.
func (c Context) target() (kind, value string) {
	switch {
	case c.DB != "":
		return "db", c.DB
	case c.Store != "":
		return "store", c.Store
	case c.Socket != "":
		return "socket", c.Socket
	case c.URL != "":
		return "url", c.URL
	}
	return "", ""
}

// validate checks a context as set-context stores it and loadConfig uses
// it.
func (c Context) validate() error {
	var targets []string
	for k, v := range map[string]string{"db": c.DB, "store": c.Store, "socket": c.Socket, "url": c.URL} {
		if v != "" {
			targets = append(targets, "--"+k)
		}
	}
	sort.Strings(targets)
	switch {
	case len(targets) == 0:
		return errors.New("it has no target: give one of --db, --store, --socket and --url")
	case len(targets) > 1:
		return fmt.Errorf("it has more than one target (%s): choose one", strings.Join(targets, ", "))
	}
	if c.URL != "" {
		if err := checkURLHasNoPassword(c.URL); err != nil {
			return err
		}
	}
	if c.Store != "" {
		if err := checkStoreURL(c.Store); err != nil {
			return err
		}
	}
	if strings.Contains(c.Username, ":") {
		return errors.New("the username contains ':': give the password with --password-env or --password-command, never in the username")
	}
	var sources []string
	for k, v := range map[string]string{"password-env": c.PasswordEnv, "password-command": c.PasswordCommand,
		"api-key-env": c.APIKeyEnv, "api-key-command": c.APIKeyCommand} {
		if v != "" {
			sources = append(sources, "--"+k)
		}
	}
	sort.Strings(sources)
	switch {
	case len(sources) > 1:
		return fmt.Errorf("it has more than one credential source (%s): choose one", strings.Join(sources, ", "))
	case (c.PasswordEnv != "" || c.PasswordCommand != "") && c.Username == "":
		return errors.New("a password source needs --username")
	case (c.APIKeyEnv != "" || c.APIKeyCommand != "") && c.Username != "":
		return errors.New("an API key authenticates on its own: drop --username, or use a password source")
	case c.DB != "" && (c.Username != "" || len(sources) > 0 || c.CACert != "" || c.Insecure):
		return errors.New("a --db context takes no credentials or TLS settings: with --db apikeyctl acts as your OS user")
	case c.Store != "" && (c.Username != "" || len(sources) > 0 || c.CACert != "" || c.Insecure):
		return errors.New("a --store context takes no credentials or TLS settings: the database role and its TLS settings are in the URL, its password in PGPASSWORD or ~/.pgpass")
	case c.URL == "" && (c.CACert != "" || c.Insecure):
		return errors.New("--ca-cert and --insecure apply to a --url context")
	}
	for _, env := range []string{c.PasswordEnv, c.APIKeyEnv} {
		if env != "" && !envNameRE.MatchString(env) {
			return fmt.Errorf("%q is not an environment variable name", env)
		}
	}
	return nil
}

// checkStoreURL checks a context's store: a PostgreSQL URL without a
// password, which the config file must not hold. pgx reads it from
// PGPASSWORD or the password file (~/.pgpass, or PGPASSFILE) instead.
func checkStoreURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		if strings.Contains(raw, "password") || strings.Contains(raw, "@") {
			return errors.New("--store takes a postgres:// URL (this value is not one; not shown: it may hold a password)")
		}
		return fmt.Errorf("--store takes a postgres:// URL, not %q (a database file is --db)", raw)
	}
	_, inUser := u.User.Password()
	if inUser || u.Query().Has("password") {
		return errors.New("the store URL holds a password, which the config file must not keep: give the password in PGPASSWORD or ~/.pgpass (PostgreSQL's password file)")
	}
	return nil
}

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// contextNameRE is what a context may be called. Viper reads keys without
// case and splits them at dots, so names are lower case and dot-free.
var contextNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

func checkContextName(name string) error {
	if !contextNameRE.MatchString(name) {
		return usageErrorf("invalid context name %q: use lower-case letters, digits, - and _ (starting with a letter or digit)", name)
	}
	return nil
}

// FileConfig is the config file: contexts, the current one, and the
// top-level target keys of older files, still honoured when no context
// is selected.
type FileConfig struct {
	CurrentContext string             `mapstructure:"current-context" json:"current-context,omitempty"`
	Contexts       map[string]Context `mapstructure:"contexts" json:"contexts,omitempty"`
	// Context holds the top-level keys (db, socket, url, username,
	// ca-cert, insecure) of a file written before contexts existed.
	Context `mapstructure:",squash"`
}

// configPath is the path of apikeyctl's config file: $APIKEYCTL_CONFIG,
// else $XDG_CONFIG_HOME/apikeyctl/config.yaml, else
// ~/.config/apikeyctl/config.yaml.
func configPath(getenv func(string) string) (string, error) {
	if p := getenv(envConfig); p != "" {
		return p, nil
	}
	dir := getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home := getenv("HOME")
		if home == "" {
			var err error
			if home, err = os.UserHomeDir(); err != nil {
				return "", fmt.Errorf("find the config file: %w", err)
			}
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "apikeyctl", "config.yaml"), nil
}

// readConfigFile reads the config file at path; a missing file is an
// empty configuration.
func readConfigFile(path string) (*FileConfig, error) {
	fc := &FileConfig{}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return fc, nil
	}
	v := viper.New()
	v.SetConfigFile(path)
	v.SetConfigType("yaml")
	if err := v.ReadInConfig(); err != nil {
		return nil, fmt.Errorf("read the config file %s: %w", path, err)
	}
	if err := v.UnmarshalExact(fc); err != nil {
		return nil, fmt.Errorf("the config file %s: %w", path, err)
	}
	for name, c := range fc.Contexts {
		if err := c.validate(); err != nil {
			return nil, fmt.Errorf("the config file %s: context %q: %w", path, name, err)
		}
	}
	return fc, nil
}

// writeConfigFile writes fc to path through viper, atomically, with mode
// 0600 in a directory of mode 0700.
func writeConfigFile(path string, fc *FileConfig) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create the config directory: %w", err)
	}
	v := viper.New()
	v.SetConfigPermissions(0o600)
	if fc.CurrentContext != "" {
		v.Set("current-context", fc.CurrentContext)
	}
	for k, val := range fc.Context.values() {
		v.Set(k, val)
	}
	if len(fc.Contexts) > 0 {
		contexts := map[string]any{}
		for name, c := range fc.Contexts {
			contexts[name] = c.values()
		}
		v.Set("contexts", contexts)
	}
	tmp, err := os.CreateTemp(dir, ".config-*.yaml")
	if err != nil {
		return fmt.Errorf("write the config file: %w", err)
	}
	tmpName := tmp.Name()
	tmp.Close()
	defer os.Remove(tmpName)
	if err := os.Chmod(tmpName, 0o600); err != nil {
		return fmt.Errorf("write the config file: %w", err)
	}
	if err := v.WriteConfigAs(tmpName); err != nil {
		return fmt.Errorf("write the config file: %w", err)
	}
	if err := os.Rename(tmpName, path); err != nil {
		return fmt.Errorf("write the config file: %w", err)
	}
	return nil
}
