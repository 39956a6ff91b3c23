package keyservice

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/apikey"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// This file is the token service: the get token and invalidate token APIs
// (OAuth2 access and refresh tokens) and the Bearer credential they give.

// Lifetimes and windows of Elasticsearch's token service.
const (
	// AccessTokenLifetime is how long an access token authenticates
	// (xpack.security.authc.token.timeout, 20 minutes by default).
	AccessTokenLifetime = 20 * time.Minute
	// RefreshTokenLifetime is how long after its creation a refresh token
	// can be used, once (the token documents' maximum lifetime).
	RefreshTokenLifetime = 24 * time.Hour
	// refreshReuseWindow is how long after its use a refresh token gives
	// the same new tokens again, for clients that retry.
	refreshReuseWindow = 30 * time.Second
	// tokenScope is the one scope Elasticsearch issues tokens for.
	tokenScope = "full"
	// bearerPrincipal is how Elasticsearch names the principal of a
	// Bearer credential it could not authenticate.
	bearerPrincipal = "_bearer_token"
)

// tokenGrantTypes lists the grant types in Elasticsearch's message order.
const tokenGrantTypes = "[password, _kerberos, refresh_token, client_credentials]"

// tokenOwner identifies whom a token stands for, or the client that may
// refresh it. It is stored with the token as JSON; the subject is resolved
// again from it whenever the token is used.
type tokenOwner struct {
	Username string    `json:"username"`
	Realm    api.Realm `json:"realm"`
	// APIKeyID is set when the owner authenticated with an API key.
	APIKeyID string `json:"api_key_id,omitempty"`
}

func ownerOf(sub *auth.Subject) tokenOwner {
	o := tokenOwner{Username: sub.Username, Realm: sub.Realm}
	if sub.APIKey != nil {
		o.APIKeyID = sub.APIKey.ID
	}
	return o
}

// sameClient is Elasticsearch's rule for who may refresh a token
// (Authentication.canAccessResourcesOf): the same API key, or the same user
// of the same realm (for native and file realms, of the same realm type).
// A user and an API key never match.
func (o tokenOwner) sameClient(c tokenOwner) bool {
	if o.APIKeyID != "" || c.APIKeyID != "" {
		return o.APIKeyID == c.APIKeyID
	}
	if o.Username != c.Username {
		return false
	}
	if o.Realm.Type == "native" || o.Realm.Type == "file" {
		return o.Realm.Type == c.Realm.Type
	}
	return o.Realm == c.Realm
}

// newTokenString returns a new access or refresh token: 32 random bytes
// as URL-safe base64.
func newTokenString() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// tokenHash is what the store keeps of a token string. A token has 256
// random bits, so an unsalted SHA-256 is as strong as a salted one and can
// be looked up.
func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// invalidGrant is Elasticsearch's refusal of a refresh token.
func invalidGrant(description string) *api.TokenError {
	return &api.TokenError{Code: api.TokenErrInvalidGrant, Description: description}
}

// expiredToken is Elasticsearch's 401 for an expired or invalidated
// access token, with the RFC 6750 challenge it sends alone.
func expiredToken() *api.Error {
	return &api.Error{
		Code:   api.Unauthenticated,
		Reason: "token expired",
		Header: map[string][]string{"WWW-Authenticate": {
			`Bearer realm="security", error="invalid_token", error_description="The access token expired"`,
		}},
	}
}

// validateTokenRequest applies Elasticsearch's CreateTokenRequest rules.
// Its failures are answered in OAuth2's shape: unsupported_grant_type
// when a message names the grant type, invalid_request otherwise.
func validateTokenRequest(req *api.GetTokenRequest) error {
	var v api.Validation
	unsupported := func(grant, field string, value *string) {
		if value != nil {
			v.Add("%s is not supported with the %s grant_type", field, grant)
		}
	}
	required := func(field string, value *string) {
		if value == nil || *value == "" {
			v.Add("%s is missing", field)
		}
	}
	grant := ""
	if req.GrantType != nil {
		grant = *req.GrantType
	}
	switch grant {
	case api.GrantTypePassword:
		unsupported(grant, "kerberos_ticket", req.KerberosTicket)
		unsupported(grant, "refresh_token", req.RefreshToken)
		required("username", req.Username)
		required("password", req.Password)
	case api.GrantTypeKerberos:
		unsupported(grant, "username", req.Username)
		unsupported(grant, "password", req.Password)
		unsupported(grant, "refresh_token", req.RefreshToken)
		required("kerberos_ticket", req.KerberosTicket)
	case api.GrantTypeRefreshToken:
		unsupported(grant, "username", req.Username)
		unsupported(grant, "password", req.Password)
		unsupported(grant, "kerberos_ticket", req.KerberosTicket)
		required("refresh_token", req.RefreshToken)
	case api.GrantTypeClientCredentials:
		unsupported(grant, "username", req.Username)
		unsupported(grant, "password", req.Password)
		unsupported(grant, "kerberos_ticket", req.KerberosTicket)
		unsupported(grant, "refresh_token", req.RefreshToken)
	default:
		v.Add("grant_type only supports the values: %s", tokenGrantTypes)
	}
	err := v.Err()
	if err == nil {
		return nil
	}
	code := api.TokenErrInvalidRequest
	for _, m := range v.Messages() {
		if strings.Contains(m, "grant_type") {
			code = api.TokenErrUnsupportedGrantType
		}
	}
	return &api.TokenError{Code: code, Description: err.(*api.Error).Reason}
}

