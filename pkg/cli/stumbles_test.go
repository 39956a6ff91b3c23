package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// TestQueryNotesUnprintedMatches: a pipe reading one default page of a
// query hears on stderr how many more keys matched.
func TestQueryNotesUnprintedMatches(t *testing.T) {
	w := newGoldenWorld(t)
	for i := range 9 {
		if code, _, stderr := w.run(false, "", "create", "--name", fmt.Sprintf("extra-%d", i)); code != 0 {
			t.Fatalf("create: exit %d: %s", code, stderr)
		}
	}
	// 14 keys: the 5 of the world and 9 more.
	tests := []struct {
		name string
		tty  bool
		args []string
		note string // "" when stderr must hold no note
	}{
		{"default page on a pipe", false, []string{"query", "-o", "json"}, "note: 4 more API key(s) matched than the 10 printed"},
		{"field on a pipe", false, []string{"query", "--field", "id"}, "use --all for every one, or --limit N"},
		{"from", false, []string{"query", "--query-json", "-"}, "note: 2 more API key(s) matched than the 10 printed"},
		{"all", false, []string{"query", "--all", "-o", "json"}, ""},
		{"limit chosen", false, []string{"query", "--limit", "3", "-o", "json"}, ""},
		{"everything printed", false, []string{"query", "--name", "extra-*"}, ""},
		{"terminal (the table says it)", true, []string{"query"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdin := ""
			if tt.name == "from" {
				stdin = `{"from": 2}`
			}
			code, _, stderr := w.run(tt.tty, stdin, tt.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if tt.note == "" && strings.Contains(stderr, "note:") || !strings.Contains(stderr, tt.note) {
				t.Fatalf("stderr %q, want %q", stderr, tt.note)
			}
		})
	}
}

// TestProgressOnTerminal: query --all and a bulk-update of many ids show
// a spinner on a terminal's stderr, even when stdout is a pipe; nothing
// when stderr is not a terminal.
func TestProgressOnTerminal(t *testing.T) {
	w := newGoldenWorld(t)
	many := []string{"bulk-update", "--metadata", "x=y"}
	for i := range bulkProgressMin {
		many = append(many, fmt.Sprintf("unknown-key-%08d", i))
	}
	tests := []struct {
		name      string
		args      []string
		stderrTTY bool
		want      string
	}{
		{"query --all", []string{"query", "--all", "--page-size", "2", "--field", "id"}, true, "Querying API keys (5 of 5)"},
		{"query --all on a pipe", []string{"query", "--all", "--field", "id"}, false, ""},
		{"bulk-update of many ids", many, true, fmt.Sprintf("Updating %d API keys", bulkProgressMin)},
		{"bulk-update of few ids", []string{"bulk-update", "--metadata", "x=y", w.id("reader")}, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tio := testStreams("", false, w.env)
			tio.ios.SetStderrTTY(tt.stderrTTY)
			f := testFactory(tio.ios, w.env)
			f.svc = w.svc
			Run(context.Background(), f, tt.args)
			stderr := tio.stderr.String()
			if tt.want == "" {
				if strings.Contains(stderr, "\x1b[K") {
					t.Fatalf("a spinner was drawn: %q", stderr)
				}
				return
			}
			if !strings.Contains(stderr, tt.want) || !strings.Contains(stderr, "\r\x1b[K") {
				t.Fatalf("stderr %q, want a spinner with %q", stderr, tt.want)
			}
			if strings.Contains(tio.stdout.String(), "\x1b[K") {
				t.Fatalf("the spinner reached stdout")
			}
		})
	}
}

