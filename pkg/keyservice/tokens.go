package keyservice

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
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

// refreshToken exchanges a refresh token for a new token pair, once; in
// the 30 seconds after that, the same refresh token gives the same pair
// again, as Elasticsearch does for clients that retry.
func (s *Service) refreshToken(ctx context.Context, client *auth.Subject, refreshToken string) (*api.GetTokenResponse, error) {
	now := s.now()
	nowMillis := now.UnixMilli()
	// Everything random is drawn before the transaction, which may run
	// more than once.
	newAccess, newRefresh, newID := newTokenString(), newTokenString(), apikey.NewID()
	nonce := make([]byte, 12)
	salt := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		return nil, s.internal("refresh token", err)
	}
	if _, err := rand.Read(salt); err != nil {
		return nil, s.internal("refresh token", err)
	}
	clientJSON, err := json.Marshal(ownerOf(client))
	if err != nil {
		return nil, s.internal("encode token client", err)
	}
	var (
		access, refresh string
		owner           *auth.Subject
	)
	err = s.store.Update(ctx, func(w store.Writer) error {
		t, err := w.GetTokenByRefreshHash(ctx, tokenHash(refreshToken))
		if errors.Is(err, store.ErrNotFound) {
			return invalidGrant("could not refresh the requested token")
		}
		if err != nil {
			return err
		}
		var creator, stands tokenOwner
		if err := json.Unmarshal(t.Client, &creator); err != nil {
			return fmt.Errorf("token %s: decode client: %w", t.ID, err)
		}
		if err := json.Unmarshal(t.Subject, &stands); err != nil {
			return fmt.Errorf("token %s: decode owner: %w", t.ID, err)
		}
		switch {
		case nowMillis > t.Creation+RefreshTokenLifetime.Milliseconds():
			return invalidGrant("token document has expired")
		case t.RefreshInvalidated:
			return invalidGrant("token has been invalidated")
		case !ownerOf(client).sameClient(creator):
			return invalidGrant("tokens must be refreshed by the creating client")
		}
		if owner, err = s.tokenSubject(ctx, w, stands); err != nil {
			return err
		}
		if owner == nil {
			return invalidGrant("could not refresh the requested token")
		}
		if t.Refreshed {
			access, refresh, err = s.reuseRefresh(ctx, w, t, refreshToken, nowMillis)
			return err
		}
		sealed, err := sealSuperseding(refreshToken, t.ID, newAccess, newRefresh, salt, nonce)
		if err != nil {
			return err
		}
		t.Refreshed, t.RefreshTime, t.Superseding = true, &nowMillis, sealed
		if err := w.UpdateToken(ctx, t); err != nil {
			return err
		}
		next := &store.Token{
			ID:          newID,
			AccessHash:  tokenHash(newAccess),
			RefreshHash: tokenHash(newRefresh),
			Creation:    nowMillis,
			Expiration:  now.Add(AccessTokenLifetime).UnixMilli(),
			Principal:   t.Principal,
			Realm:       t.Realm,
			Subject:     t.Subject,
			Client:      clientJSON,
		}
		access, refresh = newAccess, newRefresh
		return w.InsertToken(ctx, next)
	})
	if err != nil {
		var te *api.TokenError
		if errors.As(err, &te) {
			return nil, te
		}
		return nil, s.internal("refresh token", err)
	}
	return s.tokenResponse(ctx, access, refresh, owner)
}

// reuseRefresh answers a refresh token used again: inside the window, with
// the tokens its first use created (decrypted with a key derived from the
// refresh token itself, which the store never sees); outside, not at all.
func (s *Service) reuseRefresh(ctx context.Context, w store.Writer, t *store.Token, refreshToken string, nowMillis int64) (string, string, error) {
	window := refreshReuseWindow.Milliseconds()
	switch {
	case t.RefreshTime == nil:
		return "", "", invalidGrant("token has already been refreshed")
	case nowMillis > *t.RefreshTime+window:
		return "", "", invalidGrant("token has already been refreshed more than 30 seconds in the past")
	case nowMillis < *t.RefreshTime-window:
		return "", "", invalidGrant("token has been refreshed more than 30 seconds in the future, clock skew too great")
	}
	access, refresh, err := openSuperseding(refreshToken, t.ID, t.Superseding)
	if err != nil {
		s.log.Warn("cannot read the tokens that superseded a refreshed token", "token_id", t.ID, "err", err)
		return "", "", invalidGrant("could not refresh the requested token")
	}
	if _, err := w.GetTokenByAccessHash(ctx, tokenHash(access)); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return "", "", invalidGrant("could not refresh the requested token")
		}
		return "", "", err
	}
	return access, refresh, nil
}

// supersedingKey derives the key that seals the tokens superseding a
// refreshed one from its refresh token.
func supersedingKey(refreshToken string, salt []byte) ([]byte, error) {
	return hkdf.Key(sha256.New, []byte(refreshToken), salt, "apikeyd superseding tokens", 32)
}

