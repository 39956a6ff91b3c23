package apikey

import (
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

func TestCheckCertificateIdentity(t *testing.T) {
	valid := []struct{ name, pattern string }{
		{"exact DN", "CN=local-cluster.example.com,O=Example Corp,C=US"},
		{"wildcard CN", "CN=.*.example.com,O=Example Corp,C=US"},
		{"any certificate", "CN=.*"},
		{"empty pattern compiles", ""},
		{"escaped dots", `CN=node-\d+\.example\.com`},
		{"lookbehind, as Java takes it", `(?<=CN=)remote`},
		{"backreference", `CN=(a)\1`},
		{"named group", `CN=(?<host>[a-z]+)`},
		{"inline flag", `(?i)cn=remote`},
		{"unicode", "CN=ключ-🔑"},
	}
	for _, c := range valid {
		t.Run(c.name, func(t *testing.T) {
			if err := CheckCertificateIdentity(c.pattern); err != nil {
				t.Errorf("CheckCertificateIdentity(%q) = %v, want nil", c.pattern, err)
			}
		})
	}
	invalid := []struct{ name, pattern string }{
		{"unclosed group", "CN=(remote"},
		{"unopened group", "CN=remote)"},
		{"unclosed class", "CN=[a-z"},
		{"dangling star", "*.example.com"},
		{"reversed range", "CN=[z-a]"},
		{"trailing backslash", `CN=remote\`},
		{"bad repeat count", "CN=a{2,1}"},
	}
	for _, c := range invalid {
		t.Run(c.name, func(t *testing.T) {
			err := CheckCertificateIdentity(c.pattern)
			if err == nil {
				t.Fatalf("CheckCertificateIdentity(%q) = nil, want an error", c.pattern)
			}
			want := "Invalid certificate_identity format: [" + c.pattern + "]. Must be a valid regex."
			if err.Code != api.Invalid || err.Reason != want {
				t.Errorf("CheckCertificateIdentity(%q) = %v %q, want Invalid %q", c.pattern, err.Code, err.Reason, want)
			}
		})
	}
}
