package cli

import (
	"context"
	"fmt"
	"strings"
	"testing"
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
