package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// complete runs cobra's hidden __complete command, as the shell scripts
// do, and returns the completions (without the directive line).
func complete(t *testing.T, env map[string]string, args ...string) (lines []string, stderr string) {
	t.Helper()
	code, stdout, stderr := run(t, false, "", env, append([]string{"__complete"}, args...)...)
	if code != 0 {
		t.Fatalf("__complete %v: exit %d: %s", args, code, stderr)
	}
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		if l != "" && !strings.HasPrefix(l, ":") {
			lines = append(lines, l)
		}
	}
	return lines, stderr
}

func TestDynamicCompletion(t *testing.T) {
	// cobra reads these from the process, not from the factory: a shell
	// set up without descriptions must not take them from the ids.
	t.Setenv("APIKEYCTL_COMPLETION_DESCRIPTIONS", "")
	t.Setenv("COBRA_COMPLETION_DESCRIPTIONS", "")
	dir := t.TempDir()
	db := filepath.Join(dir, "keys.db")
	for _, name := range []string{"ci-deploy", "ci-test", "backup"} {
		if code, _, stderr := run(t, false, "", nil, "--db", db, "create", "--name", name); code != 0 {
			t.Fatalf("create: %s", stderr)
		}
	}
	code, out, _ := run(t, false, "", nil, "--db", db, "get", "--name", "backup", "--field", "id")
	if code != 0 {
		t.Fatal("get backup")
	}
	backupID := strings.TrimSpace(out)
	if code, _, _ := run(t, false, "", nil, "--db", db, "invalidate", backupID); code != 0 {
		t.Fatal("invalidate")
	}

	t.Run("ids of get, described by name", func(t *testing.T) {
		lines, _ := complete(t, nil, "--db", db, "get", "")
		if len(lines) != 3 {
			t.Fatalf("got %q", lines)
		}
		if !strings.Contains(strings.Join(lines, "\n"), backupID+"\tbackup (invalidated, ") {
			t.Errorf("no described id for backup in %q", lines)
		}
	})
	t.Run("names by prefix", func(t *testing.T) {
		lines, _ := complete(t, nil, "--db", db, "get", "--name", "ci-")
		if strings.Join(lines, ",") != "ci-deploy,ci-test" {
			t.Errorf("got %q", lines)
		}
	})
	t.Run("invalidate offers active keys only", func(t *testing.T) {
		lines, _ := complete(t, nil, "--db", db, "invalidate", "")
		if len(lines) != 2 || strings.Contains(strings.Join(lines, "\n"), backupID) {
			t.Errorf("got %q", lines)
		}
	})
	t.Run("ids already given are not offered again", func(t *testing.T) {
		lines, _ := complete(t, nil, "--db", db, "inspect", backupID, "")
		if len(lines) != 2 {
			t.Errorf("got %q", lines)
		}
	})
	t.Run("output formats", func(t *testing.T) {
		lines, _ := complete(t, nil, "get", "-o", "")
		if strings.Join(lines, ",") != "json,yaml,jsonl,table,wide" {
			t.Errorf("got %q", lines)
		}
	})
	t.Run("contexts", func(t *testing.T) {
		env := writeConfig(t, filepath.Join(dir, "cfg"), "contexts:\n  local:\n    db: "+db+"\n  prod:\n    url: https://es.example.invalid\n")
		lines, _ := complete(t, env, "config", "use-context", "")
		if strings.Join(lines, ",") != "local,prod" {
			t.Errorf("got %q", lines)
		}
		lines, _ = complete(t, env, "--context", "p")
		if strings.Join(lines, ",") != "prod" {
			t.Errorf("--context: got %q", lines)
		}
	})
	t.Run("unreachable target: nothing, silently", func(t *testing.T) {
		lines, stderr := complete(t, nil, "--socket", filepath.Join(dir, "none.sock"), "get", "")
		if len(lines) != 0 || strings.Contains(stderr, "error") || strings.Contains(stderr, "cannot reach") {
			t.Errorf("lines %q, stderr %q", lines, stderr)
		}
	})
	t.Run("a missing database is not created", func(t *testing.T) {
		missing := filepath.Join(dir, "missing.db")
		lines, stderr := complete(t, nil, "--db", missing, "get", "--id", "")
		if len(lines) != 0 || strings.Contains(stderr, "Creating") {
			t.Errorf("lines %q, stderr %q", lines, stderr)
		}
		if _, err := os.Stat(missing); !os.IsNotExist(err) {
			t.Errorf("completion created %s", missing)
		}
	})
	t.Run("no prompt for a password", func(t *testing.T) {
		env := map[string]string{"XDG_CONFIG_HOME": dir}
		tio := testStreams("typed-password\n", true, env)
		code := Run(context.Background(), testFactory(tio.ios, env), []string{"__complete", "--url", "http://127.0.0.1:1", "--username", "u", "get", ""})
		if code != 0 {
			t.Fatalf("exit %d: %s", code, tio.stderr)
		}
		if in := tio.ios.In.(*bytes.Buffer); in.Len() != len("typed-password\n") {
			t.Errorf("completion read the terminal: %d bytes left", in.Len())
		}
	})
}

func TestCompletionScripts(t *testing.T) {
	for _, shell := range shells {
		t.Run(shell, func(t *testing.T) {
			code, stdout, stderr := run(t, false, "", nil, "completion", shell)
			if code != 0 || !strings.Contains(stdout, "apikeyctl") || !strings.Contains(stdout, "__complete") {
				t.Fatalf("exit %d, stderr %q, %d bytes", code, stderr, len(stdout))
			}
		})
	}
	if code, _, _ := run(t, false, "", nil, "completion", "tcsh"); code != 2 {
		t.Errorf("unknown shell: exit %d, want 2", code)
	}
}
