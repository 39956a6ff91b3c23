package daemon

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/apikeyctl/apikeyctl/pkg/audit"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
	"github.com/apikeyctl/apikeyctl/pkg/paths"
)

// Config is apikeyd's resolved configuration. It is loaded once, by
// loadConfig, from flags, APIKEYD_* environment variables and the optional
// YAML config file, in that order of precedence, then validated.
type Config struct {
	// ConfigFile is the YAML file the rest was read from, if any.
	ConfigFile string `mapstructure:"config"`
	// DataDir holds the database and, without XDG_RUNTIME_DIR, the socket.
	DataDir string `mapstructure:"data-dir"`
	// DB is the SQLite database file, or, once loaded, the store --store
	// names (a PostgreSQL URL or a SQLite file).
	DB string `mapstructure:"db"`
	// Store names the store: a postgres:// or postgresql:// URL of a
	// PostgreSQL database, or a SQLite database file as --db does.
	// loadConfig moves it into DB.
	Store string `mapstructure:"store"`
	// Socket is the Unix socket path; empty disables the socket.
	Socket string `mapstructure:"socket"`
	// Listen is the TCP HOST:PORT to serve on; empty disables TCP.
	Listen string `mapstructure:"listen"`
	// TLSCert and TLSKey are PEM files; both or neither.
	TLSCert string `mapstructure:"tls-cert"`
	TLSKey  string `mapstructure:"tls-key"`
	// InsecureListen allows plain HTTP on a non-loopback address.
	InsecureListen bool   `mapstructure:"insecure-listen"`
	LogLevel       string `mapstructure:"log-level"`
	LogFormat      string `mapstructure:"log-format"`
	// ReadyFile, when set, is written with the bound addresses as JSON
	// once the daemon is listening.
	ReadyFile string `mapstructure:"ready-file"`
	// BootstrapPassword is the password of the superuser elastic created
	// on first start (APIKEYD_BOOTSTRAP_PASSWORD); generated when empty.
	BootstrapPassword string `mapstructure:"bootstrap-password"`
	// AuditFile is the append-only JSON-lines audit log (default
	// <data-dir>/audit.json); NoAudit turns auditing off.
	AuditFile string `mapstructure:"audit-file"`
	NoAudit   bool   `mapstructure:"no-audit"`
	// AuditEventsInclude and AuditEventsExclude select the events the
	// audit log records, by Elasticsearch's names
	// (xpack.security.audit.logfile.events.include and .exclude);
	// validate parses them into AuditEvents.
	AuditEventsInclude []string        `mapstructure:"audit-events-include"`
	AuditEventsExclude []string        `mapstructure:"audit-events-exclude"`
	AuditEvents        audit.Selection `mapstructure:"-"`
	// AuditMaxSize (a byte size value), AuditMaxAge (a time value) and
	// AuditMaxFiles say when the audit log is rotated and which rotated
	// files are kept; validate parses them into AuditRotation.
	AuditMaxSize  string         `mapstructure:"audit-max-size"`
	AuditMaxAge   string         `mapstructure:"audit-max-age"`
	AuditMaxFiles int            `mapstructure:"audit-max-files"`
	AuditRotation audit.Rotation `mapstructure:"-"`
	// RetentionPeriod is how long expired and invalidated API keys are
	// kept before the remover deletes them, and RetentionInterval how
	// often it runs: Elasticsearch time values (7d and 24h by default,
	// like delete.retention_period and delete.interval). validate parses
	// them into Retention.
	RetentionPeriod   string    `mapstructure:"retention-period"`
	RetentionInterval string    `mapstructure:"retention-interval"`
	Retention         Retention `mapstructure:"-"`
	// ExpiryHookCommand (run with sh -c) and ExpiryHookURL (a POST of
	// JSON) notify of keys about to expire, at the ExpiryHookLead times
	// before their expiration, scanning every ExpiryHookInterval, each
	// run bounded by ExpiryHookTimeout, a failed notice tried at most
	// ExpiryHookAttempts times. validate parses them into ExpiryHooks.
	ExpiryHookCommand  string      `mapstructure:"expiry-hook-command"`
	ExpiryHookURL      string      `mapstructure:"expiry-hook-url"`
	ExpiryHookLead     []string    `mapstructure:"expiry-hook-lead"`
	ExpiryHookInterval string      `mapstructure:"expiry-hook-interval"`
	ExpiryHookTimeout  string      `mapstructure:"expiry-hook-timeout"`
	ExpiryHookAttempts int         `mapstructure:"expiry-hook-attempts"`
	ExpiryHooks        ExpiryHooks `mapstructure:"-"`
	// LastUsedInterval is how often the uses of API keys noted in memory
	// are written (a time value; 0 or off records none); validate parses
	// it into LastUsed.
	LastUsedInterval string        `mapstructure:"last-used-interval"`
	LastUsed         time.Duration `mapstructure:"-"`
	// MaxContentLength, ReadTimeout, IdleTimeout, RequestTimeout (an
	// Elasticsearch byte size and time values) and MaxConnectionsPerClient bound what one
	// client can make the daemon hold; validate parses them into HTTP.
	MaxContentLength        string     `mapstructure:"max-content-length"`
	ReadTimeout             string     `mapstructure:"read-timeout"`
	IdleTimeout             string     `mapstructure:"idle-timeout"`
	RequestTimeout          string     `mapstructure:"request-timeout"`
	MaxConnectionsPerClient int        `mapstructure:"max-connections-per-client"`
	HTTP                    HTTPLimits `mapstructure:"-"`
	// FailedAuthLimit failed authentications per FailedAuthWindow (a
	// time value) are allowed per client address and per principal;
	// validate parses them into FailureLimit.
	FailedAuthLimit  int                     `mapstructure:"failed-auth-limit"`
	FailedAuthWindow string                  `mapstructure:"failed-auth-window"`
	FailureLimit     keyservice.FailureLimit `mapstructure:"-"`
	// AllowedHosts are the Host names served on a loopback TCP listener
	// besides the loopback names and addresses ("*": any).
	AllowedHosts []string `mapstructure:"allowed-hosts"`
	// TrustedProxy names the reverse proxies (CIDR prefixes or bare
	// addresses) whose X-Forwarded-For is believed when a key bound to
	// networks is checked; validate parses them into TrustedProxies.
	TrustedProxy   []string       `mapstructure:"trusted-proxy"`
	TrustedProxies []netip.Prefix `mapstructure:"-"`
	// MetricsLoopback serves GET /_apikeyd/metrics without credentials
	// to peers of the Unix socket and loopback TCP clients.
	MetricsLoopback bool `mapstructure:"metrics-unauthenticated-loopback"`

	// socketActivated is set when systemd passed the listening sockets
	// (LISTEN_FDS), which then replace --socket and --listen.
	socketActivated bool
}

