package cli

import (
	"context"
	"encoding/base64"
	"encoding/pem"
	"io"
	"io/fs"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/spf13/pflag"
)

// fakeES is an Elasticsearch stand-in that answers _authenticate and
// records the Authorization header of each call.
type fakeES struct {
	*httptest.Server
	mu    sync.Mutex
	auths []string
}

func newFakeES(t *testing.T, tls bool) *fakeES {
	t.Helper()
	es := &fakeES{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		es.mu.Lock()
		es.auths = append(es.auths, r.Header.Get("Authorization"))
		es.mu.Unlock()
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path != "/_security/_authenticate" {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"error":{"root_cause":[],"type":"resource_not_found_exception","reason":"no"},"status":404}`))
			return
		}
		_, _ = w.Write([]byte(`{"username":"fake","roles":[],"full_name":null,"email":null,"metadata":{},"enabled":true,` +
			`"authentication_realm":{"name":"native1","type":"native"},"lookup_realm":{"name":"native1","type":"native"},"authentication_type":"realm"}`))
	})
	es.Server = httptest.NewUnstartedServer(h)
	// Refused handshakes are what some tests are about: not log noise.
	es.Config.ErrorLog = log.New(io.Discard, "", 0)
	if tls {
		es.StartTLS()
	} else {
		es.Start()
	}
	t.Cleanup(es.Close)
	return es
}

func (es *fakeES) lastAuth() string {
	es.mu.Lock()
	defer es.mu.Unlock()
	if len(es.auths) == 0 {
		return ""
	}
	return es.auths[len(es.auths)-1]
}

func basic(user, pw string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pw))
}

// writeConfig writes a config file under dir and returns the environment
// that points apikeyctl at it.
func writeConfig(t *testing.T, dir, yaml string) map[string]string {
	t.Helper()
	path := filepath.Join(dir, "apikeyctl", "config.yaml")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return map[string]string{"XDG_CONFIG_HOME": dir}
}

func withEnv(base map[string]string, kv ...string) map[string]string {
	m := map[string]string{}
	for k, v := range base {
		m[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// TestContextPrecedence pins flag > environment > context > top-level
// keys > default socket, and that a context's settings travel only with
// its own target.
func TestContextPrecedence(t *testing.T) {
	dir := t.TempDir()
	db := func(name string) string { return filepath.Join(dir, name+".db") }
	env := writeConfig(t, filepath.Join(dir, "cfg"), `
current-context: cur
db: `+db("toplevel")+`
contexts:
  cur:
    db: `+db("current")+`
  other:
    db: `+db("other")+`
  broken:
    db: `+db("broken")+`
`)
	legacy := writeConfig(t, filepath.Join(dir, "legacy"), "db: "+db("legacy")+"\n")

	tests := []struct {
		name string
		env  map[string]string
		args []string
		used string
		code int
	}{
		{"current context", env, nil, db("current"), 0},
		{"APIKEYCTL_CONTEXT beats current-context", withEnv(env, "APIKEYCTL_CONTEXT", "other"), nil, db("other"), 0},
		{"--context beats APIKEYCTL_CONTEXT", withEnv(env, "APIKEYCTL_CONTEXT", "other"), []string{"--context", "broken"}, db("broken"), 0},
		{"environment beats the context", withEnv(env, "APIKEYCTL_DB", db("env")), nil, db("env"), 0},
		{"flag beats the environment", withEnv(env, "APIKEYCTL_DB", db("env")), []string{"--db", db("flag")}, db("flag"), 0},
		{"--store names a file as --db does", env, []string{"--store", db("store")}, db("store"), 0},
		{"APIKEYCTL_STORE beats the context", withEnv(env, "APIKEYCTL_STORE", db("envstore")), nil, db("envstore"), 0},
		{"--store and --db", env, []string{"--store", db("a"), "--db", db("b")}, "", 2},
		{"APIKEYCTL_STORE and APIKEYCTL_DB", withEnv(withEnv(env, "APIKEYCTL_STORE", db("a")), "APIKEYCTL_DB", db("b")), nil, "", 2},
		{"top-level keys without a context", legacy, nil, db("legacy"), 0},
		{"APIKEYCTL_CONFIG names the file", map[string]string{"APIKEYCTL_CONFIG": filepath.Join(dir, "legacy", "apikeyctl", "config.yaml")}, nil, db("legacy"), 0},
		{"unknown context", withEnv(env, "APIKEYCTL_CONTEXT", "nope"), nil, "", 2},
		{"nothing at all: no target", map[string]string{"XDG_CONFIG_HOME": filepath.Join(dir, "none")}, nil, "", 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkTargetUsed(t, tt.env, tt.args, tt.code, tt.used)
			if tt.used != "" {
				if err := os.Remove(tt.used); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// TestContextCredentials checks where a secret comes from, and that a
// context's credentials never go to a target named elsewhere.
func TestContextCredentials(t *testing.T) {
	es := newFakeES(t, false)
	dir := t.TempDir()
	env := writeConfig(t, dir, `
current-context: pw-cmd
contexts:
  pw-cmd:
    url: `+es.URL+`
    username: admin
    password-command: printf '%s\n' from-command
  pw-env:
    url: `+es.URL+`
    username: admin
    password-env: ADMIN_PW
  key-env:
    url: `+es.URL+`
    api-key-env: CI_KEY
  key-cmd:
    url: `+es.URL+`
    api-key-command: echo key-from-command
  failing:
    url: `+es.URL+`
    api-key-command: echo oops >&2; exit 3
  silent:
    url: `+es.URL+`
    api-key-command: "true"
  prompt:
    url: `+es.URL+`
    username: admin
`)
	tests := []struct {
		name   string
		env    map[string]string
		args   []string
		stdin  string
		tty    bool
		auth   string
		code   int
		stderr string
	}{
		{name: "password-command", env: env, auth: basic("admin", "from-command")},
		{name: "password-env", env: withEnv(env, "ADMIN_PW", "from-env"), args: []string{"--context", "pw-env"}, auth: basic("admin", "from-env")},
		{name: "empty password-env", env: env, args: []string{"--context", "pw-env"}, code: 4, stderr: "$ADMIN_PW (password-env of the context pw-env) is empty"},
		{name: "APIKEYCTL_PASSWORD beats the context", env: withEnv(env, "APIKEYCTL_PASSWORD", "from-apikeyctl-env"), auth: basic("admin", "from-apikeyctl-env")},
		{name: "--password-stdin beats everything", env: withEnv(env, "APIKEYCTL_PASSWORD", "x"), args: []string{"--username", "admin", "--password-stdin"}, stdin: "from-stdin\n", auth: basic("admin", "from-stdin")},
		{name: "another user does not get the context's password", env: env, args: []string{"--username", "bob"}, code: 4, stderr: "a password is needed"},
		{name: "api-key-env", env: withEnv(env, "CI_KEY", "a2V5"), args: []string{"--context", "key-env"}, auth: "ApiKey a2V5"},
		{name: "api-key-command", env: env, args: []string{"--context", "key-cmd"}, auth: "ApiKey key-from-command"},
		{name: "APIKEYCTL_API_KEY beats the context", env: withEnv(env, "APIKEYCTL_API_KEY", "ZW52"), args: []string{"--context", "key-cmd"}, auth: "ApiKey ZW52"},
		{name: "APIKEYCTL_API_KEY beats the context's user", env: withEnv(env, "APIKEYCTL_API_KEY", "ZW52"), auth: "ApiKey ZW52"},
		{name: "--api-key-stdin beats the context's user", env: env, args: []string{"--api-key-stdin"}, stdin: "c3RkaW4=\n", auth: "ApiKey c3RkaW4="},
		{name: "a username by flag beats APIKEYCTL_API_KEY", env: withEnv(env, "APIKEYCTL_API_KEY", "ZW52", "APIKEYCTL_PASSWORD", "pw"), args: []string{"--username", "carol"}, auth: basic("carol", "pw")},
		{name: "--api-key-stdin", env: env, args: []string{"--context", "key-cmd", "--api-key-stdin"}, stdin: "c3RkaW4=\n", auth: "ApiKey c3RkaW4="},
		{name: "failing command", env: env, args: []string{"--context", "failing"}, code: 4, stderr: "the api-key-command of the context failing failed: exit status 3"},
		{name: "command printing nothing", env: env, args: []string{"--context", "silent"}, code: 4, stderr: "printed no secret"},
		{name: "prompt on a terminal", env: env, args: []string{"--context", "prompt"}, tty: true, stdin: "typed\n", auth: basic("admin", "typed")},
		{name: "--api-key-stdin on a terminal prompts", env: env, args: []string{"--context", "key-cmd", "--api-key-stdin"}, tty: true, stdin: "dHR5\n", auth: "ApiKey dHR5", stderr: "API key: "},
		{name: "no terminal, no password", env: env, args: []string{"--context", "prompt"}, code: 4, stderr: "a password is needed"},
		{name: "a flag target gets no context credentials", env: withEnv(env, "CI_KEY", "a2V5"), args: []string{"--url", es.URL}, auth: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios := testStreams(tt.stdin, tt.tty, tt.env)
			code := Run(context.Background(), testFactory(ios.ios, tt.env), append(append([]string{}, tt.args...), "whoami", "--field", "username"))
			stderr := ios.stderr.String()
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.code, stderr)
			}
			if tt.stderr != "" && !strings.Contains(stderr, tt.stderr) {
				t.Fatalf("stderr %q does not say %q", stderr, tt.stderr)
			}
			if tt.code == 0 && es.lastAuth() != tt.auth {
				t.Fatalf("Authorization %q, want %q", es.lastAuth(), tt.auth)
			}
			for _, secret := range []string{"from-command", "from-env", "key-from-command", "typed"} {
				if strings.Contains(stderr, secret) || strings.Contains(ios.stdout.String(), secret) {
					t.Fatalf("the secret %q was printed: %s", secret, stderr)
				}
			}
		})
	}
}

// TestConfigCommands drives set-context, use-context, get-contexts,
// current-context, view and delete-context, and checks the file's mode.
func TestConfigCommands(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"XDG_CONFIG_HOME": dir}
	path := filepath.Join(dir, "apikeyctl", "config.yaml")
	mustRun := func(args ...string) string {
		t.Helper()
		code, out, stderr := run(t, false, "", env, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		return out
	}
	mustRun("config", "set-context", "local", "--db", filepath.Join(dir, "k.db"))
	mustRun("config", "set-context", "prod", "--url", "https://es.example.invalid:9200", "--username", "admin", "--password-command", "pass show es")
	for p, want := range map[string]fs.FileMode{path: 0o600, filepath.Dir(path): 0o700} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s has mode %v, want %v", p, fi.Mode().Perm(), want)
		}
	}
	if code, _, _ := run(t, false, "", env, "config", "current-context"); code != 3 {
		t.Errorf("current-context with none set: exit %d, want 3", code)
	}
	mustRun("config", "use-context", "prod")
	if got := mustRun("config", "current-context"); got != "prod\n" {
		t.Errorf("current-context = %q", got)
	}
	if got := mustRun("config", "get-contexts", "--field", "name"); got != "local\nprod\n" {
		t.Errorf("get-contexts --field name = %q", got)
	}
	// Changing one setting keeps the others; a new credential source
	// replaces the old one.
	mustRun("config", "set-context", "prod", "--api-key-env", "PROD_KEY", "--username", "")
	view := mustRun("config", "view")
	for _, want := range []string{"current-context: prod", "url: https://es.example.invalid:9200", "api-key-env: PROD_KEY"} {
		if !strings.Contains(view, want) {
			t.Errorf("view lacks %q:\n%s", want, view)
		}
	}
	if strings.Contains(view, "pass show") || strings.Contains(view, "username") {
		t.Errorf("the old credential source survived:\n%s", view)
	}
	// A store context holds a PostgreSQL URL, and is a local target as
	// --store is.
	pg := "postgres://apikeyd@db.example.invalid/apikeyd?sslmode=verify-full"
	mustRun("config", "set-context", "pg", "--store", pg)
	if got := mustRun("config", "get-contexts", "-o", "json", "--jq", `.[] | select(.name == "pg") | .store`); got != pg+"\n" {
		t.Errorf("the pg context's store = %q", got)
	}
	flags := pflag.NewFlagSet("test", pflag.ContinueOnError)
	NewRootCmd(testFactory(testStreams("", false, nil).ios, nil)).PersistentFlags().VisitAll(func(f *pflag.Flag) { flags.AddFlag(f) })
	if err := flags.Parse([]string{"--context", "pg"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(flags, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DB != pg || cfg.Context != "pg" {
		t.Errorf("the pg context resolved to DB %q, context %q", cfg.DB, cfg.Context)
	}
	mustRun("config", "delete-context", "prod")
	if got := mustRun("config", "view", "-o", "json", "--jq", ".\"current-context\" // \"none\""); got != "none\n" {
		t.Errorf("deleting the current context left current-context %q", got)
	}

	refused := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"password in the URL", []string{"set-context", "x", "--url", "https://admin:secret@es.example.invalid"}, "holds a password"},
		{"two targets", []string{"set-context", "x", "--url", "https://es.example.invalid", "--db", "k.db"}, "one target"},
		{"no target", []string{"set-context", "x", "--username", "bob"}, "no target"},
		{"password source without a user", []string{"set-context", "x", "--url", "https://es.example.invalid", "--password-env", "PW"}, "needs --username"},
		{"api key with a user", []string{"set-context", "x", "--url", "https://es.example.invalid", "--username", "u", "--api-key-env", "K"}, "drop --username"},
		{"password in the store URL", []string{"set-context", "x", "--store", "postgres://apikeyd:secret@db.example.invalid/apikeyd"}, "PGPASSWORD"},
		{"password parameter in the store URL", []string{"set-context", "x", "--store", "postgres://db.example.invalid/apikeyd?password=secret"}, "PGPASSWORD"},
		{"a file as the store", []string{"set-context", "x", "--store", "k.db"}, "a database file is --db"},
		{"credentials for a store", []string{"set-context", "x", "--store", "postgres://db.example.invalid/a", "--username", "u"}, "takes no credentials"},
		{"two targets with a store", []string{"set-context", "x", "--store", "postgres://db.example.invalid/a", "--db", "k.db"}, "one target"},
		{"credentials for a db", []string{"set-context", "x", "--db", "k.db", "--api-key-env", "K"}, "takes no credentials"},
		{"upper-case name", []string{"set-context", "Prod", "--db", "k.db"}, "invalid context name"},
		{"bad variable name", []string{"set-context", "x", "--url", "https://es.example.invalid", "--api-key-env", "$KEY"}, "not an environment variable name"},
		{"use an unknown context", []string{"use-context", "nope"}, "no context named"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := run(t, false, "", env, append([]string{"config"}, tt.args...)...)
			if code == 0 || !strings.Contains(stderr, tt.stderr) {
				t.Fatalf("exit %d, stderr %q; want a failure saying %q", code, stderr, tt.stderr)
			}
			if strings.Contains(stderr, ":secret") || strings.Contains(stderr, "=secret") {
				t.Fatalf("the password was echoed: %s", stderr)
			}
		})
	}
}

// TestSecretFlagsRefused: no secret is accepted as a flag value.
func TestSecretFlagsRefused(t *testing.T) {
	db := filepath.Join(t.TempDir(), "keys.db")
	credential := base64.StdEncoding.EncodeToString([]byte("VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw"))
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"--password", []string{"--url", "http://127.0.0.1:1", "--username", "u", "--password", "hunter2", "whoami"}, "--password is refused"},
		{"--api-key", []string{"--url", "http://127.0.0.1:1", "--api-key", credential, "whoami"}, "--api-key is refused"},
		{"user:password", []string{"--url", "http://127.0.0.1:1", "--username", "u:hunter2", "whoami"}, "must not hold a password"},
		{"password in --url", []string{"--url", "http://u:hunter2@127.0.0.1:1", "whoami"}, "holds a password"},
		{"credential as a value", []string{"--db", db, "create", "--name", credential}, "is an API key credential"},
		{"credential in metadata", []string{"--db", db, "create", "--name", "k", "--metadata", "token=" + credential}, "is an API key credential"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := run(t, false, "", nil, tt.args...)
			if code != 2 || !strings.Contains(stderr, tt.stderr) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, stderr, tt.stderr)
			}
			if strings.Contains(stderr, "hunter2") || strings.Contains(stderr, credential) {
				t.Fatalf("the secret was echoed: %s", stderr)
			}
		})
	}
}

// TestTLS: system roots by default, --ca-cert, and --insecure with a loud
// warning.
func TestTLS(t *testing.T) {
	es := newFakeES(t, true)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: es.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"APIKEYCTL_API_KEY": "a2V5", "XDG_CONFIG_HOME": t.TempDir()}
	tests := []struct {
		name   string
		args   []string
		env    map[string]string
		code   int
		stderr string
	}{
		{"unknown CA", []string{"--url", es.URL}, env, 7, "--ca-cert FILE"},
		{"--ca-cert", []string{"--url", es.URL, "--ca-cert", ca}, env, 0, ""},
		{"APIKEYCTL_CA_CERT", []string{"--url", es.URL}, withEnv(env, "APIKEYCTL_CA_CERT", ca), 0, ""},
		{"--insecure", []string{"--url", es.URL, "--insecure"}, env, 0, "WARNING: TLS certificate verification is OFF (--insecure)"},
		{"APIKEYCTL_INSECURE", []string{"--url", es.URL}, withEnv(env, "APIKEYCTL_INSECURE", "true"), 0, "OFF (APIKEYCTL_INSECURE)"},
		{"bad APIKEYCTL_INSECURE", []string{"--url", es.URL}, withEnv(env, "APIKEYCTL_INSECURE", "maybe"), 2, "not true or false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := run(t, false, "", tt.env, append(tt.args, "whoami", "--field", "username")...)
			if code != tt.code || !strings.Contains(stderr, tt.stderr) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr, tt.code, tt.stderr)
			}
			if tt.stderr == "" && stderr != "" {
				t.Fatalf("unexpected stderr %q", stderr)
			}
		})
	}
}

func TestInterruptedExits130(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ios := testStreams("", false, nil)
	db := filepath.Join(t.TempDir(), "keys.db")
	code := Run(ctx, testFactory(ios.ios, nil), []string{"--db", db, "get"})
	if code != ExitInterrupted {
		t.Fatalf("exit %d, want %d; stderr %s", code, ExitInterrupted, ios.stderr)
	}
	if got := ios.stderr.String(); !strings.Contains(got, "error: interrupted") {
		t.Fatalf("stderr %q", got)
	}
}
