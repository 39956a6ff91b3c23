package apikey

import (
	"strings"
	"testing"
)

// TestNewIDShape: ids are 20 characters of the URL-safe alphabet, not
// starting with a dash, differ, and sort in the order they were made.
func TestNewIDShape(t *testing.T) {
	prev := ""
	seen := map[string]bool{}
	for range 1000 {
		id := NewID()
		if len(id) != 20 || strings.Trim(id, "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz") != "" {
			t.Fatalf("id %q is not 20 characters of [A-Za-z0-9_-]", id)
		}
		if id[0] == '-' {
			t.Fatalf("id %q starts with a dash", id)
		}
		if seen[id] {
			t.Fatalf("id %q made twice", id)
		}
		seen[id] = true
		if id[:7] < prev {
			t.Fatalf("id %q made after one starting %q sorts before it", id, prev)
		}
		prev = id[:7]
	}
}
