package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/apikeyctl/apikeyctl/pkg/paths"
)

// Config is apikeyctl's resolved configuration: where to send calls and
// how to authenticate. It is loaded once, by loadConfig, from flags, the
// APIKEYCTL_* environment and the config file (its selected context, or
// its top-level keys), in that order of precedence.
type Config struct {
	// Target: exactly one of DB, Socket and URL is set. DB is the local
	// target, a database file (--db) or a PostgreSQL URL (--store).
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

// targetSetting is a setting that chooses a target. Its flag is --key, its
// environment variable envKey(key), its place in the config file inFile,
// and its place in Config inConfig.
type targetSetting struct {
	key      string
	inFile   func(*Context) string
	inConfig func(*Config) *string
}

// targetSettings are the settings that choose a target, in the order a
// layer's conflicting ones are reported.
var targetSettings = []targetSetting{
	{"db", func(c *Context) string { return c.DB }, func(c *Config) *string { return &c.DB }},
	{"socket", func(c *Context) string { return c.Socket }, func(c *Config) *string { return &c.Socket }},
	{"url", func(c *Context) string { return c.URL }, func(c *Config) *string { return &c.URL }},
	// --store is a local target like --db, the database a PostgreSQL
	// URL (or a file).
	{"store", func(c *Context) string { return c.Store }, func(c *Config) *string { return &c.DB }},
}

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
	l := &configLoader{flags: flags, getenv: getenv}
	if err := l.selectContext(fc, path); err != nil {
		return nil, err
	}
	cfg := &Config{}
	fromFile, err := l.resolveTarget(cfg)
	if err != nil {
		return nil, err
	}
	// The file layer gives the other settings only when it gave the
	// target: its username, TLS settings and credential sources are for
	// its own target.
	fileSettings := &Context{}
	if fromFile {
		fileSettings = &l.fileLayer
	}
	userExplicit, err := l.resolveSettings(cfg, fileSettings)
	if err != nil {
		return nil, err
	}
	if err := checkCredentialFlags(cfg, l.flags, userExplicit); err != nil {
		return nil, err
	}
	if cfg.DB == "" {
		resolveSecrets(cfg, userExplicit, fileSettings, l.fileName, getenv)
	}
	return cfg, nil
}

// configLoader holds what loadConfig reads from: the flags, the
// environment, and the config file's layer (the selected context or,
// without one, the file's top-level keys).
type configLoader struct {
	flags     *pflag.FlagSet
	getenv    func(string) string
	ctxName   string
	fileLayer Context
	// fileName names the file layer in messages and TargetSource.
	fileName string
}

// changed is the value of flag k when it was given.
func (l *configLoader) changed(k string) (string, bool) {
	f := l.flags.Lookup(k)
	if f == nil || !f.Changed {
		return "", false
	}
	return f.Value.String(), true
}

// env is the value of setting k in the environment, when set.
func (l *configLoader) env(k string) (string, bool) {
	val := l.getenv(envKey(k))
	return val, val != ""
}

// file is the file layer's target setting k, when set.
func (l *configLoader) file(k string) (string, bool) {
	for _, s := range targetSettings {
		if s.key == k {
			val := s.inFile(&l.fileLayer)
			return val, val != ""
		}
	}
	return "", false
}

// selectContext picks the file layer: the context named by --context, else
// APIKEYCTL_CONTEXT, else the file's current-context; without one, the
// file's top-level keys.
func (l *configLoader) selectContext(fc *FileConfig, path string) error {
	from := ""
	if name, ok := l.changed("context"); ok {
		l.ctxName, from = name, "--context"
	} else if name := l.getenv(envContext); name != "" {
		l.ctxName, from = name, envContext
	} else if fc.CurrentContext != "" {
		l.ctxName, from = fc.CurrentContext, "current-context in "+path
	}
	if l.ctxName == "" {
		l.fileLayer, l.fileName = fc.Context, "config file "+path
		return nil
	}
	c, ok := fc.Contexts[l.ctxName]
	if !ok {
		return usageErrorf("%s names the context %q, which %s does not define; see 'apikeyctl config get-contexts'", from, l.ctxName, path)
	}
	l.fileLayer, l.fileName = c, "context "+l.ctxName
	return nil
}

