package output

import (
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// withCertificateIdentity is keyList with a certificate identity on its
// cross-cluster key (Elasticsearch 9.3).
func withCertificateIdentity(pattern string) []api.APIKey {
	keys := keyList().APIKeys
	for i := range keys {
		if keys[i].Type == api.TypeCrossCluster {
			keys[i].CertificateIdentity = &pattern
		}
	}
	return keys
}

// TestRenderCertificateIdentityGolden pins the CERT IDENTITY column (only
// when a key has one; the first left out on a narrow terminal) and the
// card's Cert identity line, the empty pattern shown as "".
func TestRenderCertificateIdentityGolden(t *testing.T) {
	keys := withCertificateIdentity(`CN=.*\.eu-west\.example\.com,O=Example Corp,C=US`)
	var crossCluster api.APIKey
	for _, k := range keys {
		if k.Type == api.TypeCrossCluster {
			crossCluster = k
		}
	}
	empty := crossCluster
	empty.CertificateIdentity = new("")
	tests := []struct {
		name   string
		v      any
		detail bool
		width  int
	}{
		{name: "keys-cert-identity-60", v: api.GetAPIKeysResponse{APIKeys: keys}, width: 60},
		{name: "keys-cert-identity-120", v: api.GetAPIKeysResponse{APIKeys: keys}, width: 120},
		{name: "key-card-cert-identity", v: api.GetAPIKeysResponse{APIKeys: []api.APIKey{crossCluster}}, detail: true},
		{name: "key-card-cert-identity-empty", v: api.GetAPIKeysResponse{APIKeys: []api.APIKey{empty}}, detail: true},
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