// GetToken answers POST /_security/oauth2/token: it creates an access
// token (and a refresh token) for a user's password, for the caller
// itself (client_credentials), or in exchange for a refresh token. The
// caller needs manage_token (or manage_security, all).
func (s *Service) GetToken(ctx context.Context, req *api.GetTokenRequest) (*api.GetTokenResponse, error) {
	sub, err := s.subject(ctx)
	if err != nil {
		return nil, err
	}
	if err := validateTokenRequest(req); err != nil {
		return nil, err
	}
	grant := *req.GrantType
	action := auth.ActionCreateToken
	if grant == api.GrantTypeRefreshToken {
		action = auth.ActionRefreshToken
	}
	if _, err := s.require(ctx, sub, action, auth.Granted); err != nil {
		return nil, err
	}
	var resp *api.GetTokenResponse
	switch grant {
	case api.GrantTypePassword:
		resp, err = s.passwordToken(ctx, sub, *req.Username, *req.Password)
	case api.GrantTypeClientCredentials:
		resp, err = s.issueToken(ctx, sub, sub, false)
	case api.GrantTypeRefreshToken:
		resp, err = s.refreshToken(ctx, sub, *req.RefreshToken)
	default:
		// _kerberos: there is no Kerberos realm to take the ticket, so it
		// fails as Elasticsearch fails a credential no realm supports.
		err = s.grantAuthFailed(ctx, "<Kerberos Token>", "no realm supports Kerberos tickets")
	}
	if err != nil {
		return nil, err
	}
	if req.Scope != nil {
		resp.Scope = tokenScope
	}
	s.audit(ctx, AuditEvent{Action: AuditCreateToken, Request: action, Subject: sub, Names: []string{resp.Authentication.Username}})
	return resp, nil
}

// grantAuthFailed audits and returns Elasticsearch's 401 for grant
// credentials that did not authenticate.
func (s *Service) grantAuthFailed(ctx context.Context, principal, why string) error {
	err := auth.Unauthenticated(fmt.Sprintf("unable to authenticate user [%s] for action [%s]", principal, auth.ActionCreateToken))
	s.audit(ctx, AuditEvent{Action: AuditAuthFailed, Request: auth.ActionCreateToken, Principal: principal, Reason: why})
	return err
}

// passwordToken authenticates a user by password and gives it a token
// pair that client may refresh.
func (s *Service) passwordToken(ctx context.Context, client *auth.Subject, username, password string) (*api.GetTokenResponse, error) {
	user, err := s.authenticateUser(ctx, username, password)
	if api.ErrorCode(err) == api.Unauthenticated {
		return nil, s.grantAuthFailed(ctx, username, "invalid username or password")
	}
	if err != nil {
		return nil, err
	}
	s.audit(ctx, AuditEvent{Action: AuditAuthSuccess, Request: auth.ActionCreateToken, Subject: user})
	return s.issueToken(ctx, user, client, true)
}