// resolveTarget sets the target from the highest layer that names one,
// else the default socket, and reports whether the file layer gave it.
func (l *configLoader) resolveTarget(cfg *Config) (fromFile bool, err error) {
	var set []string
	for _, s := range targetSettings {
		if _, ok := l.changed(s.key); ok {
			set = append(set, "--"+s.key)
		}
	}
	if len(set) > 1 {
		return false, usageErrorf("%s cannot be used together: choose one target", strings.Join(set, " and "))
	}
	layers := []struct {
		name string
		get  func(k string) (string, bool)
	}{
		{"flag", l.changed},
		{"environment", l.env},
		{l.fileName, l.file},
	}
	for i, layer := range layers {
		found, err := setTarget(cfg, layer.name, layer.get)
		if err != nil {
			return false, err
		}
		if found {
			fromFile = i == len(layers)-1
			if fromFile && l.ctxName != "" {
				cfg.Context = l.ctxName
			}
			break
		}
	}
	if cfg.TargetSource == "" {
		sock, err := defaultSocket(l.getenv)
		if err != nil {
			return false, err
		}
		cfg.Socket, cfg.TargetSource = sock, "default"
	}
	if cfg.DB == "" && cfg.Socket == "" && cfg.URL == "" {
		return false, usageErrorf("the %s names an empty target", cfg.TargetSource)
	}
	if _, ok := l.changed("url"); ok {
		// A password in a URL on the command line is visible to every
		// user in ps and stays in the shell's history.
		if err := checkURLHasNoPassword(cfg.URL); err != nil {
			return false, &UsageError{Err: fmt.Errorf("--url: %w", err)}
		}
	}
	return fromFile, nil
}

// setTarget sets cfg's target from the layer named name, if it gives one;
// a layer may give only one.
func setTarget(cfg *Config, name string, get func(k string) (string, bool)) (found bool, err error) {
	for _, s := range targetSettings {
		val, ok := get(s.key)
		if !ok {
			continue
		}
		if found {
			return false, usageErrorf("the %s sets more than one of db, store, socket and url: choose one target", name)
		}
		found = true
		cfg.TargetSource = name
		*s.inConfig(cfg) = val
	}
	return found, nil
}

// resolveSettings sets the username, TLS settings and stdin flags, each
// from the flag, else the environment, else file; it reports whether the
// username came from a flag or the environment (the caller's choice,
// which a credential given more directly does not override).
func (l *configLoader) resolveSettings(cfg *Config, file *Context) (userExplicit bool, err error) {
	setting := func(k, fileVal string) (string, string) {
		if val, ok := l.changed(k); ok {
			return val, "--" + k
		}
		if val, ok := l.env(k); ok {
			return val, envKey(k)
		}
		return fileVal, l.fileName
	}
	var userSrc string
	cfg.Username, userSrc = setting("username", file.Username)
	userExplicit = cfg.Username != "" && userSrc != l.fileName
	cfg.CACert, _ = setting("ca-cert", file.CACert)
	insecure, src := setting("insecure", strconv.FormatBool(file.Insecure))
	if cfg.Insecure, err = strconv.ParseBool(insecure); err != nil {
		return false, usageErrorf("%s=%q is not true or false", src, insecure)
	}
	if cfg.Insecure {
		cfg.InsecureSource = src
	}
	if v, ok := l.changed("password-stdin"); ok {
		cfg.PasswordStdin = v == "true"
	}
	if v, ok := l.changed("api-key-stdin"); ok {
		cfg.APIKeyStdin = v == "true"
	}
	return userExplicit, nil
}

