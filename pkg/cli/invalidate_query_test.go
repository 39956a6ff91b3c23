package cli

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// runTTY runs a command line with stdin, stdout and stderr terminals.
func runTTY(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	env := map[string]string{"XDG_CONFIG_HOME": t.TempDir(), "APIKEYD_SOCKET": filepath.Join(t.TempDir(), "missing.sock"), "NO_COLOR": "1"}
	tio := testStreams(stdin, true, env)
	code = Run(context.Background(), testFactory(tio.ios, env), args)
	return code, tio.stdout.String(), tio.stderr.String()
}

func TestInvalidateByQueryOnATerminal(t *testing.T) {
	db := filepath.Join(t.TempDir(), "keys.db")
	for _, name := range []string{"fleet-a", "fleet-b", "keep"} {
		if code, _, stderr := run(t, false, "", nil, "--db", db, "create", "--name", name, "--expiration", "30d"); code != 0 {
			t.Fatalf("create: %s", stderr)
		}
	}
	sel := []string{"--db", db, "invalidate", "--query", "--name", "fleet-*"}

	code, out, stderr := runTTY(t, "", append(sel, "--dry-run")...)
	if code != 0 {
		t.Fatalf("dry run: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"ID", "NAME", "OWNER", "fleet-a", "fleet-b", "plan: 2 keys, digest sha256:",
		"to invalidate them: apikeyctl invalidate --db " + db + " --name 'fleet-*' --query --plan sha256:"} {
		if !strings.Contains(out, want) {
			t.Fatalf("dry run on a terminal lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "keep") {
		t.Fatalf("the dry run lists a key the query does not match:\n%s", out)
	}

	// Declined: nothing is invalidated.
	code, _, stderr = runTTY(t, "n\n", sel...)
	if code != ExitError || !regexp.MustCompile(`Invalidate 2 keys matching the query \(plan sha256:[0-9a-f]{64}\)\? \[y/N\]`).MatchString(stderr) ||
		!strings.Contains(stderr, "nothing was invalidated") {
		t.Fatalf("declined: exit %d\n%s", code, stderr)
	}
	if _, out, _ := run(t, false, "", nil, "--db", db, "get", "--name", "fleet-a", "--field", "invalidated"); strings.TrimSpace(out) != "false" {
		t.Fatalf("a declined run invalidated fleet-a: %s", out)
	}

	// Confirmed: the plan shown is the plan carried out.
	code, out, stderr = runTTY(t, "y\n", sel...)
	if code != 0 || !strings.Contains(out, "Invalidated 2 API keys") || !strings.Contains(out, "plan: 2 keys, digest sha256:") {
		t.Fatalf("confirmed: exit %d\n%s\n%s", code, out, stderr)
	}
	if _, out, _ := run(t, false, "", nil, "--db", db, "get", "--name", "keep", "--field", "invalidated"); strings.TrimSpace(out) != "false" {
		t.Fatalf("keep was invalidated: %s", out)
	}
}

func TestInvalidateByQueryUsage(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "keys.db")
	sorted := filepath.Join(dir, "sorted.json")
	if err := os.WriteFile(sorted, []byte(`{"query":{"match_all":{}},"sort":["name"]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		args   []string
		stderr string
	}{
		{"--cascade", []string{"--query", "--cascade", "--dry-run"}, "--cascade does not combine with --query"},
		{"--owner is not a filter", []string{"--query", "--owner", "--dry-run"}, "select your own keys with --user NAME"},
		{"a plan that is not a digest", []string{"--query", "--plan", "abc"}, `invalid --plan "abc"`},
		{"a negative count", []string{"--query", "--expect-count", "-1"}, "invalid --expect-count -1"},
		{"a negative max", []string{"--query", "--max-keys", "-1", "--dry-run"}, "invalid --max-keys -1"},
		{"a body with a sort", []string{"--query", "--query-json", sorted, "--dry-run"}, `"sort" selects no keys`},
		{"two states", []string{"--query", "--active", "--expired", "--dry-run"}, "cannot be used together"},
		{"a filter without --query", []string{"--expires-within", "7d"}, "--expires-within selects or guards an invalidate by query: add --query"},
		{"a bad duration", []string{"--query", "--expires-within", "soon", "--dry-run"}, `invalid --expires-within "soon"`},
		{"ids with --query", []string{"--query", "7Q2eJ5gBc8uQ3hY1Zk9w"}, "give no key ids"},
		{"a script without a guard", []string{"--query", "--name", "x"}, "needs --expect-count N or --plan DIGEST"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := run(t, false, "", nil, append([]string{"--db", db, "invalidate"}, tt.args...)...)
			if code != ExitUsage || !strings.Contains(stderr, tt.stderr) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, stderr, tt.stderr)
			}
		})
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"policy=old": "policy=old",
		"fleet-*":    "'fleet-*'",
		"it's":       `'it'\''s'`,
		"":           "''",
		"a b":        "'a b'",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
