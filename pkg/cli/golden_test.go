package cli

import (
	"context"
	"encoding/base64"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
	"github.com/apikeyctl/apikeyctl/pkg/store/sqlite"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/cli")

// cliGoldenDir is testdata/cli at the root of the repository.
var cliGoldenDir = filepath.Join("..", "..", "testdata", "cli")

// goldenWorld is a database seeded with keys made at known times, a
// service acting as the OS user "operator", and a clock the test moves.
type goldenWorld struct {
	t   *testing.T
	now time.Time
	svc api.Service
	env map[string]string
}

func newGoldenWorld(t *testing.T) *goldenWorld {
	t.Helper()
	dir := t.TempDir()
	db, err := sqlite.Open(context.Background(), filepath.Join(dir, "keys.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	w := &goldenWorld{t: t, now: testClock.Add(-40 * 24 * time.Hour)}
	w.svc, err = keyservice.New(db, keyservice.Options{Now: func() time.Time { return w.now }, Caller: auth.OSSubject("operator")})
	if err != nil {
		t.Fatal(err)
	}
	w.env = writeConfig(t, filepath.Join(dir, "config"), `
current-context: local
contexts:
  local:
    socket: /run/apikeyd/apikeyd.sock
  prod:
    url: https://es.example.invalid:9200
    ca-cert: /etc/apikeyctl/prod-ca.pem
    username: key-admin
    password-command: pass show es/prod/key-admin
  ci:
    url: https://es.example.invalid:9200
    api-key-env: CI_ES_API_KEY
`)
	seed := []struct {
		ago  time.Duration
		args []string
	}{
		{40 * 24 * time.Hour, []string{"create", "--name", "ci-deploy", "--expiration", "90d", "--metadata", "team=search", "--metadata", "env=prod"}},
		{30 * 24 * time.Hour, []string{"create", "--name", "nightly-backup", "--expiration", "33d"}},
		{20 * 24 * time.Hour, []string{"create", "--name", "old-ingest", "--expiration", "10d"}},
		{10 * 24 * time.Hour, []string{"create", "--name", "reader", "--role-descriptors", "-"}},
		{5 * 24 * time.Hour, []string{"create", "--name", "tmp-debug"}},
	}
	roles := `{"logs-reader":{"cluster":["monitor"],"indices":[{"names":["logs-*"],"privileges":["read"]}]}}`
	for _, s := range seed {
		w.now = testClock.Add(-s.ago)
		stdin := ""
		if s.args[len(s.args)-1] == "-" {
			stdin = roles
		}
		if code, _, stderr := w.run(false, stdin, s.args...); code != 0 {
			t.Fatalf("seed %v: exit %d: %s", s.args, code, stderr)
		}
	}
	w.now = testClock
	return w
}

// run runs apikeyctl against the world's service.
func (w *goldenWorld) run(tty bool, stdin string, args ...string) (int, string, string) {
	tio := testStreams(stdin, tty, w.env)
	f := testFactory(tio.ios, w.env)
	f.Now = func() time.Time { return w.now }
	f.svc = w.svc
	code := Run(context.Background(), f, args)
	return code, tio.stdout.String(), tio.stderr.String()
}

// id returns the id of the key named name.
func (w *goldenWorld) id(name string) string {
	w.t.Helper()
	resp, err := w.svc.GetAPIKeys(context.Background(), &api.GetAPIKeysRequest{Name: name})
	if err != nil || len(resp.APIKeys) != 1 {
		w.t.Fatalf("key %s: %v %v", name, err, resp)
	}
	return resp.APIKeys[0].ID
}

var encodedRE = regexp.MustCompile(`[A-Za-z0-9+/]{58}==`)

// normalize replaces what differs from run to run with placeholders of
// the same length, so that tables keep their layout: key ids by key name,
// secrets and encoded credentials.
func (w *goldenWorld) normalize(s string) string {
	resp, err := w.svc.GetAPIKeys(context.Background(), &api.GetAPIKeysRequest{})
	if err != nil {
		w.t.Fatal(err)
	}
	sort.Slice(resp.APIKeys, func(i, j int) bool { return resp.APIKeys[i].Name < resp.APIKeys[j].Name })
	var secrets []string
	s = encodedRE.ReplaceAllStringFunc(s, func(enc string) string {
		b, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			return enc
		}
		_, secret, ok := strings.Cut(string(b), ":")
		if !ok {
			return enc
		}
		secrets = append(secrets, secret)
		return pad("ENCODED", len(enc))
	})
	for _, secret := range secrets {
		s = strings.ReplaceAll(s, secret, pad("SECRET", len(secret)))
	}
	for i, k := range resp.APIKeys {
		s = strings.ReplaceAll(s, k.ID, pad(fmt.Sprintf("ID-%s-%d", k.Name, i), len(k.ID)))
	}
	return s
}

// pad fits s to n characters with dots.
func pad(s string, n int) string {
	if len(s) >= n {
		return s[:n]
	}
	return s + strings.Repeat(".", n-len(s))
}

func assertCLIGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join(cliGoldenDir, name+".golden")
	if *update {
		if err := os.MkdirAll(cliGoldenDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file: %v (run go test ./pkg/cli/ -run TestCommandGolden -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run with -update to accept it)\n--- got:\n%s\n--- want:\n%s", path, got, want)
	}
}

// TestCommandGolden pins what each command prints on a terminal (with
// colour) and on a pipe: stdout, then stderr after a "--- stderr" line,
// then the exit code. Each mode runs the same sequence on a fresh world,
// so commands that change keys see the same state in both.
func TestCommandGolden(t *testing.T) {
	steps := []struct {
		name  string
		stdin string
		args  func(w *goldenWorld) []string
	}{
		{"create", "", func(*goldenWorld) []string {
			return []string{"create", "--name", "golden-create", "--expiration", "30d", "--metadata", "team=search"}
		}},
		{"get", "", func(*goldenWorld) []string { return []string{"get"} }},
		{"get-name", "", func(*goldenWorld) []string { return []string{"get", "--name", "ci-*"} }},
		{"get-wide", "", func(*goldenWorld) []string { return []string{"get", "-o", "wide", "--name", "reader"} }},
		{"get-id", "", func(w *goldenWorld) []string { return []string{"get", "--id", w.id("ci-deploy")} }},
		{"get-unknown-id", "", func(*goldenWorld) []string { return []string{"get", "--id", "unknown-id-000000000"} }},
		{"inspect", "", func(w *goldenWorld) []string { return []string{"inspect", w.id("reader"), w.id("old-ingest")} }},
		{"invalidate", "", func(w *goldenWorld) []string { return []string{"invalidate", w.id("tmp-debug")} }},
		{"invalidate-again", "", func(w *goldenWorld) []string { return []string{"invalidate", w.id("tmp-debug")} }},
		{"get-after-invalidate", "", func(*goldenWorld) []string { return []string{"get", "--name", "tmp-*"} }},
		{"whoami", "", func(*goldenWorld) []string { return []string{"whoami"} }},
		{"update", "", func(w *goldenWorld) []string {
			return []string{"update", w.id("ci-deploy"), "--metadata", "team=infra", "--expiration", "30d"}
		}},
		{"update-noop", "", func(w *goldenWorld) []string {
			return []string{"update", w.id("nightly-backup")}
		}},
		{"bulk-update", "", func(w *goldenWorld) []string {
			return []string{"bulk-update", w.id("ci-deploy"), w.id("reader"), "not-a-key-00000000000", "--metadata", "rotated=yes"}
		}},
		{"cross-cluster-create", "", func(*goldenWorld) []string {
			return []string{"cross-cluster", "create", "--name", "eu-west", "--search", "logs-*,metrics-*", "--replication", "archive-*"}
		}},
		{"query-expiring", "", func(*goldenWorld) []string { return []string{"query", "--expires-within", "30d", "--sort", "name"} }},
		{"has-privileges", "", func(*goldenWorld) []string {
			return []string{"has-privileges", "--cluster", "manage_security", "--index", "logs-*=read,write"}
		}},
		{"user-add", "s3cret-pw\n", func(*goldenWorld) []string {
			return []string{"user", "add", "bob", "--roles", "viewer", "--full-name", "Bob", "--new-password-stdin"}
		}},
		{"user-get", "", func(*goldenWorld) []string { return []string{"user", "get"} }},
		{"role-put", "", func(*goldenWorld) []string {
			return []string{"role", "put", "key-reader", "--cluster", "read_security"}
		}},
		{"role-get", "", func(*goldenWorld) []string { return []string{"role", "get", "key-reader"} }},
		{"role-delete", "", func(*goldenWorld) []string { return []string{"role", "delete", "key-reader"} }},
		{"user-delete", "", func(*goldenWorld) []string { return []string{"user", "delete", "bob"} }},
		{"config-get-contexts", "", func(*goldenWorld) []string { return []string{"config", "get-contexts"} }},
		{"config-current-context", "", func(*goldenWorld) []string { return []string{"config", "current-context"} }},
		{"config-view", "", func(*goldenWorld) []string { return []string{"config", "view"} }},
	}
	for _, mode := range []struct {
		name string
		tty  bool
	}{{"tty", true}, {"pipe", false}} {
		t.Run(mode.name, func(t *testing.T) {
			w := newGoldenWorld(t)
			for _, st := range steps {
				code, stdout, stderr := w.run(mode.tty, st.stdin, st.args(w)...)
				got := w.normalize(fmt.Sprintf("%s--- stderr\n%s--- exit %d\n", stdout, stderr, code))
				t.Run(st.name, func(t *testing.T) {
					assertCLIGolden(t, st.name+"."+mode.name, got)
				})
			}
		})
	}
}
