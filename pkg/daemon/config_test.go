package daemon

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/keyservice"

	"github.com/spf13/pflag"
)

// clearEnv removes every variable that changes the configuration for the
// duration of the test, and points HOME at a temporary directory.
func clearEnv(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home) // also forbids t.Parallel
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "APIKEYD_") || strings.HasPrefix(k, "XDG_") {
			old := os.Getenv(k)
			os.Unsetenv(k)
			t.Cleanup(func() { os.Setenv(k, old) })
		}
	}
	return home
}

func parseFlags(t *testing.T, args ...string) *pflag.FlagSet {
	t.Helper()
	fs := pflag.NewFlagSet("apikeyd", pflag.ContinueOnError)
	addFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return fs
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestConfigPrecedence(t *testing.T) {
	const file = "listen: 127.0.0.1:3000\nlog-level: warn\ndata-dir: /from/file\n"
	tests := []struct {
		name      string
		flags     []string
		env       map[string]string
		file      string
		wantLevel string
		wantDir   string
		wantAddr  string
	}{
		{
			name:      "defaults",
			wantLevel: "info", wantAddr: "",
		},
		{
			name: "config file over defaults",
			file: file, wantLevel: "warn", wantDir: "/from/file", wantAddr: "127.0.0.1:3000",
		},
		{
			name:      "environment over config file",
			file:      file,
			env:       map[string]string{"APIKEYD_LOG_LEVEL": "error", "APIKEYD_DATA_DIR": "/from/env", "APIKEYD_LISTEN": "127.0.0.1:4000"},
			wantLevel: "error", wantDir: "/from/env", wantAddr: "127.0.0.1:4000",
		},
		{
			name:      "flags over environment",
			file:      file,
			env:       map[string]string{"APIKEYD_LOG_LEVEL": "error", "APIKEYD_DATA_DIR": "/from/env", "APIKEYD_LISTEN": "127.0.0.1:4000"},
			flags:     []string{"--log-level", "debug", "--data-dir", "/from/flag", "--listen", "127.0.0.1:5000"},
			wantLevel: "debug", wantDir: "/from/flag", wantAddr: "127.0.0.1:5000",
		},
		{
			name:      "config file named by the environment",
			env:       map[string]string{"APIKEYD_CONFIG": "FILE"},
			wantLevel: "warn", wantDir: "/from/file", wantAddr: "127.0.0.1:3000",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home := clearEnv(t)
			path := writeFile(t, "apikeyd.yaml", file)
			flags := tt.flags
			if tt.file != "" {
				flags = append([]string{"--config", path}, flags...)
			}
			for k, v := range tt.env {
				t.Setenv(k, strings.ReplaceAll(v, "FILE", path))
			}
			cfg, err := loadConfig(parseFlags(t, flags...))
			if err != nil {
				t.Fatal(err)
			}
			wantDir := tt.wantDir
			if wantDir == "" {
				wantDir = filepath.Join(home, ".local", "share", "apikeyd")
				if os.Geteuid() == 0 {
					wantDir = "/var/lib/apikeyd"
				}
			}
			if cfg.LogLevel != tt.wantLevel || cfg.DataDir != wantDir || cfg.Listen != tt.wantAddr {
				t.Errorf("got level %q dir %q listen %q, want %q %q %q", cfg.LogLevel, cfg.DataDir, cfg.Listen, tt.wantLevel, wantDir, tt.wantAddr)
			}
			if cfg.DB != filepath.Join(wantDir, "apikeys.db") {
				t.Errorf("db = %q, want it in %s", cfg.DB, wantDir)
			}
		})
	}
}