// TestPurgeSummary: on a terminal purge counts the keys by reason; on a
// pipe, with -o json or --field api_keys it lists their ids.
func TestPurgeSummary(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "keys.db")
	env := map[string]string{"XDG_CONFIG_HOME": dir}
	now := testClock.Add(-10 * 24 * time.Hour)
	runAt := func(tty bool, args ...string) (int, string, string) {
		tio := testStreams("", tty, env)
		f := testFactory(tio.ios, env)
		f.Now = func() time.Time { return now }
		code := Run(context.Background(), f, append([]string{"--db", db}, args...))
		return code, tio.stdout.String(), tio.stderr.String()
	}
	var ids []string
	for _, args := range [][]string{
		{"create", "--name", "expired-1", "--expiration", "1d", "--field", "id"},
		{"create", "--name", "expired-2", "--expiration", "2d", "--field", "id"},
		{"create", "--name", "invalidated", "--field", "id"},
		{"create", "--name", "active", "--field", "id"},
	} {
		code, stdout, stderr := runAt(false, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		ids = append(ids, strings.TrimSpace(stdout))
	}
	if code, _, stderr := runAt(false, "invalidate", ids[2]); code != 0 {
		t.Fatalf("invalidate: exit %d: %s", code, stderr)
	}
	now = testClock
	tests := []struct {
		name       string
		tty        bool
		args       []string
		want, not  []string
		wantStderr string
	}{
		{"dry run on a terminal", true, []string{"purge", "--dry-run"},
			[]string{"Would remove 3 API keys expired or invalidated before 2026-11-17T12:00:00Z (retention period 7d): 2 expired, 1 invalidated\n"},
			ids, "List the ids with --field api_keys or -o json."},
		{"dry run as JSON on a terminal", true, []string{"purge", "--dry-run", "-o", "json"}, ids[:3], ids[3:], ""},
		{"dry run ids on a terminal", true, []string{"purge", "--dry-run", "--field", "api_keys"}, ids[:3], []string{"Would"}, ""},
		{"dry run on a pipe", false, []string{"purge", "--dry-run"}, append([]string{`"count": 3`}, ids[:3]...), ids[3:], ""},
		{"purge on a terminal", true, []string{"purge"},
			[]string{"Removed 3 API keys expired or invalidated before 2026-11-17T12:00:00Z (retention period 7d): 2 expired, 1 invalidated\nRemoved 0 expired tokens\n"},
			ids, ""},
		{"nothing left", true, []string{"purge"}, []string{"Removed 0 API keys expired or invalidated before 2026-11-17T12:00:00Z (retention period 7d)\n"}, []string{"expired,"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runAt(tt.tty, tt.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout %q lacks %q", stdout, w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(stdout, n) {
					t.Errorf("stdout %q has %q", stdout, n)
				}
			}
			if !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("stderr %q lacks %q", stderr, tt.wantStderr)
			}
		})
	}
}

// TestNoIDs: without ids, a command run by a person (stdin a terminal) is
// a usage error; run by a script (stdin a pipe) it has nothing to do.
func TestNoIDs(t *testing.T) {
	w := newGoldenWorld(t)
	tests := []struct {
		name     string
		stdinTTY bool
		args     []string
		code     int
		stderr   string
	}{
		{"invalidate on a terminal", true, []string{"invalidate"}, ExitUsage, "error: invalidate needs the keys to invalidate: ids as arguments or --id, or --name, --user, --realm or --owner\n"},
		{"invalidate from a script", false, []string{"invalidate"}, ExitOK, "note: nothing to invalidate: no key ids and no --name, --user, --realm or --owner were given\n"},
		{"bulk-update on a terminal", true, []string{"bulk-update", "--metadata", "a=b"}, ExitUsage, "error: no key ids: give them as arguments, with --id, --ids-file, or on stdin\n"},
		{"bulk-update of empty stdin", false, []string{"bulk-update", "--metadata", "a=b"}, ExitOK, "note: nothing to update: no key ids were read\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tio := testStreams("", false, w.env)
			tio.ios.SetStdinTTY(tt.stdinTTY)
			f := testFactory(tio.ios, w.env)
			f.svc = w.svc
			code := Run(context.Background(), f, tt.args)
			if code != tt.code || tio.stderr.String() != tt.stderr || tio.stdout.Len() != 0 {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit %d, stderr %q", code, tio.stdout, tio.stderr, tt.code, tt.stderr)
			}
		})
	}
}