// sealSuperseding encrypts the new token pair of a refresh (AES-256-GCM,
// bound to the refreshed token's id), so that only a holder of the
// refresh token can read it back.
func sealSuperseding(refreshToken, tokenID, access, refresh string, salt, nonce []byte) (string, error) {
	key, err := supersedingKey(refreshToken, salt)
	if err != nil {
		return "", err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return "", err
	}
	sealed := gcm.Seal(nil, nonce, []byte(access+"|"+refresh), []byte(tokenID))
	out := make([]byte, 0, len(salt)+len(nonce)+len(sealed))
	out = append(append(append(out, salt...), nonce...), sealed...)
	return base64.StdEncoding.EncodeToString(out), nil
}

// openSuperseding reverses sealSuperseding.
func openSuperseding(refreshToken, tokenID, sealed string) (access, refresh string, err error) {
	raw, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil {
		return "", "", err
	}
	const saltLen, nonceLen = 16, 12
	if len(raw) < saltLen+nonceLen {
		return "", "", errors.New("sealed tokens too short")
	}
	key, err := supersedingKey(refreshToken, raw[:saltLen])
	if err != nil {
		return "", "", err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", "", err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return "", "", err
	}
	plain, err := gcm.Open(nil, raw[saltLen:saltLen+nonceLen], raw[saltLen+nonceLen:], []byte(tokenID))
	if err != nil {
		return "", "", err
	}
	access, refresh, ok := strings.Cut(string(plain), "|")
	if !ok {
		return "", "", errors.New("sealed tokens malformed")
	}
	return access, refresh, nil
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
		if sub, err = keySubject(k); err != nil {
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
			refused = unsuccessful("oauth2 token: invalid token")
			return nil
		}
		if err != nil {
			return err
		}
		if t.Invalidated || s.nowMillis() > t.Expiration {
			refused = expiredToken()
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
			refused = unsuccessful("oauth2 token: invalid token")
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

// InvalidateToken answers DELETE /_security/oauth2/token: it invalidates
// one access token, one refresh token, or every active token of a realm
// and/or user, in one transaction. The caller needs manage_token (or
// manage_security, all).
func (s *Service) InvalidateToken(ctx context.Context, req *api.InvalidateTokenRequest) (*api.InvalidateTokenResponse, error) {
	sub, err := s.subject(ctx)
	if err != nil {
		return nil, err
	}
	if err := api.CheckInvalidateTokenRequest(req); err != nil {
		return nil, err
	}
	byOwner := strings.TrimSpace(req.RealmName) != "" || strings.TrimSpace(req.Username) != ""
	var v api.Validation
	switch {
	case byOwner && (req.Token != "" || req.RefreshToken != ""):
		v.Add("token string must not be provided when realm name or username is specified")
		v.Add("token type must not be provided when realm name or username is specified")
	case !byOwner && req.Token == "" && req.RefreshToken == "":
		v.Add("token string must be provided when not specifying a realm name or a username")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if _, err := s.require(ctx, sub, auth.ActionInvalidateToken, auth.Granted); err != nil {
		return nil, err
	}
	nowMillis := s.nowMillis()
	resp := &api.InvalidateTokenResponse{}
	err = s.store.Update(ctx, func(w store.Writer) error {
		*resp = api.InvalidateTokenResponse{}
		var tokens []*store.Token
		switch {
		case byOwner:
			found, err := w.FindTokens(ctx, store.TokenFilter{
				Realm:        req.RealmName,
				Principal:    req.Username,
				ActiveAt:     nowMillis,
				RefreshSince: nowMillis - RefreshTokenLifetime.Milliseconds(),
			})
			if err != nil {
				return err
			}
			tokens = found
		default:
			get, hash := w.GetTokenByAccessHash, tokenHash(req.Token)
			if req.RefreshToken != "" {
				get, hash = w.GetTokenByRefreshHash, tokenHash(req.RefreshToken)
			}
			t, err := get(ctx, hash)
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			tokens = []*store.Token{t}
		}
		for _, t := range tokens {
			changed := false
			// Refresh tokens first, as Elasticsearch does, so that none
			// can mint a new access token meanwhile; then access tokens.
			if (byOwner && t.RefreshHash != "") || req.RefreshToken != "" {
				count(resp, &t.RefreshInvalidated, &changed)
			}
			if byOwner || req.Token != "" {
				count(resp, &t.Invalidated, &changed)
			}
			if changed {
				if err := w.UpdateToken(ctx, t); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, s.internal("invalidate tokens", err)
	}
	var names []string
	if req.RealmName != "" {
		names = append(names, "realm_name="+req.RealmName)
	}
	if req.Username != "" {
		names = append(names, "username="+req.Username)
	}
	s.audit(ctx, AuditEvent{
		Action: AuditInvalidateTokens, Request: auth.ActionInvalidateToken, Subject: sub, Names: names,
		Reason: fmt.Sprintf("invalidated %d, previously invalidated %d", resp.InvalidatedTokens, resp.PreviouslyInvalidatedTokens),
	})
	s.afterInvalidation()
	return resp, nil
}

// count invalidates one token of a pair, counting it as invalidated or,
// when it already was, as previously invalidated.
func count(resp *api.InvalidateTokenResponse, invalidated, changed *bool) {
	if *invalidated {
		resp.PreviouslyInvalidatedTokens++
		return
	}
	*invalidated, *changed = true, true
	resp.InvalidatedTokens++
}