// ConfigError is a configuration that cannot be used: the daemon does not
// start and exits with the usage status.
type ConfigError struct{ msg string }

func (e *ConfigError) Error() string { return e.msg }

func configErrorf(format string, args ...any) error {
	return &ConfigError{msg: fmt.Sprintf(format, args...)}
}

// maxSocketPath is the longest Unix socket path the kernel takes
// (sun_path is 108 bytes on Linux, 104 on the BSDs, with a terminating NUL).
const maxSocketPath = 103

// envPrefix prefixes the environment variables of every setting:
// --data-dir is APIKEYD_DATA_DIR.
const envPrefix = "APIKEYD"

// addFlags defines the daemon's flags.
func addFlags(fs *pflag.FlagSet) {
	fs.String("config", "", "read settings from this YAML file (keys as the flag names)")
	fs.String("data-dir", "", "directory of the database (default $XDG_DATA_HOME/apikeyd, ~/.local/share/apikeyd, or /var/lib/apikeyd as root)")
	fs.String("db", "", "SQLite database file (default DATA_DIR/apikeys.db)")
	fs.String("store", "", "the store: a postgres:// or postgresql:// URL of a PostgreSQL database shared by any number of apikeyd replicas, or a SQLite database file like --db (default DATA_DIR/apikeys.db)")
	fs.String("socket", "", `Unix socket path (default $XDG_RUNTIME_DIR/apikeyd/apikeyd.sock, DATA_DIR/apikeyd.sock, or /run/apikeyd/apikeyd.sock as root); "" disables it`)
	fs.String("listen", "", "also serve on this TCP HOST:PORT (off by default)")
	fs.String("tls-cert", "", "TLS certificate (PEM) for --listen")
	fs.String("tls-key", "", "TLS private key (PEM) for --listen")
	fs.Bool("insecure-listen", false, "allow plain HTTP on a non-loopback --listen address")
	fs.String("log-level", "info", "log level: debug, info, warn or error")
	fs.String("log-format", "text", "log format: text or json")
	fs.String("ready-file", "", "write the bound addresses to this file as JSON once listening")
	fs.String("audit-file", "", "append the audit log (JSON lines) to this file (default DATA_DIR/audit.json)")
	fs.Bool("no-audit", false, "write no audit log")
	fs.StringSlice("audit-events-include", nil, "audit these events (Elasticsearch's names, or _all; default: all but authentication_success)")
	fs.StringSlice("audit-events-exclude", nil, "do not audit these events (Elasticsearch's names, or _all)")
	fs.String("audit-max-size", defaultAuditMaxSize, `rotate the audit log to audit-TIME.json before it grows past this size (byte size value); "0" never`)
	fs.String("audit-max-age", "0", "rotate the audit log at the first write after its first event is this old, and delete rotated files whose newest event is (time value; 0: never)")
	fs.Int("audit-max-files", defaultAuditMaxFiles, "keep this many rotated audit logs, deleting the oldest; 0 keeps them all")
	fs.String("retention-period", defaultRetentionPeriod, "keep expired and invalidated API keys this long before removing them (Elasticsearch time value)")
	fs.String("retention-interval", defaultRetentionInterval, "run the remover of expired and invalidated keys this often (Elasticsearch time value)")
	fs.String("expiry-hook-command", "", "run this shell command (sh -c) for each key about to expire, its fields in APIKEY_* variables")
	fs.String("expiry-hook-url", "", "POST the fields of each key about to expire as JSON to this URL (2xx: delivered)")
	fs.StringSlice("expiry-hook-lead", []string{"7d", "1d"}, "notify this long before a key expires (comma-separated time values)")
	fs.String("expiry-hook-interval", defaultExpiryHookInterval, "look for keys about to expire this often (time value)")
	fs.String("expiry-hook-timeout", defaultExpiryHookTimeout, "stop a hook command or request after this long (time value)")
	fs.Int("expiry-hook-attempts", defaultExpiryHookAttempts, "try a failed notification at most this many times, waiting 1m, 2m, 4m... (at most 1h) between")
	fs.String("last-used-interval", defaultLastUsedInterval, `write when each API key was last used, from where and how often, this often (time value): at most one write per key per interval, and one when the daemon stops; 0 or "off" records nothing`)
	fs.String("max-content-length", defaultMaxContentLength, "largest request body, like Elasticsearch's http.max_content_length (byte size value); larger ones are answered 413")
	fs.String("read-timeout", defaultReadTimeout, "cut off a client that takes longer to send one request, headers and body (time value)")
	fs.String("request-timeout", defaultRequestTimeout, "cancel a request still working after this long, rolling back what it had not committed (time value)")
	fs.String("idle-timeout", defaultIdleTimeout, "close a keep-alive connection idle this long (time value)")
	fs.Int("max-connections-per-client", defaultMaxConnectionsPerClient, "open TCP connections one client address may hold; 0 for no bound")
	fs.Int("failed-auth-limit", defaultFailedAuthLimit, "failed authentications allowed per client address and per user or API key in --failed-auth-window before 429; 0 for no limit")
	fs.String("failed-auth-window", defaultFailedAuthWindow, "the window of --failed-auth-limit (time value)")
	fs.Bool("metrics-unauthenticated-loopback", false, "serve GET /_apikeyd/metrics without credentials to the Unix socket and loopback TCP clients (a local Prometheus); others still need the monitor privilege")
	fs.StringSlice("allowed-hosts", nil, `Host names served on a loopback --listen besides localhost and loopback addresses (behind a proxy; "*.example.com" for a domain, "*" for any)`)
	fs.StringSlice("trusted-proxy", nil, "a reverse proxy (CIDR or address; repeatable) whose X-Forwarded-For gives the client address that keys bound to networks are checked against (default: none, the TCP peer is the client)")
}

