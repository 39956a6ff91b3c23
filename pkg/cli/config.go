package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/apikeyctl/apikeyctl/pkg/daemon"
)

// Config is apikeyctl's resolved configuration: where to send calls and
// how to authenticate. It is loaded once, by loadConfig, from flags, the
// APIKEYCTL_* environment and the config file, in that order of precedence.
type Config struct {
	// Target: exactly one of DB, Socket and URL is set.
	DB     string
	Socket string
	URL    string
	// TargetSource says where the target came from (flag, environment,
	// config file, default), for messages.
	TargetSource string

	Username      string
	Password      string
	PasswordStdin bool
	APIKey        string
	CACert        string
	Insecure      bool
}

// configFile is the path of apikeyctl's config file.
func configFile(getenv func(string) string) string {
	dir := getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "apikeyctl", "config.yaml")
}

// targetKeys are the settings that choose a target.
var targetKeys = []string{"db", "socket", "url"}

// loadConfig resolves the configuration. Only this function touches viper.
func loadConfig(flags *pflag.FlagSet, getenv func(string) string) (*Config, error) {
	v := viper.New()
	path := configFile(getenv)
	if path != "" {
		if _, err := os.Stat(path); err == nil {
			v.SetConfigFile(path)
			if err := v.ReadInConfig(); err != nil {
				return nil, fmt.Errorf("read config file %s: %w", path, err)
			}
		}
	}
	cfg := &Config{}

	// The target comes whole from the highest layer that names one, so a
	// --url flag is never mixed with a db path from the config file.
	var set []string
	for _, k := range targetKeys {
		if f := flags.Lookup(k); f != nil && f.Changed {
			set = append(set, "--"+k)
		}
	}
	if len(set) > 1 {
		return nil, usageErrorf("%s cannot be used together: choose one target", strings.Join(set, " and "))
	}
	layers := []struct {
		name string
		get  func(k string) (string, bool)
	}{
		{"flag", func(k string) (string, bool) {
			f := flags.Lookup(k)
			if f == nil || !f.Changed {
				return "", false
			}
			return f.Value.String(), true
		}},
		{"environment", func(k string) (string, bool) {
			val := getenv("APIKEYCTL_" + strings.ToUpper(k))
			return val, val != ""
		}},
		{"config file " + path, func(k string) (string, bool) {
			return v.GetString(k), v.IsSet(k)
		}},
	}
	for _, layer := range layers {
		found := false
		for _, k := range targetKeys {
			val, ok := layer.get(k)
			if !ok {
				continue
			}
			if found {
				return nil, usageErrorf("%s sets more than one of db, socket and url: choose one target", layer.name)
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
			break
		}
	}
	if cfg.TargetSource == "" {
		sock := daemon.DefaultSocketPath()
		if _, err := os.Stat(sock); err != nil {
			return nil, &NoTargetError{DefaultSocket: sock}
		}
		cfg.Socket, cfg.TargetSource = sock, "default"
	}
	if cfg.DB == "" && cfg.Socket == "" && cfg.URL == "" {
		return nil, usageErrorf("the %s names an empty target", cfg.TargetSource)
	}

	str := func(k string) string {
		if f := flags.Lookup(k); f != nil && f.Changed {
			return f.Value.String()
		}
		if val := getenv("APIKEYCTL_" + strings.ToUpper(strings.ReplaceAll(k, "-", "_"))); val != "" {
			return val
		}
		return v.GetString(strings.ReplaceAll(k, "-", "_"))
	}
	cfg.Username = str("username")
	cfg.CACert = str("ca-cert")
	cfg.Insecure = str("insecure") == "true"
	cfg.PasswordStdin = str("password-stdin") == "true"
	// Secrets come only from the environment or stdin, never from a flag
	// or the config file.
	cfg.Password = getenv("APIKEYCTL_PASSWORD")
	cfg.APIKey = getenv("APIKEYCTL_API_KEY")
	if f := flags.Lookup("username"); cfg.DB != "" && f != nil && f.Changed {
		return nil, usageErrorf("--username applies to --socket and --url; with --db apikeyctl acts as your OS user")
	}
	return cfg, nil
}

// NoTargetError says that no target was chosen and the default socket does
// not exist.
type NoTargetError struct{ DefaultSocket string }

func (e *NoTargetError) Error() string {
	return fmt.Sprintf("no target: apikeyd's default socket %s does not exist. Start apikeyd, or choose a target with --db FILE, --socket PATH or --url URL (or APIKEYCTL_DB, APIKEYCTL_SOCKET, APIKEYCTL_URL)", e.DefaultSocket)
}

var errNoPassword = errors.New("a password is needed: set APIKEYCTL_PASSWORD, pass --password-stdin and write it to stdin, or run on a terminal to be prompted")
