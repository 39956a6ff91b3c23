package cli

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestProtectDashIDs(t *testing.T) {
	const id = "-mplHpLqMZrko4Jme84e"
	root := NewRootCmd(docsFactory())
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"positional id", []string{"invalidate", id}, []string{"invalidate", "--", id}},
		{"among flags and ids", []string{"invalidate", "abcdefghijklmnopqrst", id, "--field", "error_count"},
			[]string{"invalidate", "abcdefghijklmnopqrst", "--field", "error_count", "--", id}},
		{"value of a flag", []string{"get", "--id", id}, []string{"get", "--id", id}},
		{"value of a shorthand flag", []string{"get", "-o", id}, []string{"get", "-o", id}},
		{"after a boolean flag", []string{"get", "--owner", id}, []string{"get", "--owner", "--", id}},
		{"already behind --", []string{"get", "--", id}, []string{"get", "--", id}},
		{"before an existing --", []string{"inspect", id, "--", "x"}, []string{"inspect", "--", id, "x"}},
		{"not an id", []string{"get", "-o", "json"}, []string{"get", "-o", "json"}},
		{"a flag as long as an id", []string{"user", "add", "bob", "--new-password-stdin"}, []string{"user", "add", "bob", "--new-password-stdin"}},
		{"an id beginning with --", []string{"inspect", "--mplHpLqMZrko4Jme84"}, []string{"inspect", "--", "--mplHpLqMZrko4Jme84"}},
		{"ids keep their order", []string{"inspect", id, "abcdefghijklmnopqrst", "-o", "json", "x"},
			[]string{"inspect", "-o", "json", "--", id, "abcdefghijklmnopqrst", "x"}},
		{"ids keep their order before an existing --", []string{"inspect", id, "y", "--", "x"}, []string{"inspect", "--", id, "y", "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := protectDashIDs(root, tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestIDStartingWithDash: an id that begins with '-' works as an argument.
func TestIDStartingWithDash(t *testing.T) {
	db := filepath.Join(t.TempDir(), "keys.db")
	const id = "-mplHpLqMZrko4Jme84e"
	code, stdout, stderr := run(t, false, "", nil, "--db", db, "get", id)
	if code != ExitNotFound || !strings.Contains(stderr, "no API key with id ["+id+"]") || !strings.Contains(stdout, `"api_keys": []`) {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}
