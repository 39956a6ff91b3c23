package cli

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/client"
)

// rotate's usage errors: an id or --query with filters, never both,
// never neither.
func TestRotateUsage(t *testing.T) {
	db := filepath.Join(t.TempDir(), "keys.db")
	env := map[string]string{"XDG_CONFIG_HOME": t.TempDir()}
	for _, tt := range []struct {
		name   string
		args   []string
		reason string
	}{
		{"no id", []string{"rotate"}, "rotate needs the id of the key to rotate"},
		{"two ids", []string{"rotate", "a", "b"}, "rotate takes one key id, got 2"},
		{"an id and --query", []string{"rotate", "a", "--query", "--name", "x"}, "rotate takes a key id or --query, not both"},
		{"--query without a filter", []string{"rotate", "--query"}, "rotate --query needs a filter"},
		{"a filter without --query", []string{"rotate", "a", "--expires-within", "7d"}, "--expires-within selects keys with --query"},
		{"a grace without a unit", []string{"rotate", "a", "--grace", "10"}, "--grace: 10 has no unit"},
		{"two states", []string{"rotate", "--query", "--active", "--expired"}, "--active, --expired and --invalidated cannot be used together"},
		{"tree without an id", []string{"tree"}, "tree needs the id of the key"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tio := testStreams("", false, env)
			code := Run(context.Background(), testFactory(tio.ios, env), append([]string{"--db", db}, tt.args...))
			if code != ExitUsage || !strings.Contains(tio.stderr.String(), tt.reason) {
				t.Errorf("exit %d, stderr %q; want %d with %q", code, tio.stderr.String(), ExitUsage, tt.reason)
			}
		})
	}
}

// rotate --query asks on a terminal, rotates nothing when declined, and
// gives one result per key, refusals included (exit 6).
func TestRotateQuery(t *testing.T) {
	db := filepath.Join(t.TempDir(), "keys.db")
	env := map[string]string{"XDG_CONFIG_HOME": t.TempDir()}
	exec := func(t *testing.T, tty bool, stdin string, args ...string) (int, string, string) {
		t.Helper()
		tio := testStreams(stdin, tty, env)
		code := Run(context.Background(), testFactory(tio.ios, env), append([]string{"--db", db}, args...))
		return code, tio.stdout.String(), tio.stderr.String()
	}
	var ids []string
	for _, name := range []string{"svc-a", "svc-b", "other"} {
		code, id, stderr := exec(t, false, "", "create", "--name", name, "--field", "id")
		if code != 0 {
			t.Fatalf("create: %d %s", code, stderr)
		}
		ids = append(ids, strings.TrimSpace(id))
	}
	count := func(t *testing.T) string {
		t.Helper()
		_, out, _ := exec(t, false, "", "query", "--name", "svc-*", "--all", "--jq", ".total")
		return strings.TrimSpace(out)
	}

	code, _, stderr := exec(t, true, "n\n", "rotate", "--query", "--name", "svc-*")
	if code != ExitError || !strings.Contains(stderr, "Rotate 2 API key(s), each old key ending after 24h? [y/N]") || !strings.Contains(stderr, "no key was rotated") {
		t.Errorf("declined: exit %d, stderr %q", code, stderr)
	}
	if got := count(t); got != "2" {
		t.Fatalf("a declined rotation made keys: %s svc-* keys", got)
	}

	code, out, stderr := exec(t, false, "", "rotate", "--query", "--name", "svc-*", "--grace", "1h", "-o", "json")
	if code != 0 {
		t.Fatalf("on a pipe: exit %d, stderr %q", code, stderr)
	}
	var results []rotateResult
	if err := json.Unmarshal([]byte(out), &results); err != nil || len(results) != 2 {
		t.Fatalf("results %s: %v", out, err)
	}
	for i, r := range results {
		if r.ID != ids[i] || r.Successor == nil || r.Successor.Predecessor.ID != ids[i] || r.Error != nil {
			t.Errorf("result %d: %+v", i, r)
		}
	}

	// The old keys are still active and now have a pending successor:
	// each is refused, each successor rotated.
	code, out, stderr = exec(t, false, "", "rotate", "--query", "--name", "svc-*", "--active", "--yes", "-o", "json")
	if code != ExitPartial || !strings.Contains(stderr, "2 of 4 API key(s) could not be rotated") {
		t.Fatalf("partial: exit %d, stderr %q", code, stderr)
	}
	results = nil
	if err := json.Unmarshal([]byte(out), &results); err != nil || len(results) != 4 {
		t.Fatalf("results %s: %v", out, err)
	}
	refused := 0
	for _, r := range results {
		if r.Error != nil {
			refused++
			if !strings.Contains(r.Error.Reason, "was already rotated to") {
				t.Errorf("refusal %+v", r.Error)
			}
		}
	}
	if refused != 2 {
		t.Errorf("%d refusals, want 2", refused)
	}
}

// Against Elasticsearch, rotate --query fails once, saying why, before it
// selects any key.
func TestRotateQueryAgainstElasticsearch(t *testing.T) {
	url := fakeElasticsearch(t)
	c, err := client.New(client.Config{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	env := map[string]string{"XDG_CONFIG_HOME": t.TempDir()}
	tio := testStreams("", false, env)
	f := testFactory(tio.ios, env)
	f.svc = c
	code := Run(context.Background(), f, []string{"--url", url, "rotate", "--query", "--name", "ci-*", "--yes"})
	if code != ExitError || !strings.Contains(tio.stderr.String(), "rotation is an apikeyd feature and the target is Elasticsearch") || tio.stdout.Len() != 0 {
		t.Errorf("exit %d\nstdout: %s\nstderr: %s", code, tio.stdout.String(), tio.stderr.String())
	}
}
