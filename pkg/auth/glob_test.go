package auth

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		name, pattern, s string
		want             bool
	}{
		{"literal", "logs", "logs", true},
		{"literal differs", "logs", "log", false},
		{"star alone", "*", "", true},
		{"prefix", "logs-*", "logs-2025", true},
		{"prefix only", "logs-*", "metrics-logs-", false},
		{"suffix", "*-prod", "logs-prod", true},
		{"star in the middle", "cluster:admin/*/get", "cluster:admin/xpack/security/api_key/get", true},
		{"last part repeats", "a*ab", "aab", true},
		{"stars next to each other", "a**b", "ab", true},
		// Retrying every star took minutes on this one.
		{"many stars, no match", "*a*a*a*a*a*a*b", strings.Repeat("a", 100_000), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := GlobMatch(tt.pattern, tt.s); got != tt.want {
				t.Fatalf("GlobMatch(%q, %q) = %v", tt.pattern, tt.s, got)
			}
		})
	}
}

// FuzzGlobMatch checks GlobMatch against a regular expression in which
// each '*' is ".*".
func FuzzGlobMatch(f *testing.F) {
	for _, s := range [][2]string{{"logs-*", "logs-1"}, {"*a*a*b", "aaaaab"}, {"a*ab", "aab"}, {"**", ""}, {"*é*", "café"}, {"indices:*", "indices:data/read"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, s string) {
		got := GlobMatch(pattern, s)
		if !utf8.ValidString(pattern) || !utf8.ValidString(s) {
			return
		}
		parts := strings.Split(pattern, "*")
		for i, p := range parts {
			parts[i] = regexp.QuoteMeta(p)
		}
		want := regexp.MustCompile(`\A(?s:` + strings.Join(parts, ".*") + `)\z`).MatchString(s)
		if got != want {
			t.Fatalf("GlobMatch(%q, %q) = %v, want %v", pattern, s, got, want)
		}
	})
}