// checkCredentialFlags refuses credential flags that contradict each other
// or the target.
func checkCredentialFlags(cfg *Config, flags *pflag.FlagSet, userExplicit bool) error {
	if cfg.DB != "" {
		if f := flags.Lookup("username"); f != nil && f.Changed {
			return usageErrorf("--username applies to --socket and --url; with --db apikeyctl acts as your OS user")
		}
		if cfg.PasswordStdin || cfg.APIKeyStdin {
			return usageErrorf("--password-stdin and --api-key-stdin apply to --socket and --url; with --db apikeyctl acts as your OS user")
		}
		return nil
	}
	if cfg.PasswordStdin && cfg.APIKeyStdin {
		return usageErrorf("--password-stdin and --api-key-stdin cannot be used together: stdin holds one secret")
	}
	if cfg.APIKeyStdin && userExplicit {
		return usageErrorf("--api-key-stdin authenticates with an API key: drop --username (or APIKEYCTL_USERNAME)")
	}
	if cfg.PasswordStdin && cfg.Username == "" {
		return usageErrorf("--password-stdin needs --username: the password of which user?")
	}
	return nil
}

// resolveSecrets finds where the password or API key comes from, highest
// first: the stdin flags; then APIKEYCTL_PASSWORD for a username given by
// flag or environment, or APIKEYCTL_API_KEY; then the file layer's
// sources, which apply only to the user (or the absence of one) they were
// written for. A credential from a flag or the environment replaces the
// file's username and password.
func resolveSecrets(cfg *Config, userExplicit bool, file *Context, fileName string, getenv func(string) string) {
	apiKeyEnv := getenv(envAPIKey)
	switch {
	case cfg.PasswordStdin:
		cfg.SecretSource = "stdin"
		return
	case cfg.APIKeyStdin:
		cfg.Username, cfg.SecretSource = "", "stdin"
		return
	case !userExplicit && apiKeyEnv != "":
		cfg.Username = ""
		cfg.APIKey, cfg.SecretSource = apiKeyEnv, envAPIKey
		return
	}
	if cfg.Username != "" {
		if pw := getenv(envPassword); pw != "" {
			cfg.Password, cfg.SecretSource = pw, envPassword
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

// defaultSocket is the first of apikeyd's default sockets
// (paths.DefaultSockets: this user's daemon's, in the daemon's order, then
// the packaged daemon's) that answers; a NoTargetError naming those tried
// when none does.
func defaultSocket(getenv func(string) string) (string, error) {
	return firstAnswering(paths.DefaultSockets(getenv, os.Geteuid()))
}

// firstAnswering is the first of socks something listens on. A socket
// that is missing, or that refuses the connection (left by a daemon that
// is gone), is passed over; one that fails otherwise (permission denied)
// is taken, for the call to report.
func firstAnswering(socks []string) (string, error) {
	tried := make([]string, len(socks))
	for i, s := range socks {
		conn, err := net.DialTimeout("unix", s, socketProbeTimeout)
		switch {
		case err == nil:
			conn.Close()
			return s, nil
		case errors.Is(err, fs.ErrNotExist):
			tried[i] = s + " (does not exist)"
		case errors.Is(err, syscall.ECONNREFUSED):
			tried[i] = s + " (refused: nothing listens on it)"
		default:
			return s, nil
		}
	}
	return "", &NoTargetError{Tried: tried}
}

// socketProbeTimeout bounds the connection that tells whether a default
// socket answers.
const socketProbeTimeout = 2 * time.Second

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

// NoTargetError says that no target was chosen and no default socket
// answers. Tried are the sockets tried, each with why it did not answer.
type NoTargetError struct{ Tried []string }

func (e *NoTargetError) Error() string {
	return fmt.Sprintf("no target: apikeyd answers on none of its default sockets (tried %s). Start apikeyd, or choose a target with --db FILE, --socket PATH or --url URL (or APIKEYCTL_DB, APIKEYCTL_SOCKET, APIKEYCTL_URL, or a context: apikeyctl config set-context)", strings.Join(e.Tried, ", "))
}

// CredentialError is a secret that could not be had: no password and no
// terminal to prompt on, or a password-command that failed. It exits
// with the authentication code.
type CredentialError struct{ Msg string }

func (e *CredentialError) Error() string { return e.Msg }

var errNoPassword = &CredentialError{Msg: "a password is needed: set APIKEYCTL_PASSWORD, pass --password-stdin and write it to stdin, name a password-env or password-command in a context, or run on a terminal to be prompted"}
