package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/client"
	"github.com/apikeyctl/apikeyctl/pkg/iostreams"
	"github.com/apikeyctl/apikeyctl/pkg/output"
)

func TestExitCode(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"success", nil, 0},
		{"plain error", errors.New("boom"), 1},
		{"api rejection", api.Errorf(api.ValidationFailed, "Validation Failed: 1: x;"), 1},
		{"usage", usageErrorf("bad flag"), 2},
		{"output usage", &output.UsageError{Err: errors.New("unknown field")}, 2},
		{"api not found", api.Errorf(api.NotFound, "no API key"), 3},
		{"empty answer", &NotFoundError{Msg: "no key"}, 3},
		{"authentication", api.Errorf(api.Unauthenticated, "unable to authenticate"), 4},
		{"forbidden", api.Errorf(api.Forbidden, "action [x] is unauthorized"), 5},
		{"partial", &PartialError{Msg: "2 failed"}, 6},
		{"unreachable", &client.UnreachableError{Target: "/run/x.sock", Err: os.ErrNotExist}, 7},
		{"no target", &NoTargetError{Tried: []string{"/run/x.sock (does not exist)"}}, 7},
		{"conflict: a plan that no longer holds", api.Errorf(api.Conflict, "the API keys the query matches are not those expected"), 9},
		{"interrupted", fmt.Errorf("get: %w", context.Canceled), 130},
		{"interrupted, saying what became of the work", &InterruptedError{Msg: "no key was changed"}, 130},
		{"wrapped api error", fmt.Errorf("call: %w", api.Errorf(api.Forbidden, "no")), 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExitCode(tt.err); got != tt.want {
				t.Fatalf("ExitCode(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

// run executes apikeyctl in-process with test streams.
func run(t *testing.T, tty bool, stdin string, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	if env["XDG_CONFIG_HOME"] == "" && env["APIKEYCTL_CONFIG"] == "" {
		// Keep the user's own config file out of the test.
		env = withEnv(env, "XDG_CONFIG_HOME", t.TempDir())
	}
	if _, ok := env["APIKEYD_SOCKET"]; !ok {
		// Without a target apikeyctl uses apikeyd's default socket: keep
		// a daemon running on this machine out of the test.
		env = withEnv(env, "APIKEYD_SOCKET", filepath.Join(t.TempDir(), "missing.sock"))
	}
	ios, in, out, errOut := iostreams.Test()
	in.WriteString(stdin)
	ios.SetStdoutTTY(tty)
	ios.SetGetenv(func(k string) string { return env[k] })
	f := &Factory{
		IOStreams: ios,
		Getenv:    func(k string) string { return env[k] },
		Now:       func() time.Time { return time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC) },
		Version:   BuildInfo{Version: "test"},
	}
	code = Run(context.Background(), f, args)
	return code, out.String(), errOut.String()
}

func TestTargetPrecedence(t *testing.T) {
	dir := t.TempDir()
	cfgHome := filepath.Join(dir, "config")
	if err := os.MkdirAll(filepath.Join(cfgHome, "apikeyctl"), 0o700); err != nil {
		t.Fatal(err)
	}
	cfgDB := filepath.Join(dir, "from-config.db")
	if err := os.WriteFile(filepath.Join(cfgHome, "apikeyctl", "config.yaml"), []byte("db: "+cfgDB+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	envDB, flagDB := filepath.Join(dir, "from-env.db"), filepath.Join(dir, "from-flag.db")

	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		created string
		code    int
	}{
		{"config file", map[string]string{"XDG_CONFIG_HOME": cfgHome}, nil, cfgDB, 0},
		{"environment beats config", map[string]string{"XDG_CONFIG_HOME": cfgHome, "APIKEYCTL_DB": envDB}, nil, envDB, 0},
		{"flag beats environment", map[string]string{"XDG_CONFIG_HOME": cfgHome, "APIKEYCTL_DB": envDB}, []string{"--db", flagDB}, flagDB, 0},
		{"nothing and no default socket", map[string]string{"XDG_CONFIG_HOME": filepath.Join(dir, "none")}, nil, "", 7},
		{"two targets in the environment", map[string]string{"XDG_CONFIG_HOME": cfgHome, "APIKEYCTL_DB": envDB, "APIKEYCTL_URL": "http://x"}, nil, "", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkTargetUsed(t, tt.env, tt.args, tt.code, tt.created) })
	}
}

// checkTargetUsed runs whoami with args in env, wants exit code, and, when
// db is not "", wants that database file to have been opened (created).
func checkTargetUsed(t *testing.T, env map[string]string, args []string, code int, db string) {
	t.Helper()
	args = append(append([]string{}, args...), "whoami", "--field", "username")
	got, _, stderr := run(t, false, "", env, args...)
	if got != code {
		t.Fatalf("exit %d, want %d; stderr: %s", got, code, stderr)
	}
	if db != "" {
		if _, err := os.Stat(db); err != nil {
			t.Fatalf("%s was not used: %v", db, err)
		}
	}
}

// TestPipeOutputIsTheAPIJSON pins the output contract: on a pipe every
// command prints the API's JSON, the same bytes a REST client decodes.
func TestPipeOutputIsTheAPIJSON(t *testing.T) {
	db := filepath.Join(t.TempDir(), "keys.db")
	env := map[string]string{}
	code, out, stderr := run(t, false, "", env, "--db", db, "create", "--name", "ci", "--metadata", "team=search")
	if code != 0 {
		t.Fatalf("create: exit %d: %s", code, stderr)
	}
	var created api.CreateAPIKeyResponse
	if err := json.Unmarshal([]byte(out), &created); err != nil {
		t.Fatalf("create output is not the API's JSON: %v\n%s", err, out)
	}
	want, _ := json.MarshalIndent(created, "", "  ")
	if strings.TrimSpace(out) != string(want) {
		t.Fatalf("create output:\n%s\nwant the response as the API renders it:\n%s", out, want)
	}

	code, out, _ = run(t, false, "", env, "--db", db, "get", "--id", created.ID)
	if code != 0 {
		t.Fatalf("get: exit %d", code)
	}
	var got api.GetAPIKeysResponse
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got.APIKeys) != 1 || got.APIKeys[0].Metadata.Map()["team"] != "search" {
		t.Fatalf("get output: %v\n%s", err, out)
	}

	code, out, _ = run(t, false, "", env, "--db", db, "create", "--name", "ci2", "--field", "encoded")
	if code != 0 || strings.Count(out, "\n") != 1 || strings.ContainsAny(strings.TrimSpace(out), " {\"") {
		t.Fatalf("--field encoded: exit %d, %q", code, out)
	}
}

func TestTerminalOutput(t *testing.T) {
	db := filepath.Join(t.TempDir(), "keys.db")
	env := map[string]string{"NO_COLOR": "1"}
	code, out, _ := run(t, true, "", env, "--db", db, "create", "--name", "shown-once")
	if code != 0 || !strings.Contains(out, "Authorization: ApiKey ") || bytes.ContainsRune([]byte(out), '\x1b') {
		t.Fatalf("create on a terminal: exit %d\n%s", code, out)
	}
	code, out, _ = run(t, true, "", env, "--db", db, "get")
	if code != 0 || !strings.Contains(out, "shown-once") || !strings.Contains(out, "active") {
		t.Fatalf("get on a terminal: exit %d\n%s", code, out)
	}
}

func TestUsageErrors(t *testing.T) {
	db := filepath.Join(t.TempDir(), "keys.db")
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"unknown flag", []string{"--db", db, "get", "--bogus"}, "unknown flag: --bogus"},
		{"missing name", []string{"--db", db, "create"}, "--name is required"},
		{"bad metadata", []string{"--db", db, "create", "--name", "k", "--metadata", "x"}, "expected key=value"},
		{"bad format", []string{"--db", db, "get", "-o", "xml"}, "xml"},
		{"unknown field", []string{"--db", db, "create", "--name", "k", "--field", "nope"}, "nope"},
		{"username with db", []string{"--db", db, "--username", "bob", "get"}, "--username applies to --socket and --url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := run(t, false, "", nil, tt.args...)
			if code != 2 || !strings.Contains(stderr, tt.stderr) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, stderr, tt.stderr)
			}
		})
	}
}

func TestPasswordFromStdin(t *testing.T) {
	db := filepath.Join(t.TempDir(), "keys.db")
	code, _, stderr := run(t, false, "s3cret-pw\n", nil, "--db", db, "user", "add", "bob", "--roles", "superuser", "--new-password-stdin")
	if code != 0 {
		t.Fatalf("user add: exit %d: %s", code, stderr)
	}
	code, _, stderr = run(t, false, "", nil, "--db", db, "user", "add", "carol")
	if code != 2 || !strings.Contains(stderr, "--new-password-stdin") {
		t.Fatalf("user add without a password source: exit %d: %s", code, stderr)
	}
}
