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
		{"possessive quantifier", `CN=[a-z]++\.example`},
		{"possessive counted quantifier", `CN=a{2,3}+`},
		{"lazy quantifier", `CN=.*?,O=x`},
		{"quoted literal", `CN=\Qnode.example.com\E,O=x`},
		{"quote to the end", `CN=\Q(literal`},
		{"quote in a class", `[\Q]-^\E]`},
		{"horizontal space", `CN=a\hb`},
		{"horizontal space in a class", `[\h,]`},
		{"linebreak", `a\Rb`},
		{"grapheme", `CN=\X`},
		{"hex in braces", `CN=\x{1F511}`},
		{"java property", `\p{javaLowerCase}+`},
		{"script property", `\p{IsLatin}`},
		{"block property", `\p{InGreek}`},
		{"posix property", `\p{Alpha}\P{Digit}`},
		{"unicode flags", `(?iu)cn=x`},
		{"flag group with a colon", `(?U:cn)=x`},
		{"nested class", `CN=[a-z&&[^q]]`},
		{"atomic group", `CN=(?>ab|a)c`},
		{"named backreference", `CN=(?<host>[a-z]+)-\k<host>`},
		{"counted repetition", `CN=a{2}`},
		{"open counted repetition", `CN=a{2,}`},
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
		{"brace that starts no repetition", "CN={host}"},
		{"brace after an atom", "CN=a{"},
		{"dotnet explicit-capture flag", "(?n)CN=x"},
		{"dotnet comment", "CN=x(?#comment)"},
		{"dotnet quoted group name", "(?'host'a)"},
		{"dotnet balancing group", "(?<a-b>x)"},
		{"dotnet conditional", "(a)?(?(1)b|c)"},
		{"group name with an underscore", "(?<my_host>a)"},
		{"unterminated hex in braces", `\x{12`},
		{"double quantifier", "CN=a**"},
		{"linebreak in a class", `[\R]`},
		{"unknown property", `\p{NoSuchThing}`},
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

// FuzzCheckCertificateIdentity: any pattern is answered, never a panic,
// and a refusal always carries Elasticsearch's reason.
func FuzzCheckCertificateIdentity(f *testing.F) {
	for _, seed := range []string{"", "(?u)", `\Q`, `\x{`, `\p{`, `\k<`, "(?<", "[", `[\Q]`, "a{1,2}+", `(?U:x)`, `\`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, pattern string) {
		if err := CheckCertificateIdentity(pattern); err != nil && err.Reason != "Invalid certificate_identity format: ["+pattern+"]. Must be a valid regex." {
			t.Fatalf("reason %q", err.Reason)
		}
	})
}
