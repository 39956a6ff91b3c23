// Package auth holds who a caller is and what it may do: the authenticated
// Subject, the credentials a request can carry (Basic, ApiKey, Bearer, or
// the peer of a Unix socket), the built-in roles and the cluster privilege
// model that decides which API key actions a subject may run.
package auth

import (
	"context"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// Realms and authentication types that subjects come from.
var (
	// ReservedRealm holds the bootstrap superuser elastic.
	ReservedRealm = api.Realm{Name: "reserved", Type: "reserved"}
	// NativeRealm holds users created through the user API.
	NativeRealm = api.Realm{Name: "default_native", Type: "native"}
	// OSRealm holds callers identified by their operating system user: the
	// peer of the Unix socket, or the user running apikeyctl --db.
	OSRealm = api.Realm{Name: "os", Type: "os"}
	// APIKeyRealm is the realm of a caller that authenticated with an API key.
	APIKeyRealm = api.Realm{Name: "_es_api_key", Type: "_es_api_key"}
)

// Authentication types, as _authenticate reports them.
const (
	AuthTypeRealm  = "realm"
	AuthTypeAPIKey = "api_key"
	// AuthTypeToken is a caller that authenticated with an OAuth2 access
	// token (Authorization: Bearer).
	AuthTypeToken = "token"
)

// Subject is an authenticated caller.
type Subject struct {
	Username string
	// Roles are the role names of a user (empty for an API key caller).
	Roles    []string
	FullName *string
	Email    *string
	Metadata api.Metadata
	// Realm is where the subject authenticated; for an API key caller it
	// is APIKeyRealm.
	Realm    api.Realm
	AuthType string
	// Descriptors are the resolved role descriptors of a user's roles, in
	// role order: what an API key it creates is limited by.
	Descriptors api.RoleDescriptors
	// APIKey is set when the caller authenticated with an API key.
	APIKey *KeyIdentity
}

// KeyIdentity is the API key a subject authenticated with.
type KeyIdentity struct {
	ID   string
	Name string
	// OwnerRealm is the realm of the key's owner.
	OwnerRealm api.Realm
	// RoleDescriptors are the key's assigned descriptors (may be empty:
	// then the key has its owner's permissions, LimitedBy).
	RoleDescriptors api.RoleDescriptors
	LimitedBy       api.RoleDescriptors
}

// IsAPIKey reports whether the subject authenticated with an API key.
func (s *Subject) IsAPIKey() bool { return s.APIKey != nil }

// OwnerRealm is the realm keys created by the subject are owned in: the
// subject's own realm, or for an API key caller its owner's realm.
func (s *Subject) OwnerRealm() api.Realm {
	if s.APIKey != nil {
		return s.APIKey.OwnerRealm
	}
	return s.Realm
}

type subjectKey struct{}

// WithSubject returns a context that carries the authenticated subject.
func WithSubject(ctx context.Context, s *Subject) context.Context {
	return context.WithValue(ctx, subjectKey{}, s)
}

// SubjectFrom returns the subject a context carries.
func SubjectFrom(ctx context.Context) (*Subject, bool) {
	s, ok := ctx.Value(subjectKey{}).(*Subject)
	return s, ok && s != nil
}

// OSSubject is the superuser identity of an operating system user: the peer
// of the daemon's Unix socket that is root or the daemon's own user, and
// the user running apikeyctl --db. The same person thus owns the same keys
// whichever way they connect.
func OSSubject(username string) *Subject {
	return &Subject{
		Username:    username,
		Roles:       []string{SuperuserRole},
		Metadata:    api.Metadata{},
		Realm:       OSRealm,
		AuthType:    AuthTypeRealm,
		Descriptors: api.RoleDescriptors{{Name: SuperuserRole, Descriptor: SuperuserDescriptor()}},
	}
}
