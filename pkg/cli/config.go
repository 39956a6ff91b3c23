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
	"strconv"
	"strings"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/apikeyctl/apikeyctl/pkg/paths"
)

// Config is apikeyctl's resolved configuration: where to send calls and
// how to authenticate. It is loaded once, by loadConfig, from flags, the
// APIKEYCTL_* environment and the config file (its selected context, or
// its top-level keys), in that order of precedence.
type Config struct {
	// Target: exactly one of DB, Socket and URL is set.
	DB     string
	Socket string
	URL    string
	// TargetSource says where the target came from ("flag",
	// "environment", "context prod", "config file …", "default"), for
	// messages.
	TargetSource string
	// Context is the name of the context the target came from, or "".
	Context string

	Username string
	CACert   string
	Insecure bool
	// InsecureSource says where Insecure came from, for the warning.
	InsecureSource string

	// Password and APIKey are secrets already known (from the
	// environment); the other fields say where to get them when needed.
	Password        string
	PasswordStdin   bool
	PasswordCommand string
	APIKey          string
	APIKeyStdin     bool
	APIKeyCommand   string
	// SecretSource says where Password or APIKey come from, for messages
	// (never the secret itself).
	SecretSource string
}

// Context is a named target of the config file and how to authenticate to
// it. It never holds a secret: a password or an API key comes from the
// environment variable or the command (credential-helper style: its
// stdout is the secret) that it names.
type Context struct {
	DB       string `mapstructure:"db" json:"db,omitempty"`
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
var contextKeys = []string{"db", "socket", "url", "username", "ca-cert", "insecure",
	"password-env", "password-command", "api-key-env", "api-key-command"}

// values returns the context's settings by key, leaving out empty ones.
func (c Context) values() map[string]any {
	m := map[string]any{}
	for k, v := range map[string]string{
		"db": c.DB, "socket": c.Socket, "url": c.URL, "username": c.Username, "ca-cert": c.CACert,
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
	for k, v := range map[string]string{"db": c.DB, "socket": c.Socket, "url": c.URL} {
		if v != "" {
			targets = append(targets, "--"+k)
		}
	}
	sort.Strings(targets)
	switch {
	case len(targets) == 0:
		return errors.New("it has no target: give one of --db, --socket and --url")
	case len(targets) > 1:
		return fmt.Errorf("it has more than one target (%s): choose one", strings.Join(targets, ", "))
	}
	if c.URL != "" {
		if err := checkURLHasNoPassword(c.URL); err != nil {
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
	if p := getenv("APIKEYCTL_CONFIG"); p != "" {
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

// targetKeys are the settings that choose a target.
var targetKeys = []string{"db", "socket", "url"}

// systemSocketPath is where the packaged, socket-activated apikeyd serves
// (its systemd socket unit). apikeyctl falls back to it when the default
// socket of its user does not exist.
var systemSocketPath = paths.SystemSocket

// envKey is the environment variable of a setting: url is APIKEYCTL_URL.
func envKey(k string) string {
	return "APIKEYCTL_" + strings.ToUpper(strings.ReplaceAll(k, "-", "_"))
}

// loadConfig resolves the configuration. It is, with readConfigFile and
// writeConfigFile, the only code that touches viper. Precedence, highest
// first:
//
//  1. flags (--db, --socket, --url, --username, …);
//  2. the environment (APIKEYCTL_DB, APIKEYCTL_URL, …);
//  3. the context named by --context, else APIKEYCTL_CONTEXT, else the
//     file's current-context; without one, the file's top-level keys;
//  4. apikeyd's default socket.
//
// The target comes whole from the highest layer that names one. The
// config file (a context, or the top-level keys) is used only when it
// supplies the target: its username, TLS settings and credential sources
// never go to a target named by a flag or the environment.
func loadConfig(flags *pflag.FlagSet, getenv func(string) string) (*Config, error) {
	path, err := configPath(getenv)
	if err != nil {
		return nil, err
	}
	fc, err := readConfigFile(path)
	if err != nil {
		return nil, err
	}
	changed := func(k string) (string, bool) {
		f := flags.Lookup(k)
		if f == nil || !f.Changed {
			return "", false
		}
		return f.Value.String(), true
	}

	// The selected context, if any.
	var (
		ctxName string
		ctx     *Context
	)
	ctxFrom := ""
	if name, ok := changed("context"); ok {
		ctxName, ctxFrom = name, "--context"
	} else if name := getenv("APIKEYCTL_CONTEXT"); name != "" {
		ctxName, ctxFrom = name, "APIKEYCTL_CONTEXT"
	} else if fc.CurrentContext != "" {
		ctxName, ctxFrom = fc.CurrentContext, "current-context in "+path
	}
	if ctxName != "" {
		c, ok := fc.Contexts[ctxName]
		if !ok {
			return nil, usageErrorf("%s names the context %q, which %s does not define; see 'apikeyctl config get-contexts'", ctxFrom, ctxName, path)
		}
		ctx = &c
	}

	cfg := &Config{}
	var set []string
	for _, k := range targetKeys {
		if _, ok := changed(k); ok {
			set = append(set, "--"+k)
		}
	}
	if len(set) > 1 {
		return nil, usageErrorf("%s cannot be used together: choose one target", strings.Join(set, " and "))
	}
	// fileLayer is the selected context or, without one, the top-level
	// keys of the file.
	fileLayer, fileName := fc.Context, "config file "+path
	if ctx != nil {
		fileLayer, fileName = *ctx, "context "+ctxName
	}
	layers := []struct {
		name string
		get  func(k string) (string, bool)
	}{
		{"flag", changed},
		{"environment", func(k string) (string, bool) {
			val := getenv(envKey(k))
			return val, val != ""
		}},
		{fileName, func(k string) (string, bool) {
			switch k {
			case "db":
				return fileLayer.DB, fileLayer.DB != ""
			case "socket":
				return fileLayer.Socket, fileLayer.Socket != ""
			}
			return fileLayer.URL, fileLayer.URL != ""
		}},
	}
	fromFile := false
	for i, layer := range layers {
		found := false
		for _, k := range targetKeys {
			val, ok := layer.get(k)
			if !ok {
				continue
			}
			if found {
				return nil, usageErrorf("the %s sets more than one of db, socket and url: choose one target", layer.name)
			}
			found = true
			cfg.TargetSource = layer.name
			switch k {
			case "db":
				cfg.DB = val
			case "socket":
				cfg.Socket = val
			case "url":
				cfg.URL = val
			}
		}
		if found {
			if i == len(layers)-1 {
				fromFile = true
				if ctx != nil {
					cfg.Context = ctxName
				}
			}
			break
		}
	}
	if cfg.TargetSource == "" {
		sock, err := defaultSocket(getenv)
		if err != nil {
			return nil, err
		}
		cfg.Socket, cfg.TargetSource = sock, "default"
	}
	if cfg.DB == "" && cfg.Socket == "" && cfg.URL == "" {
		return nil, usageErrorf("the %s names an empty target", cfg.TargetSource)
	}
	if _, ok := changed("url"); ok {
		// A password in a URL on the command line is visible to every
		// user in ps and stays in the shell's history.
		if err := checkURLHasNoPassword(cfg.URL); err != nil {
			return nil, &UsageError{Err: fmt.Errorf("--url: %w", err)}
		}
	}

	// The file layer gives the other settings only when it gave the
	// target: its username, TLS settings and credential sources are for
	// its own target.
	fileSettings := &Context{}
	if fromFile {
		fileSettings = &fileLayer
	}
	str := func(k, fileVal string) (string, string) {
		if val, ok := changed(k); ok {
			return val, "--" + k
		}
		if val := getenv(envKey(k)); val != "" {
			return val, envKey(k)
		}
		return fileVal, fileName
	}
	var userSrc string
	cfg.Username, userSrc = str("username", fileSettings.Username)
	// A username from a flag or the environment is the caller's choice;
	// one from the config file yields to a credential given more directly.
	userExplicit := cfg.Username != "" && userSrc != fileName
	cfg.CACert, _ = str("ca-cert", fileSettings.CACert)
	insecure, src := str("insecure", strconv.FormatBool(fileSettings.Insecure))
	if cfg.Insecure, err = strconv.ParseBool(insecure); err != nil {
		return nil, usageErrorf("%s=%q is not true or false", src, insecure)
	}
	if cfg.Insecure {
		cfg.InsecureSource = src
	}
	if v, ok := changed("password-stdin"); ok {
		cfg.PasswordStdin = v == "true"
	}
	if v, ok := changed("api-key-stdin"); ok {
		cfg.APIKeyStdin = v == "true"
	}

	if cfg.DB != "" {
		if _, ok := changed("username"); ok {
			return nil, usageErrorf("--username applies to --socket and --url; with --db apikeyctl acts as your OS user")
		}
		if cfg.PasswordStdin || cfg.APIKeyStdin {
			return nil, usageErrorf("--password-stdin and --api-key-stdin apply to --socket and --url; with --db apikeyctl acts as your OS user")
		}
		return cfg, nil
	}
	if cfg.PasswordStdin && cfg.APIKeyStdin {
		return nil, usageErrorf("--password-stdin and --api-key-stdin cannot be used together: stdin holds one secret")
	}
	if cfg.APIKeyStdin && userExplicit {
		return nil, usageErrorf("--api-key-stdin authenticates with an API key: drop --username (or APIKEYCTL_USERNAME)")
	}
	if cfg.PasswordStdin && cfg.Username == "" {
		return nil, usageErrorf("--password-stdin needs --username: the password of which user?")
	}
	resolveSecrets(cfg, userExplicit, fileSettings, fileName, getenv)
	return cfg, nil
}

// resolveSecrets finds where the password or API key comes from, highest
// first: the stdin flags; then APIKEYCTL_PASSWORD for a username given by
// flag or environment, or APIKEYCTL_API_KEY; then the file layer's
// sources, which apply only to the user (or the absence of one) they were
// written for. A credential from a flag or the environment replaces the
// file's username and password.
func resolveSecrets(cfg *Config, userExplicit bool, file *Context, fileName string, getenv func(string) string) {
	apiKeyEnv := getenv("APIKEYCTL_API_KEY")
	switch {
	case cfg.PasswordStdin:
		cfg.SecretSource = "stdin"
		return
	case cfg.APIKeyStdin:
		cfg.Username, cfg.SecretSource = "", "stdin"
		return
	case !userExplicit && apiKeyEnv != "":
		cfg.Username = ""
		cfg.APIKey, cfg.SecretSource = apiKeyEnv, "APIKEYCTL_API_KEY"
		return
	}
	if cfg.Username != "" {
		if pw := getenv("APIKEYCTL_PASSWORD"); pw != "" {
			cfg.Password, cfg.SecretSource = pw, "APIKEYCTL_PASSWORD"
			return
		}
		if cfg.Username != file.Username {
			return
		}
		switch {
		case file.PasswordEnv != "":
			cfg.Password = getenv(file.PasswordEnv)
			cfg.SecretSource = fmt.Sprintf("$%s (password-env of the %s)", file.PasswordEnv, fileName)
		case file.PasswordCommand != "":
			cfg.PasswordCommand = file.PasswordCommand
			cfg.SecretSource = "the password-command of the " + fileName
		}
		return
	}
	switch {
	case file.APIKeyEnv != "":
		cfg.APIKey = getenv(file.APIKeyEnv)
		cfg.SecretSource = fmt.Sprintf("$%s (api-key-env of the %s)", file.APIKeyEnv, fileName)
	case file.APIKeyCommand != "":
		cfg.APIKeyCommand = file.APIKeyCommand
		cfg.SecretSource = "the api-key-command of the " + fileName
	}
}

// defaultSocket is apikeyd's default socket for this user, else the
// system socket of the packaged daemon; a NoTargetError when neither
// exists.
func defaultSocket(getenv func(string) string) (string, error) {
	sock := paths.DefaultSocket(getenv)
	if _, err := os.Stat(sock); err == nil {
		return sock, nil
	}
	if getenv(paths.SocketEnv) == "" && systemSocketPath != sock {
		if _, err := os.Stat(systemSocketPath); err == nil {
			return systemSocketPath, nil
		}
	}
	return "", &NoTargetError{DefaultSocket: sock}
}

// checkURLHasNoPassword refuses a URL with a password in its user info.
func checkURLHasNoPassword(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		if strings.Contains(raw, "@") {
			return errors.New("invalid URL (not shown: it may hold a password)")
		}
		return fmt.Errorf("invalid URL %q: %w", raw, err)
	}
	if _, ok := u.User.Password(); ok {
		return errors.New("the URL holds a password, which would be visible to other users and kept in shell history; give the user with --username and the password with --password-stdin, APIKEYCTL_PASSWORD or a prompt")
	}
	return nil
}

// NoTargetError says that no target was chosen and the default socket does
// not exist.
type NoTargetError struct{ DefaultSocket string }

func (e *NoTargetError) Error() string {
	return fmt.Sprintf("no target: apikeyd's default socket %s does not exist. Start apikeyd, or choose a target with --db FILE, --socket PATH or --url URL (or APIKEYCTL_DB, APIKEYCTL_SOCKET, APIKEYCTL_URL, or a context: apikeyctl config set-context)", e.DefaultSocket)
}

// CredentialError is a secret that could not be had: no password and no
// terminal to prompt on, or a password-command that failed. It exits
// with the authentication code.
type CredentialError struct{ Msg string }

func (e *CredentialError) Error() string { return e.Msg }

var errNoPassword = &CredentialError{Msg: "a password is needed: set APIKEYCTL_PASSWORD, pass --password-stdin and write it to stdin, name a password-env or password-command in a context, or run on a terminal to be prompted"}