// flagKeys are the settings that have a flag.
var flagKeys = []string{"config", "data-dir", "db", "store", "socket", "listen", "tls-cert", "tls-key",
	"insecure-listen", "log-level", "log-format", "ready-file",
	"audit-file", "no-audit", "audit-events-include", "audit-events-exclude", "audit-max-size", "audit-max-age", "audit-max-files", "retention-period", "retention-interval",
	"expiry-hook-command", "expiry-hook-url", "expiry-hook-lead", "expiry-hook-interval", "expiry-hook-timeout", "expiry-hook-attempts",
	"max-content-length", "read-timeout", "idle-timeout", "request-timeout", "max-connections-per-client", "allowed-hosts",
	"trusted-proxy", "failed-auth-limit", "failed-auth-window", "last-used-interval", "metrics-unauthenticated-loopback"}

// loadConfig resolves and validates the configuration. It is the only
// function that touches viper.
func loadConfig(fs *pflag.FlagSet) (*Config, error) {
	v := viper.New()
	v.SetEnvPrefix(envPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	v.AllowEmptyEnv(true)
	v.AutomaticEnv()
	for _, k := range flagKeys {
		if err := v.BindPFlag(k, fs.Lookup(k)); err != nil {
			return nil, fmt.Errorf("bind flag --%s: %w", k, err)
		}
	}
	if err := v.BindEnv("bootstrap-password"); err != nil {
		return nil, fmt.Errorf("bind environment: %w", err)
	}
	if path := v.GetString("config"); path != "" {
		v.SetConfigFile(path)
		v.SetConfigType("yaml")
		if err := v.ReadInConfig(); err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				return nil, configErrorf("cannot read the config file %s: %v", path, pe.Err)
			}
			return nil, configErrorf("cannot read the config file %s: %v", path, err)
		}
	}
	cfg := &Config{}
	if err := v.UnmarshalExact(cfg); err != nil {
		return nil, configErrorf("invalid configuration: %v", err)
	}
	if cfg.Store != "" {
		if cfg.DB != "" {
			return nil, configErrorf("--store and --db both name the store: give one")
		}
		cfg.DB, cfg.Store = cfg.Store, ""
	}
	cfg.applyDefaults(os.Getenv, os.Geteuid(), !v.IsSet("socket"))
	cfg.socketActivated = os.Getenv("LISTEN_FDS") != "" && os.Getenv("LISTEN_PID") == strconv.Itoa(os.Getpid())
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// applyDefaults fills the settings that were not given or given empty
// (only an empty socket means something: no socket).
func (c *Config) applyDefaults(getenv func(string) string, euid int, socketUnset bool) {
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	if c.LogFormat == "" {
		c.LogFormat = "text"
	}
	if c.DataDir == "" {
		c.DataDir = paths.DataDir(getenv, euid)
	}
	if c.DB == "" {
		c.DB = filepath.Join(c.DataDir, paths.DatabaseName)
	}
	if c.AuditFile == "" {
		c.AuditFile = filepath.Join(c.DataDir, auditFileName)
	}
	for _, d := range []struct {
		setting *string
		value   string
	}{
		{&c.RetentionPeriod, defaultRetentionPeriod},
		{&c.RetentionInterval, defaultRetentionInterval},
		{&c.MaxContentLength, defaultMaxContentLength},
		{&c.ReadTimeout, defaultReadTimeout},
		{&c.IdleTimeout, defaultIdleTimeout},
		{&c.RequestTimeout, defaultRequestTimeout},
		{&c.FailedAuthWindow, defaultFailedAuthWindow},
		{&c.ExpiryHookInterval, defaultExpiryHookInterval},
		{&c.ExpiryHookTimeout, defaultExpiryHookTimeout},
		{&c.LastUsedInterval, defaultLastUsedInterval},
	} {
		if *d.setting == "" {
			*d.setting = d.value
		}
	}
	if len(c.ExpiryHookLead) == 0 {
		c.ExpiryHookLead = strings.Split(defaultExpiryHookLead, ",")
	}
	if c.ExpiryHookAttempts == 0 {
		c.ExpiryHookAttempts = defaultExpiryHookAttempts
	}
	if socketUnset {
		c.Socket = paths.Socket(getenv, euid, c.DataDir)
	}
}

