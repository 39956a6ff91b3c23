package apikey

import (
	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// CheckCertificateIdentity applies Elasticsearch's one rule for the
// certificate identity of a cross-cluster key (its CertificateIdentity
// record): the pattern must compile as a regular expression, the one
// matched against the subject DN of the certificate the remote cluster
// presents. Any pattern that compiles is accepted, the empty one included.
//
// Elasticsearch compiles it with java.util.regex; compileJavaRegex
// stands in for it, where Go's RE2 would refuse patterns Elasticsearch
// takes (lookaround, backreferences, possessive quantifiers).
func CheckCertificateIdentity(pattern string) *api.Error {
	if err := compileJavaRegex(pattern); err != nil {
		return api.Errorf(api.Invalid, "Invalid certificate_identity format: [%s]. Must be a valid regex.", pattern)
	}
	return nil
}
