package auth

import (
	"encoding/base64"
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// Scheme is how a request authenticates.
type Scheme int

// Authorization schemes.
const (
	SchemeNone Scheme = iota
	SchemeBasic
	SchemeAPIKey
	SchemeBearer
)

// Credential is what a request presented in its Authorization header.
type Credential struct {
	Scheme Scheme
	// Username and Password for Basic.
	Username string
	Password string
	// KeyID and KeySecret for ApiKey.
	KeyID     string
	KeySecret string
	// Token for Bearer.
	Token string
}

// Challenges are the WWW-Authenticate values Elasticsearch sends with a 401.
var Challenges = []string{`Basic realm="security", charset="UTF-8"`, `Bearer realm="security"`, "ApiKey"}

// Unauthenticated is Elasticsearch's 401 for a request without usable
// credentials, with its WWW-Authenticate headers.
func Unauthenticated(reason string) *api.Error {
	return &api.Error{
		Code:   api.Unauthenticated,
		Reason: reason,
		Header: map[string][]string{"WWW-Authenticate": Challenges},
	}
}

// ErrMissingCredentials is the 401 for a call that carried no credentials.
func ErrMissingCredentials() *api.Error {
	return Unauthenticated("missing authentication credentials")
}

// ParseAuthorization parses an Authorization header value. Schemes match
// case-insensitively. An empty header is SchemeNone.
func ParseAuthorization(header string) (Credential, error) {
	if header == "" {
		return Credential{Scheme: SchemeNone}, nil
	}
	scheme, value, _ := strings.Cut(header, " ")
	switch strings.ToLower(scheme) {
	case "basic":
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(value))
		if err != nil {
			return Credential{}, Unauthenticated("unable to authenticate with provided credentials").Wrap(api.Errorf(api.Invalid, "invalid basic authentication header value"))
		}
		user, pass, ok := strings.Cut(string(raw), ":")
		if !ok {
			return Credential{}, Unauthenticated("unable to authenticate with provided credentials").Wrap(api.Errorf(api.Invalid, "invalid basic authentication header value"))
		}
		return Credential{Scheme: SchemeBasic, Username: user, Password: pass}, nil
	case "apikey":
		id, secret, err := ParseAPIKeyCredential(value)
		if err != nil {
			return Credential{}, Unauthenticated("unable to authenticate with provided credentials").Wrap(err.(*api.Error))
		}
		return Credential{Scheme: SchemeAPIKey, KeyID: id, KeySecret: secret}, nil
	case "bearer":
		return Credential{Scheme: SchemeBearer, Token: strings.TrimSpace(value)}, nil
	}
	return Credential{}, Unauthenticated("unable to authenticate with provided credentials")
}

// ParseAPIKeyCredential decodes an encoded API key credential (standard
// base64 of "id:secret") as Elasticsearch does: the id is everything before
// the first colon and must not be empty. The error is an
// illegal_argument_exception "invalid ApiKey value".
func ParseAPIKeyCredential(encoded string) (id, secret string, err error) {
	raw, derr := base64.StdEncoding.DecodeString(encoded)
	if derr != nil || encoded == "" {
		return "", "", api.Errorf(api.Invalid, "invalid ApiKey value")
	}
	id, secret, ok := strings.Cut(string(raw), ":")
	if !ok || id == "" {
		return "", "", api.Errorf(api.Invalid, "invalid ApiKey value")
	}
	return id, secret, nil
}