// TestTimeValueFlags: a bad time value is a flag error (exit 2) before
// anything is sent, on every command with such a flag.
func TestTimeValueFlags(t *testing.T) {
	w := newGoldenWorld(t)
	id := w.id("reader")
	tests := []struct {
		args   []string
		stderr string
	}{
		{[]string{"create", "--name", "x", "--expiration", "5"}, "error: --expiration: 5 has no unit; use e.g. 5m, 5d\n"},
		{[]string{"create", "--name", "x", "--expiration=30 days"}, "error: --expiration: failed to parse [30 days]; use a whole number and a unit (ms, s, m, h, d), e.g. 5m, 30d\n"},
		{[]string{"create", "--name", "x", "--expiration", "1.5h"}, "error: --expiration: failed to parse [1.5h], fractional time values are not supported; use"},
		{[]string{"grant", "--user", "bob", "--user-password-stdin", "--name", "x", "--expiration", "7"}, "error: --expiration: 7 has no unit"},
		{[]string{"clone", "--expiration", "5"}, "error: --expiration: 5 has no unit"},
		{[]string{"update", id, "--expiration", "30"}, "error: --expiration: 30 has no unit; use e.g. 30m, 30d\n"},
		{[]string{"bulk-update", id, "--expiration", "1w"}, "error: --expiration: failed to parse setting [expiration] with value [1w]"},
		{[]string{"cross-cluster", "create", "--name", "x", "--search", "a", "--expiration", "90"}, "error: --expiration: 90 has no unit"},
		{[]string{"cross-cluster", "update", id, "--expiration", "90"}, "error: --expiration: 90 has no unit"},
		{[]string{"purge", "--retention-period", "7"}, "error: --retention-period: 7 has no unit; use e.g. 7m, 7d\n"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := w.run(false, "", tt.args...)
			if code != ExitUsage || stdout != "" || !strings.HasPrefix(stderr, tt.stderr) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit 2 and %q", code, stdout, stderr, tt.stderr)
			}
		})
	}
	// A good value still works.
	if code, _, stderr := w.run(false, "", "create", "--name", "ok", "--expiration", "5m"); code != 0 {
		t.Fatalf("create --expiration 5m: exit %d: %s", code, stderr)
	}
}

// TestCloneOneSecretOnStdin: the key to clone and the caller's secret
// cannot both come from a piped stdin; the error names the alternative.
func TestCloneOneSecretOnStdin(t *testing.T) {
	tests := []struct {
		name   string
		env    map[string]string
		args   []string
		code   int
		stderr string
	}{
		{"api key and source", nil, []string{"--url", "http://127.0.0.1:1", "--api-key-stdin", "clone"}, ExitUsage,
			"error: --api-key-stdin and the key to clone cannot both come from stdin: give the key to clone in APIKEYCTL_SOURCE_API_KEY, or the caller's key in APIKEYCTL_API_KEY instead of --api-key-stdin\n"},
		{"password and source", nil, []string{"--url", "http://127.0.0.1:1", "--username", "ci", "--password-stdin", "clone"}, ExitUsage,
			"error: --password-stdin and the key to clone cannot both come from stdin: give the key to clone in APIKEYCTL_SOURCE_API_KEY, or the password in APIKEYCTL_PASSWORD instead of --password-stdin\n"},
		// The source from the environment leaves stdin to the caller's
		// key: the call goes on (to a port nobody serves).
		{"source in the environment", map[string]string{"APIKEYCTL_SOURCE_API_KEY": "c291cmNlOmtleQ=="}, []string{"--url", "http://127.0.0.1:1", "--api-key-stdin", "clone"}, ExitUnreachable, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := run(t, false, "caller-key\n", tt.env, tt.args...)
			if code != tt.code || tt.stderr != "" && stderr != tt.stderr {
				t.Fatalf("exit %d, stderr %q; want exit %d, %q", code, stderr, tt.code, tt.stderr)
			}
		})
	}
}

// TestUpdateOneID: update takes one id and points to bulk-update for more.
func TestUpdateOneID(t *testing.T) {
	w := newGoldenWorld(t)
	tests := []struct {
		args   []string
		stderr string
	}{
		{[]string{"update", w.id("reader"), w.id("tmp-debug"), "--metadata", "a=b"}, "error: apikeyctl update takes one key id, got 2: to apply one change to many keys use 'apikeyctl bulk-update ID...' (one transaction)\n"},
		{[]string{"update"}, "error: apikeyctl update needs the ID of the key to update\n"},
	}
	for _, tt := range tests {
		code, stdout, stderr := w.run(false, "", tt.args...)
		if code != ExitUsage || stdout != "" || stderr != tt.stderr {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2, %q", tt.args, code, stdout, stderr, tt.stderr)
		}
	}
}

