package output

import (
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// withNetworks binds the first key to two networks and local callers, as
// with_restrictions answers it; the others are bound to none.
func withNetworks(keys []api.APIKey) []api.APIKey {
	out := make([]api.APIKey, len(keys))
	copy(out, keys)
	out[0].AllowedNetworks = []string{"10.0.0.0/8", "2001:db8::/32", "local"}
	return out
}

// TestRenderAllowedNetworksGolden pins the ALLOWED FROM column and the
// card's "Allowed from" line, and that the table never wraps: at 60
// columns the column is left out.
func TestRenderAllowedNetworksGolden(t *testing.T) {
	keys := withNetworks(typicalKeys().APIKeys)
	tests := []struct {
		name   string
		v      any
		detail bool
		width  int
	}{
		{name: "keys-allowed-from-60", v: api.GetAPIKeysResponse{APIKeys: keys}, width: 60},
		{name: "keys-allowed-from-120", v: api.GetAPIKeysResponse{APIKeys: keys}, width: 120},
		{name: "key-card-allowed-from", v: api.GetAPIKeysResponse{APIKeys: keys[:1]}, detail: true},
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
