package apikey

import (
	"github.com/dlclark/regexp2"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// CheckCertificateIdentity applies Elasticsearch's one rule for the
// certificate identity of a cross-cluster key (its CertificateIdentity
// record): the pattern must compile as a regular expression, the one
// matched against the subject DN of the certificate the remote cluster
// presents. Any pattern that compiles is accepted, the empty one included.
//
// Elasticsearch compiles it with java.util.regex; regexp2, a backtracking
// engine with the same constructs (lookaround, backreferences, named and
// atomic groups, inline flags), stands in for it here where Go's RE2 would
// refuse patterns Elasticsearch takes.
func CheckCertificateIdentity(pattern string) *api.Error {
	if _, err := regexp2.Compile(pattern, regexp2.None); err != nil {
		return api.Errorf(api.Invalid, "Invalid certificate_identity format: [%s]. Must be a valid regex.", pattern)
	}
	return nil
}