// TestBulkErrorsSummary: many bulk errors are counted by type on a
// terminal, and listed one a line on a pipe or with -o json.
func TestBulkErrorsSummary(t *testing.T) {
	w := newGoldenWorld(t)
	if code, _, stderr := w.run(false, "", "invalidate", w.id("tmp-debug")); code != 0 {
		t.Fatalf("invalidate: exit %d: %s", code, stderr)
	}
	args := []string{"bulk-update", "--metadata", "a=b", w.id("reader"), w.id("tmp-debug")}
	for i := range bulkErrorsListMax + 2 {
		args = append(args, fmt.Sprintf("unknown-key-%08d", i))
	}
	runWith := func(stderrTTY bool, extra ...string) (int, string) {
		tio := testStreams("", false, w.env)
		tio.ios.SetStderrTTY(stderrTTY)
		f := testFactory(tio.ios, w.env)
		f.svc = w.svc
		code := Run(context.Background(), f, append(append([]string{}, args...), extra...))
		return code, tio.stderr.String()
	}

	code, stderr := runWith(true)
	want := "12 × resource_not_found_exception, e.g. unknown-key-00000000: no API key owned by requesting user found for ID [unknown-key-00000000]\n" +
		"1 × illegal_argument_exception, e.g. " + w.id("tmp-debug") + ": "
	if code != ExitPartial || !strings.HasPrefix(stderr, want) ||
		!strings.HasSuffix(stderr, "(every failed id with its reason: -o json, or redirect stderr)\nerror: 13 of 14 API keys were not updated\n") {
		t.Fatalf("terminal: exit %d, stderr:\n%s\nwant it to begin with:\n%s", code, stderr, want)
	}
	for _, extra := range [][]string{nil, {"-o", "json"}} {
		tty := extra != nil
		code, stderr := runWith(tty, extra...)
		lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
		if code != ExitPartial || len(lines) != 14 || !strings.Contains("\n"+stderr, "\nunknown-key-00000000: no API key") {
			t.Fatalf("stderr a terminal %v, %v: exit %d, stderr:\n%s", tty, extra, code, stderr)
		}
	}
}

// interruptedBulk is a service whose bulk update is cut by Ctrl-C.
type interruptedBulk struct {
	api.Service
	cancel context.CancelFunc
}

func (s interruptedBulk) BulkUpdateAPIKeys(ctx context.Context, _ *api.BulkUpdateAPIKeysRequest) (*api.BulkUpdateAPIKeysResponse, error) {
	s.cancel()
	return nil, fmt.Errorf("bulk update: %w", ctx.Err())
}

// TestBulkUpdateInterrupted: Ctrl-C during a bulk update says whether
// anything was changed, by target, and exits 130.
func TestBulkUpdateInterrupted(t *testing.T) {
	tests := []struct {
		target []string
		stderr string
	}{
		{[]string{"--db", filepath.Join(t.TempDir(), "keys.db")}, "error: interrupted: no key was changed: the bulk update is one transaction, and it was rolled back\n"},
		{[]string{"--socket", "/run/apikeyd/apikeyd.sock"}, "error: interrupted: no key was changed: apikeyd runs a bulk update as one transaction and rolls it back when the call is cut (unless it had already committed every key)\n"},
		{[]string{"--url", "https://es.example.invalid:9200"}, "error: interrupted: apikeyd rolls back a cut bulk update (one transaction), but Elasticsearch may have updated some of the keys: check them with 'apikeyctl get'\n"},
	}
	for _, tt := range tests {
		t.Run(tt.target[0], func(t *testing.T) {
			env := map[string]string{"XDG_CONFIG_HOME": t.TempDir(), "APIKEYCTL_API_KEY": "aWQ6c2VjcmV0"}
			tio := testStreams("", false, env)
			f := testFactory(tio.ios, env)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			f.svc = interruptedBulk{cancel: cancel}
			code := Run(ctx, f, append(tt.target, "bulk-update", "--metadata", "a=b", "some-key-id"))
			if code != ExitInterrupted || tio.stderr.String() != tt.stderr {
				t.Fatalf("exit %d, stderr %q; want exit 130, %q", code, tio.stderr, tt.stderr)
			}
		})
	}
}
