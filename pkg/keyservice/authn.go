package keyservice

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// BootstrapUser is the superuser created on first start.
const BootstrapUser = "elastic"

// Bootstrap creates the reserved superuser elastic when it does not exist
// yet. Its password is password, or a generated one when password is
// empty; generated is returned only in that case, to be shown once.
func (s *Service) Bootstrap(ctx context.Context, password string) (created bool, generated string, err error) {
	if password == "" {
		b := make([]byte, 15)
		if _, err := rand.Read(b); err != nil {
			return false, "", err
		}
		generated = base64.RawURLEncoding.EncodeToString(b)
		password = generated
	} else if len(password) < minPasswordLength {
		return false, "", fmt.Errorf("bootstrap password: passwords must be at least [%d] characters long", minPasswordLength)
	}
	hash, err := s.pwHasher.Hash(password)
	if err != nil {
		return false, "", err
	}
	err = s.store.Update(ctx, func(w store.Writer) error {
		_, err := w.GetUser(ctx, BootstrapUser)
		if err == nil {
			return nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		created = true
		_, err = w.PutUser(ctx, &store.User{
			Username:     BootstrapUser,
			PasswordHash: hash,
			Roles:        []string{auth.SuperuserRole},
			Metadata:     json.RawMessage(`{"_reserved":true}`),
			Enabled:      true,
			Reserved:     true,
		})
		return err
	})
	if err != nil || !created {
		return false, "", err
	}
	return true, generated, nil
}

// unsuccessful is the 401 Elasticsearch answers when a credential did not
// authenticate, naming why in additional_unsuccessful_credentials.
func unsuccessful(detail string) *api.Error {
	e := auth.Unauthenticated("unable to authenticate with provided credentials and anonymous access is not allowed for this request")
	e.Fields = map[string]any{"additional_unsuccessful_credentials": detail}
	return e
}

// AuthenticateCredential checks a request's credential and returns the
// subject it proves. This is the one hot path of every authenticated
// request. Every outcome is audited (authentication_success or
// authentication_failed), naming the user or key id, never the secret.
// Failures are braked per client address and per principal (see
// FailureLimit).
func (s *Service) AuthenticateCredential(ctx context.Context, cred auth.Credential) (*auth.Subject, error) {
	return s.authenticateAudited(ctx, cred, nil)
}

// AuthenticateSecondary checks the credential of a request's
// es-secondary-authorization header, as Elasticsearch's
// SecondaryAuthenticator does after the caller in ctx (the primary
// subject) authenticated: the header has the syntax of Authorization
// (Basic, ApiKey, Bearer), is authenticated exactly as a primary
// credential would be (the same caches, the same brake on failures, a
// cross-cluster key refused alike), never falls back to anonymous, and is
// audited naming both subjects. An empty header is no secondary
// credential: (nil, nil). A credential that does not authenticate fails
// the whole request with Elasticsearch's "Failed to authenticate secondary
// user", the primary's failure as its cause.
func (s *Service) AuthenticateSecondary(ctx context.Context, header string) (*auth.Subject, error) {
	cred, err := auth.ParseAuthorization(strings.TrimSpace(header))
	if err == nil && cred.Scheme == auth.SchemeNone {
		return nil, nil
	}
	var sub *auth.Subject
	if err == nil {
		primary, _ := auth.SubjectFrom(ctx)
		sub, err = s.authenticateAudited(ctx, cred, primary)
	}
	if e, ok := api.AsError(err); ok && (e.Code == api.Unauthenticated || e.Code == api.TooManyRequests) {
		return nil, secondaryFailure(e)
	}
	return sub, err
}

// secondaryFailure is Elasticsearch's ElasticsearchSecurityException
// "Failed to authenticate secondary user" around the failure of the
// secondary credential: the status of its cause, the cause as caused_by
// and as root_cause (Elasticsearch's guessRootCauses descends into it),
// and, as Elasticsearch copies only the top exception's headers to the
// response, no WWW-Authenticate header of its own: the challenges stay
// in the cause's "header" field of the body. A throttled credential's
// Retry-After is kept, so that clients still wait.
func secondaryFailure(cause *api.Error) *api.Error {
	roots := cause.RootCause
	if len(roots) == 0 {
		roots = []*api.Error{cause}
	}
	e := &api.Error{Code: cause.Code, Reason: "Failed to authenticate secondary user", Cause: cause, RootCause: roots}
	if e.Code != api.Unauthenticated {
		e.Type = api.Unauthenticated.Type()
	}
	if v, ok := cause.Header["Retry-After"]; ok {
		e.Header = map[string][]string{"Retry-After": v}
	}
	return e
}

// authenticateAudited is AuthenticateCredential for the primary
// credential (primary nil) and for the secondary credential of primary's
// request: braked, audited, a failure counted against the client and the
// principal either way.
func (s *Service) authenticateAudited(ctx context.Context, cred auth.Credential, primary *auth.Subject) (*auth.Subject, error) {
	var sub *auth.Subject
	var err error
	if wait := s.throttle.wait(ctx, cred); wait > 0 {
		sub, err = s.authenticateWithoutSlowHash(ctx, cred)
		err = brakedOutcome(wait, sub, err)
	} else {
		sub, err = s.authenticateCredential(ctx, cred)
	}
	// A refusal answers as its api.Error; its reason is the audit log's,
	// its class the metrics'. (Looked for only on a failure: a success
	// costs no allocation.)
	var reason string
	class := AuthInvalidCredentials
	if err != nil {
		var rf *refusal
		if errors.As(err, &rf) {
			reason, err = rf.reason, rf.answer
			if rf.class != "" {
				class = rf.class
			}
		}
	}
	s.countAuthentication(cred, class, err)
	switch e, ok := api.AsError(err); {
	case err == nil:
		s.noteUse(ctx, sub)
		s.audit(ctx, AuditEvent{Action: AuditAuthSuccess, Subject: sub, Primary: primary})
	case ok && (e.Code == api.Unauthenticated || e.Code == api.TooManyRequests):
		s.throttle.fail(clientName(ctx), principalName(cred))
		var who string
		switch cred.Scheme {
		case auth.SchemeBasic:
			who = cred.Username
		case auth.SchemeAPIKey:
			who = cred.KeyID
		case auth.SchemeBearer:
			who = bearerPrincipal
		}
		if reason == "" {
			reason = e.Error()
			if detail, ok := e.Fields["additional_unsuccessful_credentials"]; ok {
				reason += fmt.Sprintf(" (%v)", detail)
			}
		}
		s.audit(ctx, AuditEvent{Action: AuditAuthFailed, Principal: who, Reason: reason, Primary: primary})
	}
	return sub, err
}

// authenticateWithoutSlowHash authenticates a credential of a throttled
// client or principal, if that takes no slow hash: a password verified
// before (the user cache, or the secret cache against the user's hash), an
// API key with a fast hash or a secret the cache verified. It returns
// (nil, nil) when it cannot tell.
func (s *Service) authenticateWithoutSlowHash(ctx context.Context, cred auth.Credential) (*auth.Subject, error) {
	switch cred.Scheme {
	case auth.SchemeBasic:
		gen, err := s.store.Generation(ctx)
		if err != nil {
			return nil, s.internal("authenticate user", err)
		}
		if sub, ok := s.caches.user(cred.Username, cred.Password, gen); ok {
			return sub, nil
		}
		// A write since cleared the user cache; the password may still be
		// known against the user's hash.
		var known bool
		err = s.store.View(ctx, func(r store.Reader) error {
			u, err := r.GetUser(ctx, cred.Username)
			if errors.Is(err, store.ErrNotFound) {
				known = false
				return nil
			}
			if err != nil {
				return err
			}
			known = s.secrets.known(userCacheID(u.Username), u.PasswordHash)
			return nil
		})
		if err != nil {
			return nil, s.internal("authenticate user", err)
		}
		if !known {
			return nil, nil
		}
	case auth.SchemeAPIKey:
		rec, err := s.keyRecord(ctx, cred.KeyID)
		if err != nil {
			return nil, s.internal("authenticate api key", err)
		}
		if rec == nil || !s.secrets.known(rec.key.ID, rec.key.Hash) {
			return nil, nil
		}
	}
	return s.authenticateCredential(ctx, cred)
}

func (s *Service) authenticateCredential(ctx context.Context, cred auth.Credential) (*auth.Subject, error) {
	switch cred.Scheme {
	case auth.SchemeBasic:
		return s.authenticateUser(ctx, cred.Username, cred.Password)
	case auth.SchemeAPIKey:
		return s.authenticateAPIKey(ctx, cred.KeyID, cred.KeySecret)
	case auth.SchemeBearer:
		return s.authenticateToken(ctx, cred.Token)
	}
	return nil, auth.ErrMissingCredentials()
}

func (s *Service) authenticateUser(ctx context.Context, username, password string) (*auth.Subject, error) {
	gen, err := s.store.Generation(ctx)
	if err != nil {
		return nil, s.internal("authenticate user", err)
	}
	if sub, ok := s.caches.user(username, password, gen); ok {
		return sub, nil
	}
	// The user and its subject are read first; the password, a slow
	// hash, is checked after the read transaction, in one of the bounded
	// slots of slow work.
	var sub *auth.Subject
	var hash string
	err = s.store.View(ctx, func(r store.Reader) error {
		sub, hash = nil, ""
		u, err := r.GetUser(ctx, username)
		if errors.Is(err, store.ErrNotFound) || (err == nil && !u.Enabled) {
			return nil
		}
		if err != nil {
			return err
		}
		hash = u.PasswordHash
		sub, err = userSubject(ctx, r, u)
		return err
	})
	if err != nil {
		return nil, s.internal("authenticate user", err)
	}
	if sub != nil {
		id := userCacheID(username)
		if !s.secrets.known(id, hash) {
			release, err := s.slow.acquire(ctx)
			if err != nil {
				return nil, err
			}
			defer release()
		}
		if !s.secrets.verify(id, hash, password) {
			sub = nil
		}
	}
	if sub == nil {
		return nil, auth.Unauthenticated(fmt.Sprintf("unable to authenticate user [%s] for REST request", username))
	}
	s.caches.users.put(username, gen, &userRecord{digest: s.caches.passwordDigest(username, password), subject: sub})
	return sub, nil
}

// userSubject builds the subject of a stored user, resolving its roles.
func userSubject(ctx context.Context, r store.Reader, u *store.User) (*auth.Subject, error) {
	descs, err := resolveRoles(ctx, r, u.Roles)
	if err != nil {
		return nil, err
	}
	md, err := decodeObject(u.Metadata)
	if err != nil {
		return nil, err
	}
	realm := auth.NativeRealm
	if u.Reserved {
		realm = auth.ReservedRealm
	}
	return &auth.Subject{
		Username:    u.Username,
		Roles:       u.Roles,
		FullName:    u.FullName,
		Email:       u.Email,
		Metadata:    md,
		Realm:       realm,
		AuthType:    auth.AuthTypeRealm,
		Descriptors: descs,
	}, nil
}

// resolveRoles turns role names into descriptors; unknown roles grant
// nothing, as in Elasticsearch.
func resolveRoles(ctx context.Context, r store.Reader, names []string) (api.RoleDescriptors, error) {
	out := api.RoleDescriptors{}
	for _, name := range names {
		if d, ok := auth.BuiltinRoles().Get(name); ok {
			out = append(out, api.NamedRoleDescriptor{Name: name, Descriptor: d})
			continue
		}
		role, err := r.GetRole(ctx, name)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		var d api.RoleDescriptor
		if err := json.Unmarshal(role.Descriptor, &d); err != nil {
			return nil, fmt.Errorf("role %s: %w", name, err)
		}
		d.Description = ""
		out = append(out, api.NamedRoleDescriptor{Name: name, Descriptor: d})
	}
	return out, nil
}

// authenticateAPIKey validates a key credential in Elasticsearch's order:
// existence, then the checks of keyChecks; then apikeyd's allowed
// networks (checkNetwork), refused as a wrong secret is.
func (s *Service) authenticateAPIKey(ctx context.Context, id, secret string) (*auth.Subject, error) {
	rec, err := s.keyRecord(ctx, id)
	if err != nil {
		return nil, s.internal("authenticate api key", err)
	}
	if rec == nil {
		return nil, &refusal{answer: keyNotFound(id), class: AuthUnknownKey}
	}
	if !s.secrets.known(rec.key.ID, rec.key.Hash) {
		release, err := s.slow.acquire(ctx)
		if err != nil {
			return nil, err
		}
		defer release()
	}
	if problem, c := s.failedCheck(rec.key, secret); c != nil {
		return nil, &refusal{answer: keyRefusal(problem, c.standalone), class: c.class}
	}
	if rec.subjectErr != nil {
		return nil, s.internal("authenticate api key", rec.subjectErr)
	}
	o, _ := auth.OriginFrom(ctx)
	if err := checkNetwork(rec.networks, o); err != nil {
		return nil, networkRefusal(id, err)
	}
	return rec.subject, nil
}

// keyNotFound is the 401 of a credential whose key does not exist.
func keyNotFound(id string) *api.Error {
	return unsuccessful("API key: unable to find apikey with id " + id)
}

// keyRefusal is the 401 of a key that failed a check of keyChecks with
// problem: an unsuccessful credential, or, for a standalone check, a 401
// of its own.
func keyRefusal(problem string, standalone bool) *api.Error {
	if standalone {
		return auth.Unauthenticated(problem)
	}
	return unsuccessful("API key: " + problem)
}

// brakedOutcome is the outcome of an attempt made while the brake on
// failures holds it for wait: the outcome of authenticating it without a
// slow hash (sub, err; both nil when that could not tell), a failure to
// authenticate becoming the 429.
func brakedOutcome(wait time.Duration, sub *auth.Subject, err error) error {
	if sub == nil && (err == nil || api.ErrorCode(err) == api.Unauthenticated) {
		return tooManyFailures(wait)
	}
	return err
}

// maxKeyIDLength bounds the ids a key can have: apikeyd makes 20
// characters, as Elasticsearch does.
const maxKeyIDLength = 64

// keyRecord returns the record of the key id, from the cache while the
// store's generation is the one it was read at, or nil when there is no
// such key.
func (s *Service) keyRecord(ctx context.Context, id string) (*keyRecord, error) {
	if len(id) > maxKeyIDLength {
		// No key has such an id; remembering it as missing would let
		// anyone fill the cache with long strings.
		return nil, nil
	}
	gen, err := s.store.Generation(ctx)
	if err != nil {
		return nil, err
	}
	if rec, ok := s.caches.keys.get(id, gen); ok {
		return rec, nil
	}
	if _, ok := s.caches.missing.get(id, gen); ok {
		return nil, nil
	}
	var k *store.APIKey
	err = s.store.View(ctx, func(r store.Reader) error {
		var err error
		k, err = r.GetAPIKey(ctx, id)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		s.caches.missing.put(id, gen, struct{}{})
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	// The record keeps what the credential check reads, and the subject,
	// whose descriptors keys of one owner share: tens of thousands of
	// records stay a few megabytes.
	rec := &keyRecord{key: &store.APIKey{ID: k.ID, Name: k.Name, Type: k.Type, Expiration: k.Expiration,
		Invalidated: k.Invalidated, Hash: k.Hash}}
	rec.subject, rec.subjectErr = s.keySubject(k)
	if rec.subjectErr == nil {
		rec.networks, rec.subjectErr = storedNetworks(k.AllowedNetworks)
	}
	s.caches.keys.put(id, gen, rec)
	return rec, nil
}

// keyCheck is one check of an API key credential, made once the key was
// found. Authentication (and clone's check of its source credential)
// stops at the first that fails; explain makes each and says what it
// found, so that the two never disagree.
type keyCheck struct {
	// name names the check in an explanation.
	name string
	// problem is what is wrong with the key for a credential with this
	// secret, as Elasticsearch words it; "" when the check passes.
	problem func(s *Service, k *store.APIKey, secret string) string
	// standalone marks a check whose failure Elasticsearch reports as a
	// 401 of its own rather than as an unsuccessful credential.
	standalone bool
	// class is the metrics' class of a failure (AuthInvalidated …).
	class string
	// explain says what the check found, passed or not, and the instant
	// it concerns (nil for none).
	explain func(s *Service, k *store.APIKey, passed bool) (string, *int64)
}

// keyChecks are the checks of a found key in Elasticsearch's order:
// invalidation, secret, type, expiry. A restriction that only some keys
// carry (such as the client networks a key may be used from) is one more
// entry here, whose problem passes the keys without it; explainAPIKey
// then lists it only for the keys that carry it.
var keyChecks = []keyCheck{
	{
		name: api.CheckInvalidated,
		problem: func(_ *Service, k *store.APIKey, _ string) string {
			if k.Invalidated {
				return fmt.Sprintf("api key [%s] has been invalidated", k.ID)
			}
			return ""
		},
		class:   AuthInvalidated,
		explain: explainInvalidated,
	},
	{
		name: api.CheckSecret,
		problem: func(s *Service, k *store.APIKey, secret string) string {
			if !s.secrets.verify(k.ID, k.Hash, secret) {
				return fmt.Sprintf("invalid credentials for API key [%s]", k.ID)
			}
			return ""
		},
		class:   AuthWrongSecret,
		explain: explainSecret,
	},
	{
		name: api.CheckType,
		problem: func(_ *Service, k *store.APIKey, _ string) string {
			if k.Type != api.TypeRest {
				return fmt.Sprintf("authentication expected API key type of [rest], but API key [%s] has type [%s]", k.ID, k.Type)
			}
			return ""
		},
		standalone: true,
		class:      AuthWrongType,
		explain:    explainType,
	},
	{
		name: api.CheckExpiration,
		problem: func(s *Service, k *store.APIKey, _ string) string {
			if k.Expiration != nil && *k.Expiration <= s.nowMillis() {
				return "api key is expired"
			}
			return ""
		},
		class:   AuthExpired,
		explain: explainExpiration,
	},
}

// credentialProblem checks a key credential with keyChecks, after the key
// was found. It returns what is wrong ("" when nothing is), and whether
// the failed check is standalone (see keyCheck).
func (s *Service) credentialProblem(k *store.APIKey, secret string) (problem string, standalone bool) {
	if p, c := s.failedCheck(k, secret); c != nil {
		return p, c.standalone
	}
	return "", false
}

// failedCheck is the first check of keyChecks the credential fails, and
// what is wrong; nil when it passes them all.
func (s *Service) failedCheck(k *store.APIKey, secret string) (string, *keyCheck) {
	for i := range keyChecks {
		if p := keyChecks[i].problem(s, k, secret); p != "" {
			return p, &keyChecks[i]
		}
	}
	return "", nil
}

// keySubject is the identity an API key authenticates as: its owner, as
// captured in the key, in the _es_api_key realm.
// Its descriptors are decoded once per distinct JSON and shared by every
// subject that has them (read-only, like the subject itself).
func (s *Service) keySubject(k *store.APIKey) (*auth.Subject, error) {
	rds, err := s.caches.descriptors(k.RoleDescriptors)
	if err != nil {
		return nil, err
	}
	limited, err := s.caches.descriptors(k.LimitedBy)
	if err != nil {
		return nil, err
	}
	md, err := decodeObject(k.Creator.Metadata)
	if err != nil {
		return nil, err
	}
	return &auth.Subject{
		Username: k.Creator.Principal,
		Roles:    []string{},
		FullName: k.Creator.FullName,
		Email:    k.Creator.Email,
		Metadata: md,
		Realm:    auth.APIKeyRealm,
		AuthType: auth.AuthTypeAPIKey,
		APIKey: &auth.KeyIdentity{
			ID:              k.ID,
			Name:            k.Name,
			OwnerRealm:      api.Realm{Name: k.Creator.Realm, Type: k.Creator.RealmType},
			RoleDescriptors: rds,
			LimitedBy:       limited,
		},
	}, nil
}

// Authenticate answers GET /_security/_authenticate for the caller.
func (s *Service) Authenticate(ctx context.Context) (*api.AuthenticateResponse, error) {
	sub, err := s.subject(ctx)
	if err != nil {
		return nil, err
	}
	md := sub.Metadata
	if md == nil {
		md = api.Metadata{}
	}
	roles := sub.Roles
	if roles == nil {
		roles = []string{}
	}
	resp := &api.AuthenticateResponse{
		Username:            sub.Username,
		Roles:               roles,
		FullName:            sub.FullName,
		Email:               sub.Email,
		Metadata:            md,
		Enabled:             true,
		AuthenticationRealm: sub.Realm,
		LookupRealm:         sub.Realm,
		AuthenticationType:  sub.AuthType,
	}
	if sub.APIKey != nil {
		resp.APIKey = &api.AuthenticatedAPIKey{ID: sub.APIKey.ID, Name: sub.APIKey.Name, ManagedBy: "elasticsearch"}
	}
	return resp, nil
}