// validate checks the settings against each other.
func (c *Config) validate() error {
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return configErrorf("--log-level %q is not one of debug, info, warn, error", c.LogLevel)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return configErrorf("--log-format %q is not one of text, json", c.LogFormat)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return configErrorf("--tls-cert and --tls-key must be given together")
	}
	if err := c.parseRetention(); err != nil {
		return err
	}
	if err := c.parseLimits(); err != nil {
		return err
	}
	if err := c.parseExpiryHooks(); err != nil {
		return err
	}
	if err := c.parseLastUsed(); err != nil {
		return err
	}
	if err := c.parseTrustedProxies(); err != nil {
		return err
	}
	events, err := audit.ParseSelection(nonEmpty(c.AuditEventsInclude), nonEmpty(c.AuditEventsExclude))
	if err != nil {
		return configErrorf("--audit-events-include, --audit-events-exclude: %v", err)
	}
	c.AuditEvents = events
	if err := c.parseAuditRotation(); err != nil {
		return err
	}
	if c.Socket == "" && c.Listen == "" && !c.socketActivated {
		return configErrorf("nothing to listen on: the socket is disabled and --listen is not set")
	}
	if c.Socket != "" && len(c.Socket) > maxSocketPath {
		return configErrorf("--socket %s is too long for a Unix socket (%d bytes, at most %d): choose a shorter path", c.Socket, len(c.Socket), maxSocketPath)
	}
	if c.Listen == "" {
		if c.TLSCert != "" && !c.socketActivated {
			return configErrorf("--tls-cert and --tls-key need --listen: the Unix socket does not use TLS")
		}
		return nil
	}
	host, _, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return configErrorf("--listen %q is not HOST:PORT: %v", c.Listen, err)
	}
	if c.TLSCert == "" && !c.InsecureListen && !isLoopback(host) {
		return configErrorf("--listen %s is not a loopback address: plain HTTP there would expose credentials to the network. Give --tls-cert and --tls-key, or --insecure-listen to serve plain HTTP anyway", c.Listen)
	}
	return nil
}