func TestConfigPaths(t *testing.T) {
	tests := []struct {
		name       string
		flags      []string
		env        map[string]string
		wantSocket string
		wantDB     string
	}{
		{
			name:       "socket in XDG_RUNTIME_DIR",
			env:        map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000", "XDG_DATA_HOME": "/data"},
			wantSocket: "/run/user/1000/apikeyd/apikeyd.sock", wantDB: "/data/apikeyd/apikeys.db",
		},
		{
			name:       "socket in the data directory",
			flags:      []string{"--data-dir", "/srv/akd"},
			wantSocket: "/srv/akd/apikeyd.sock", wantDB: "/srv/akd/apikeys.db",
		},
		{
			name:       "explicit db and socket",
			flags:      []string{"--db", "/x/keys.db", "--socket", "/x/s.sock"},
			wantSocket: "/x/s.sock", wantDB: "/x/keys.db",
		},
		{
			name:       "a PostgreSQL store",
			flags:      []string{"--store", "postgres://apikeyd@db/keys", "--socket", "/x/s.sock"},
			wantSocket: "/x/s.sock", wantDB: "postgres://apikeyd@db/keys",
		},
		{
			name:       "a PostgreSQL store from the environment",
			flags:      []string{"--socket", "/x/s.sock"},
			env:        map[string]string{"APIKEYD_STORE": "postgresql://apikeyd@db/keys"},
			wantSocket: "/x/s.sock", wantDB: "postgresql://apikeyd@db/keys",
		},
		{
			name:       "a SQLite store",
			flags:      []string{"--store", "/x/keys.db", "--socket", "/x/s.sock"},
			wantSocket: "/x/s.sock", wantDB: "/x/keys.db",
		},
		{
			name:       "empty socket flag disables the socket",
			flags:      []string{"--data-dir", "/d", "--socket", "", "--listen", "127.0.0.1:0"},
			wantSocket: "", wantDB: "/d/apikeys.db",
		},
		{
			name:       "empty socket variable disables the socket",
			flags:      []string{"--data-dir", "/d", "--listen", "[::1]:9200"},
			env:        map[string]string{"APIKEYD_SOCKET": ""},
			wantSocket: "", wantDB: "/d/apikeys.db",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			if os.Geteuid() == 0 && tt.wantSocket != "" && !strings.Contains(strings.Join(tt.flags, " "), "--socket") {
				tt.wantSocket = "/run/apikeyd/apikeyd.sock"
			}
			if os.Geteuid() == 0 && strings.HasPrefix(tt.wantDB, "/data/") {
				tt.wantDB = "/var/lib/apikeyd/apikeys.db"
			}
			cfg, err := loadConfig(parseFlags(t, tt.flags...))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Socket != tt.wantSocket || cfg.DB != tt.wantDB {
				t.Errorf("socket %q db %q, want %q %q", cfg.Socket, cfg.DB, tt.wantSocket, tt.wantDB)
			}
		})
	}
}

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		name  string
		flags []string
		env   map[string]string
		file  string
		want  string
	}{
		{name: "plain HTTP on all interfaces", flags: []string{"--listen", ":9200"}, want: "--listen :9200 is not a loopback address"},
		{name: "plain HTTP on a LAN address", flags: []string{"--listen", "192.168.1.2:9200"}, want: "is not a loopback address"},
		{name: "certificate without key", flags: []string{"--listen", "0.0.0.0:9200", "--tls-cert", "c.pem"}, want: "--tls-cert and --tls-key must be given together"},
		{name: "key without certificate", flags: []string{"--listen", "127.0.0.1:9200", "--tls-key", "k.pem"}, want: "--tls-cert and --tls-key must be given together"},
		{name: "TLS without listen", flags: []string{"--tls-cert", "c.pem", "--tls-key", "k.pem"}, want: "need --listen"},
		{name: "no listener", flags: []string{"--socket", ""}, want: "nothing to listen on"},
		{name: "store and db", flags: []string{"--store", "postgres://db/keys", "--db", "/x/keys.db"}, want: "--store and --db both name the store"},
		{name: "store and db from the environment", flags: []string{"--db", "/x/keys.db"}, env: map[string]string{"APIKEYD_STORE": "postgres://db/keys"}, want: "--store and --db both name the store"},
		{name: "bad listen", flags: []string{"--listen", "9200"}, want: "is not HOST:PORT"},
		{name: "bad log level", flags: []string{"--log-level", "loud"}, want: `--log-level "loud" is not one of`},
		{name: "bad log format", env: map[string]string{"APIKEYD_LOG_FORMAT": "xml"}, want: `--log-format "xml" is not one of`},
		{name: "unknown audit event", flags: []string{"--audit-events-include", "authentication_success,login"}, want: `unknown audit event "login"`},
		{name: "unknown audit event in the environment", env: map[string]string{"APIKEYD_AUDIT_EVENTS_EXCLUDE": "everything"}, want: `unknown audit event "everything"`},
		{name: "body limit without unit", flags: []string{"--max-content-length", "100"}, want: `--max-content-length "100"`},
		{name: "zero body limit", flags: []string{"--max-content-length", "0"}, want: "must be positive"},
		{name: "bad read timeout", env: map[string]string{"APIKEYD_READ_TIMEOUT": "soon"}, want: `--read-timeout "soon"`},
		{name: "zero idle timeout", flags: []string{"--idle-timeout", "0s"}, want: `--idle-timeout "0s": must be positive`},
		{name: "negative connection bound", flags: []string{"--max-connections-per-client", "-1"}, want: "must be 0 (no bound) or more"},
		{name: "socket path too long", flags: []string{"--socket", "/" + strings.Repeat("s", 120)}, want: "too long for a Unix socket"},
		{name: "unknown key in the config file", file: "listen: 127.0.0.1:1\nlisten_adress: x\n", want: "invalid configuration"},
		{name: "config file that does not parse", file: "listen: [\n", want: "cannot read the config file"},
		{name: "missing config file", flags: []string{"--config", "/nonexistent/apikeyd.yaml"}, want: "cannot read the config file /nonexistent/apikeyd.yaml"},
		{name: "hook URL without scheme", flags: []string{"--expiry-hook-url", "hooks.internal/expiry"}, want: `--expiry-hook-url "hooks.internal/expiry": give an http:// or https:// URL`},
		{name: "bad hook lead", flags: []string{"--expiry-hook-lead", "7d,soon"}, want: `--expiry-hook-lead "soon": give positive time values`},
		{name: "zero hook lead", env: map[string]string{"APIKEYD_EXPIRY_HOOK_LEAD": "0"}, want: `--expiry-hook-lead "0"`},
		{name: "bad hook interval", flags: []string{"--expiry-hook-interval", "0s"}, want: `--expiry-hook-interval "0s": give a positive time value`},
		{name: "bad hook timeout", flags: []string{"--expiry-hook-timeout", "30"}, want: `--expiry-hook-timeout "30"`},
		{name: "bad trusted proxy", flags: []string{"--trusted-proxy", "proxy.internal"}, want: `--trusted-proxy "proxy.internal": give a CIDR prefix`},
		{name: "trusted proxy with host bits", flags: []string{"--trusted-proxy", "10.1.2.3/8"}, want: "did you mean 10.0.0.0/8?"},
		{name: "no hook attempts", flags: []string{"--expiry-hook-attempts", "-1"}, want: "--expiry-hook-attempts -1: give at least 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			flags := tt.flags
			if tt.file != "" {
				flags = append([]string{"--config", writeFile(t, "c.yaml", tt.file)}, flags...)
			}
			_, err := loadConfig(parseFlags(t, flags...))
			if err == nil {
				t.Fatalf("want an error containing %q", tt.want)
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Errorf("error %v is not a ConfigError", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestConfigAccepts(t *testing.T) {
	tests := []struct {
		name  string
		flags []string
	}{
		{"loopback IPv4", []string{"--listen", "127.0.0.1:9200"}},
		{"loopback IPv6", []string{"--listen", "[::1]:9200"}},
		{"localhost", []string{"--listen", "localhost:9200"}},
		{"insecure listen", []string{"--listen", "0.0.0.0:9200", "--insecure-listen"}},
		{"TLS on all interfaces", []string{"--listen", ":9200", "--tls-cert", "c.pem", "--tls-key", "k.pem"}},
		{"HTTP limits", []string{"--max-content-length", "512kb", "--read-timeout", "5s", "--idle-timeout", "1m",
			"--max-connections-per-client", "0", "--allowed-hosts", "keys.internal,*.corp"}},
		{"trusted proxies", []string{"--trusted-proxy", "10.0.0.0/8", "--trusted-proxy", "192.0.2.7,fd00::/8"}},
		{"expiry hooks", []string{"--expiry-hook-command", "logger expiring", "--expiry-hook-url", "https://hooks.internal/expiry",
			"--expiry-hook-lead", "14d, 1d,14d", "--expiry-hook-interval", "5m", "--expiry-hook-timeout", "10s", "--expiry-hook-attempts", "3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			if _, err := loadConfig(parseFlags(t, tt.flags...)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestAuditEventSelection(t *testing.T) {
	tests := []struct {
		name        string
		flags       []string
		env         map[string]string
		authSuccess bool
		configWrite bool
	}{
		{"Elasticsearch's default", nil, nil, false, true},
		{"include by flag", []string{"--audit-events-include", "_all"}, nil, true, true},
		{"lists from the environment", nil, map[string]string{
			"APIKEYD_AUDIT_EVENTS_INCLUDE": "authentication_success,security_config_change",
			"APIKEYD_AUDIT_EVENTS_EXCLUDE": "security_config_change"}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			cfg, err := loadConfig(parseFlags(t, tt.flags...))
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.AuditEvents.Includes(keyservice.AuditAuthSuccess); got != tt.authSuccess {
				t.Errorf("authentication_success audited: %v, want %v", got, tt.authSuccess)
			}
			if got := cfg.AuditEvents.Includes(keyservice.AuditCreateAPIKey); got != tt.configWrite {
				t.Errorf("create_apikey audited: %v, want %v", got, tt.configWrite)
			}
		})
	}
}

func TestBootstrapPasswordFromTheEnvironment(t *testing.T) {
	clearEnv(t)
	t.Setenv("APIKEYD_BOOTSTRAP_PASSWORD", "s3cret-pass")
	cfg, err := loadConfig(parseFlags(t))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BootstrapPassword != "s3cret-pass" {
		t.Errorf("bootstrap password = %q", cfg.BootstrapPassword)
	}
}