// issueToken stores a new token standing for owner, with a refresh token
// that client may use when withRefresh, and returns it once.
func (s *Service) issueToken(ctx context.Context, owner, client *auth.Subject, withRefresh bool) (*api.GetTokenResponse, error) {
	now := s.now()
	access := newTokenString()
	t := &store.Token{
		ID:         apikey.NewID(),
		AccessHash: tokenHash(access),
		Creation:   now.UnixMilli(),
		Expiration: now.Add(AccessTokenLifetime).UnixMilli(),
		Principal:  owner.Username,
		Realm:      owner.Realm.Name,
	}
	var err error
	if t.Subject, err = json.Marshal(ownerOf(owner)); err != nil {
		return nil, s.internal("encode token owner", err)
	}
	var refresh string
	if withRefresh {
		refresh = newTokenString()
		t.RefreshHash = tokenHash(refresh)
		if t.Client, err = json.Marshal(ownerOf(client)); err != nil {
			return nil, s.internal("encode token client", err)
		}
	}
	if err := s.store.Update(ctx, func(w store.Writer) error { return w.InsertToken(ctx, t) }); err != nil {
		return nil, s.internal("create token", err)
	}
	return s.tokenResponse(ctx, access, refresh, owner)
}

// tokenResponse is the answer that shows a new token pair once.
func (s *Service) tokenResponse(ctx context.Context, access, refresh string, owner *auth.Subject) (*api.GetTokenResponse, error) {
	who, err := s.Authenticate(auth.WithSubject(ctx, owner))
	if err != nil {
		return nil, err
	}
	return &api.GetTokenResponse{
		AccessToken:    access,
		Type:           api.TokenType,
		ExpiresIn:      int64(AccessTokenLifetime / time.Second),
		RefreshToken:   refresh,
		Authentication: *who,
	}, nil
}

// tokenSubject resolves whom a token stands for, now: a user must still
// exist and be enabled (its roles are resolved afresh, as for Basic), an
// API key must still be valid. It returns nil when the owner is gone.
func (s *Service) tokenSubject(ctx context.Context, r store.Reader, o tokenOwner) (*auth.Subject, error) {
	var sub *auth.Subject
	switch {
	case o.APIKeyID != "":
		k, err := r.GetAPIKey(ctx, o.APIKeyID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		if k.Invalidated || k.Type != api.TypeRest || (k.Expiration != nil && *k.Expiration <= s.nowMillis()) {
			return nil, nil
		}
		if sub, err = s.keySubject(k); err != nil {
			return nil, err
		}
	case o.Realm == auth.OSRealm:
		sub = auth.OSSubject(o.Username)
	default:
		u, err := r.GetUser(ctx, o.Username)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		if !u.Enabled {
			return nil, nil
		}
		if sub, err = userSubject(ctx, r, u); err != nil {
			return nil, err
		}
		if sub.Realm != o.Realm {
			return nil, nil
		}
	}
	sub.AuthType = auth.AuthTypeToken
	return sub, nil
}

// authenticateToken checks an access token and returns whom it stands
// for, with authentication type token.
func (s *Service) authenticateToken(ctx context.Context, token string) (*auth.Subject, error) {
	var sub *auth.Subject
	var refused error
	err := s.store.View(ctx, func(r store.Reader) error {
		sub, refused = nil, nil
		t, err := r.GetTokenByAccessHash(ctx, tokenHash(token))
		if errors.Is(err, store.ErrNotFound) {
			refused = refuse(AuthUnknownToken, unsuccessful("oauth2 token: invalid token"))
			return nil
		}
		if err != nil {
			return err
		}
		if t.Invalidated {
			refused = refuse(AuthInvalidated, expiredToken())
			return nil
		}
		if s.nowMillis() > t.Expiration {
			refused = refuse(AuthExpired, expiredToken())
			return nil
		}
		var o tokenOwner
		if err := json.Unmarshal(t.Subject, &o); err != nil {
			return fmt.Errorf("token %s: decode owner: %w", t.ID, err)
		}
		if sub, err = s.tokenSubject(ctx, r, o); err != nil {
			return err
		}
		if sub == nil {
			refused = refuse(AuthUnknownToken, unsuccessful("oauth2 token: invalid token"))
		}
		return nil
	})
	if err != nil {
		return nil, s.internal("authenticate token", err)
	}
	if refused != nil {
		return nil, refused
	}
	return sub, nil
}

// SubjectForAccessToken authenticates an OAuth2 access token, as the
// grant API's access_token grant needs: it is AuthenticateCredential with
// a Bearer credential (audited the same way), so it returns the token's
// subject with authentication type token, or the 401 of a Bearer header:
// "token expired" for an expired or invalidated token, and the
// unsuccessful-credentials 401 ("oauth2 token: invalid token") for an
// unknown one or one whose user or API key is gone.
func (s *Service) SubjectForAccessToken(ctx context.Context, token string) (*auth.Subject, error) {
	return s.AuthenticateCredential(ctx, auth.Credential{Scheme: auth.SchemeBearer, Token: token})
}