// TLS reports whether the TCP listener uses TLS.
func (c *Config) TLS() bool { return c.TLSCert != "" }

// isLoopback reports whether host names only the local machine.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// logLevel is the slog level of cfg.LogLevel.
func (c *Config) logLevel() slog.Level {
	switch c.LogLevel {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// nonEmpty is list, or nil when it has no element: an unset list setting.
func nonEmpty(list []string) []string {
	if len(list) == 0 {
		return nil
	}
	return list
}

// parseTrustedProxies reads --trusted-proxy: CIDR prefixes without host
// bits, or bare addresses (a /32 or /128).
func (c *Config) parseTrustedProxies() error {
	c.TrustedProxies = nil
	for _, e := range nonEmpty(c.TrustedProxy) {
		e = strings.TrimSpace(e)
		var p netip.Prefix
		if a, err := netip.ParseAddr(e); err == nil && a.Zone() == "" {
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		} else if p, err = netip.ParsePrefix(e); err != nil {
			return configErrorf("--trusted-proxy %q: give a CIDR prefix (10.0.0.0/8, fd00::/8) or an IP address", e)
		} else if p.Masked() != p {
			return configErrorf("--trusted-proxy %q has host bits set: did you mean %s?", e, p.Masked())
		}
		c.TrustedProxies = append(c.TrustedProxies, p)
	}
	return nil
}
