package output

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// withUsage gives keys apikeyd's usage fields, as with_last_used answers
// them: the first used 3 hours ago, the second 200 days ago, the others
// never.
func withUsage(keys []api.APIKey) []api.APIKey {
	out := make([]api.APIKey, len(keys))
	for i, k := range keys {
		n := int64(0)
		switch i {
		case 0:
			n = 42
			k.LastUsed, k.LastUsedFrom = ms(-3*time.Hour), "10.0.0.5"
		case 1:
			n = 1
			k.LastUsed, k.LastUsedFrom = ms(-200*day), "unix:uid=1000"
		}
		k.UsageCount = &n
		out[i] = k
	}
	return out
}

// TestRenderLastUsedGolden pins the LAST USED column and the card's Usage
// line, and that the table never wraps: at 60 columns the column is left
// out first.
func TestRenderLastUsedGolden(t *testing.T) {
	keys := withUsage(longKeys().APIKeys)
	tests := []struct {
		name   string
		v      any
		detail bool
		width  int
	}{
		{name: "keys-last-used-60", v: api.GetAPIKeysResponse{APIKeys: keys}, width: 60},
		{name: "keys-last-used-80", v: api.GetAPIKeysResponse{APIKeys: keys}, width: 80},
		{name: "keys-last-used-120", v: api.GetAPIKeysResponse{APIKeys: keys}, width: 120},
		{name: "keys-typical-last-used-100", v: api.GetAPIKeysResponse{APIKeys: withUsage(typicalKeys().APIKeys)}, width: 100},
		{name: "key-card-last-used", v: api.GetAPIKeysResponse{APIKeys: keys[:1]}, detail: true},
		{name: "key-card-never-used", v: api.GetAPIKeysResponse{APIKeys: keys[2:3]}, detail: true},
	}
	for _, tt := range tests {
		for _, m := range allModes {
			t.Run(tt.name+"/"+m.name, func(t *testing.T) {
				m.width = tt.width
				opts := Options{Detail: tt.detail}
				if !m.tty {
					opts.Format = Table
				}
				got := mustRun(t, m, opts, tt.v)
				if m.tty && tt.width > 0 {
					for _, line := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
						if w := lipgloss.Width(line); w > tt.width {
							t.Errorf("line of %d columns on a terminal of %d: %q", w, tt.width, line)
						}
					}
				}
				assertGolden(t, tt.name+"."+m.name, got)
			})
		}
	}
}
