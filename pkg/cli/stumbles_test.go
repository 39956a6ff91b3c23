package cli

import (
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
