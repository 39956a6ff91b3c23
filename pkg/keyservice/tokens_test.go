package keyservice_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
)

// withTokenUsers adds to the fixture the role tokens (manage_token), the
// user tokener holding it, and bob, whose tokens tokener creates.
func withTokenUsers(t *testing.T, fx *fixture) {
	t.Helper()
	if _, err := fx.svc.PutRole(fx.root, &api.PutRoleRequest{Name: "tokens", Descriptor: api.RoleDescriptor{Cluster: []string{"manage_token"}}}); err != nil {
		t.Fatal(err)
	}
	for user, roles := range map[string][]string{"tokener": {"tokens"}, "bob": {"monitor"}} {
		pw := "password-" + user
		if _, err := fx.svc.PutUser(fx.root, &api.PutUserRequest{Username: user, Password: &pw, Roles: roles}); err != nil {
			t.Fatal(err)
		}
	}
}

func grant(typ string) *api.GetTokenRequest { return &api.GetTokenRequest{GrantType: &typ} }

func passwordGrant(user, password string) *api.GetTokenRequest {
	req := grant(api.GrantTypePassword)
	req.Username, req.Password = &user, &password
	return req
}

func refreshGrant(token string) *api.GetTokenRequest {
	req := grant(api.GrantTypeRefreshToken)
	req.RefreshToken = &token
	return req
}

// bearer authenticates an access token.
func (fx *fixture) bearer(token string) (*auth.Subject, error) {
	return fx.svc.AuthenticateCredential(context.Background(), auth.Credential{Scheme: auth.SchemeBearer, Token: token})
}

func (fx *fixture) token(ctx context.Context, req *api.GetTokenRequest) *api.GetTokenResponse {
	fx.t.Helper()
	resp, err := fx.svc.GetToken(ctx, req)
	if err != nil {
		fx.t.Fatalf("get token: %v", err)
	}
	return resp
}

func TestGetTokenErrors(t *testing.T) {
	fx := newFixture(t)
	withTokenUsers(t, fx)
	disabled := "password-off"
	if _, err := fx.svc.PutUser(fx.root, &api.PutUserRequest{Username: "off", Password: &disabled, Roles: []string{"monitor"}, Enabled: ptr(false)}); err != nil {
		t.Fatal(err)
	}
	keyOfOwner := fx.create(fx.as("owner"), "k")
	tests := []struct {
		name   string
		ctx    context.Context
		req    *api.GetTokenRequest
		status int
		typ    string
		reason string
	}{
		{"no grant type", fx.as("tokener"), &api.GetTokenRequest{}, 400, "unsupported_grant_type",
			"Validation Failed: 1: grant_type only supports the values: [password, _kerberos, refresh_token, client_credentials];"},
		{"unsupported grant type", fx.as("tokener"), grant("authorization_code"), 400, "unsupported_grant_type", "grant_type only supports the values"},
		{"password without credentials", fx.as("tokener"), grant(api.GrantTypePassword), 400, "invalid_request",
			"Validation Failed: 1: username is missing;2: password is missing;"},
		{"empty password", fx.as("tokener"), passwordGrant("bob", ""), 400, "invalid_request", "Validation Failed: 1: password is missing;"},
		{"password with a refresh token", fx.as("tokener"), func() *api.GetTokenRequest {
			r := passwordGrant("bob", "password-bob")
			r.RefreshToken = ptr("")
			return r
		}(), 400, "unsupported_grant_type", "refresh_token is not supported with the password grant_type"},
		{"refresh without a token", fx.as("tokener"), grant(api.GrantTypeRefreshToken), 400, "invalid_request", "refresh_token is missing"},
		{"client credentials with a username", fx.as("tokener"), func() *api.GetTokenRequest {
			r := grant(api.GrantTypeClientCredentials)
			r.Username = ptr("bob")
			return r
		}(), 400, "unsupported_grant_type", "username is not supported with the client_credentials grant_type"},
		{"kerberos without a ticket", fx.as("tokener"), grant(api.GrantTypeKerberos), 400, "invalid_request", "kerberos_ticket is missing"},
		{"kerberos ticket", fx.as("tokener"), func() *api.GetTokenRequest {
			r := grant(api.GrantTypeKerberos)
			r.KerberosTicket = ptr("YIIB")
			return r
		}(), 401, "security_exception", "unable to authenticate user [<Kerberos Token>] for action [cluster:admin/xpack/security/token/create]"},
		{"caller without manage_token", fx.as("owner"), grant(api.GrantTypeClientCredentials), 403, "security_exception",
			"action [cluster:admin/xpack/security/token/create] is unauthorized for user [owner] with effective roles [own_keys], this action is granted by the cluster privileges [manage_token,manage_security,all]"},
		{"refresh without manage_token", fx.as("owner"), refreshGrant("x"), 403, "security_exception",
			"action [cluster:admin/xpack/security/token/refresh] is unauthorized for user [owner]"},
		{"API key without manage_token", fx.asKey(keyOfOwner), grant(api.GrantTypeClientCredentials), 403, "security_exception",
			"action [cluster:admin/xpack/security/token/create] is unauthorized for API key id [" + keyOfOwner.ID + "] of user [owner]"},
		{"wrong password", fx.as("tokener"), passwordGrant("bob", "wrong-password"), 401, "security_exception",
			"unable to authenticate user [bob] for action [cluster:admin/xpack/security/token/create]"},
		{"unknown user", fx.as("tokener"), passwordGrant("ghost", "password-ghost"), 401, "security_exception", "unable to authenticate user [ghost]"},
		{"disabled user", fx.as("tokener"), passwordGrant("off", "password-off"), 401, "security_exception", "unable to authenticate user [off]"},
		{"unknown refresh token", fx.as("tokener"), refreshGrant("not-a-token"), 400, "invalid_grant", "could not refresh the requested token"},
		{"unauthenticated", context.Background(), grant(api.GrantTypeClientCredentials), 401, "security_exception", "missing authentication credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := fx.svc.GetToken(tt.ctx, tt.req)
			wantErr(t, err, tt.status, tt.typ, tt.reason)
			// Validation and refresh failures are OAuth2 errors, the
			// rest the usual exceptions.
			var te *api.TokenError
			if isOAuth2 := errors.As(err, &te); isOAuth2 != (tt.typ == "invalid_request" || tt.typ == "invalid_grant" || tt.typ == "unsupported_grant_type") {
				t.Errorf("OAuth2 error = %v for %s", isOAuth2, tt.typ)
			}
		})
	}
}

func TestPasswordGrantAndBearer(t *testing.T) {
	fx := newFixture(t)
	withTokenUsers(t, fx)
	resp := fx.token(fx.as("tokener"), passwordGrant("bob", "password-bob"))
	if resp.Type != "Bearer" || resp.ExpiresIn != 1200 || resp.AccessToken == "" || resp.RefreshToken == "" || resp.Scope != "" ||
		resp.KerberosAuthenticationResponseToken != "" {
		t.Fatalf("response: %+v", resp)
	}
	a := resp.Authentication
	if a.Username != "bob" || a.AuthenticationRealm != auth.NativeRealm || a.AuthenticationType != "realm" || !slices.Equal(a.Roles, []string{"monitor"}) {
		t.Fatalf("authentication: %+v", a)
	}
	withScope := passwordGrant("bob", "password-bob")
	withScope.Scope = ptr("read")
	if got := fx.token(fx.as("tokener"), withScope).Scope; got != "full" {
		t.Errorf("scope = %q, want full", got)
	}

	sub, err := fx.bearer(resp.AccessToken)
	if err != nil {
		t.Fatalf("bearer: %v", err)
	}
	if sub.Username != "bob" || sub.Realm != auth.NativeRealm || sub.AuthType != auth.AuthTypeToken || sub.APIKey != nil {
		t.Fatalf("bearer subject: %+v", sub)
	}
	who, err := fx.svc.Authenticate(auth.WithSubject(context.Background(), sub))
	if err != nil || who.AuthenticationType != "token" || who.APIKey != nil || who.LookupRealm != auth.NativeRealm {
		t.Fatalf("authenticate with the token: %+v %v", who, err)
	}

	// Roles are resolved afresh, as for Basic.
	if _, err := fx.svc.PutUser(fx.root, &api.PutUserRequest{Username: "bob", Roles: []string{"reader"}}); err != nil {
		t.Fatal(err)
	}
	if sub, err := fx.bearer(resp.AccessToken); err != nil || !slices.Equal(sub.Roles, []string{"reader"}) {
		t.Fatalf("roles after a change: %+v %v", sub, err)
	}

	// The token lives 20 minutes.
	fx.clock.t = fx.clock.t.Add(20 * time.Minute)
	if _, err := fx.bearer(resp.AccessToken); err != nil {
		t.Fatalf("at 20 minutes: %v", err)
	}
	fx.clock.t = fx.clock.t.Add(time.Millisecond)
	_, err = fx.bearer(resp.AccessToken)
	wantErr(t, err, 401, "security_exception", "token expired")
	var e *api.Error
	errors.As(err, &e)
	if h := e.Header["WWW-Authenticate"]; len(h) != 1 || h[0] != `Bearer realm="security", error="invalid_token", error_description="The access token expired"` {
		t.Errorf("WWW-Authenticate = %q", h)
	}

	// Unknown tokens, and tokens whose user is gone, are invalid.
	_, err = fx.bearer("no-such-token")
	wantErr(t, err, 401, "security_exception", "unable to authenticate with provided credentials and anonymous access is not allowed for this request")
	if errors.As(err, &e); e.Fields["additional_unsuccessful_credentials"] != "oauth2 token: invalid token" {
		t.Errorf("additional_unsuccessful_credentials = %v", e.Fields)
	}
	fresh := fx.token(fx.as("tokener"), passwordGrant("bob", "password-bob"))
	if _, err := fx.svc.DeleteUser(fx.root, "bob"); err != nil {
		t.Fatal(err)
	}
	_, err = fx.bearer(fresh.AccessToken)
	wantErr(t, err, 401, "security_exception", "unable to authenticate with provided credentials")
	// SubjectForAccessToken, for the grant API, answers the same.
	_, err = fx.svc.SubjectForAccessToken(context.Background(), fresh.AccessToken)
	wantErr(t, err, 401, "security_exception", "unable to authenticate with provided credentials")
}

func TestClientCredentials(t *testing.T) {
	fx := newFixture(t)
	withTokenUsers(t, fx)
	resp := fx.token(fx.as("tokener"), grant(api.GrantTypeClientCredentials))
	if resp.RefreshToken != "" || resp.Authentication.Username != "tokener" {
		t.Fatalf("response: %+v", resp)
	}
	if sub, err := fx.svc.SubjectForAccessToken(context.Background(), resp.AccessToken); err != nil || sub.Username != "tokener" || sub.AuthType != auth.AuthTypeToken {
		t.Fatalf("subject: %+v %v", sub, err)
	}

	// The OS superuser (the socket peer, apikeyctl --db) gets a token of
	// realm os.
	root := fx.token(fx.root, grant(api.GrantTypeClientCredentials))
	if sub, err := fx.bearer(root.AccessToken); err != nil || sub.Realm != auth.OSRealm || sub.Username != "root" || !auth.HasPrivilege(sub, auth.ActionPutUser) {
		t.Fatalf("os token: %+v %v", sub, err)
	}

	// A token of an API key stands for the key, while the key is valid;
	// the authentication of a token-authenticated caller says token.
	key := fx.create(fx.root, "token-maker")
	keyToken := fx.token(fx.asKey(key), grant(api.GrantTypeClientCredentials))
	if keyToken.Authentication.AuthenticationType != "api_key" || keyToken.Authentication.APIKey == nil {
		t.Fatalf("API key's token: %+v", keyToken.Authentication)
	}
	sub, err := fx.bearer(keyToken.AccessToken)
	if err != nil || sub.APIKey == nil || sub.APIKey.ID != key.ID || sub.AuthType != auth.AuthTypeToken {
		t.Fatalf("API key token subject: %+v %v", sub, err)
	}
	viaToken := fx.token(auth.WithSubject(context.Background(), sub), grant(api.GrantTypeClientCredentials))
	if viaToken.Authentication.AuthenticationType != "token" {
		t.Errorf("a token's token: authentication type %q", viaToken.Authentication.AuthenticationType)
	}
	if _, err := fx.svc.InvalidateAPIKeys(fx.root, &api.InvalidateAPIKeysRequest{IDs: []string{key.ID}}); err != nil {
		t.Fatal(err)
	}
	_, err = fx.bearer(keyToken.AccessToken)
	wantErr(t, err, 401, "security_exception", "unable to authenticate with provided credentials")
}

func TestRefreshToken(t *testing.T) {
	fx := newFixture(t)
	withTokenUsers(t, fx)
	first := fx.token(fx.as("tokener"), passwordGrant("bob", "password-bob"))

	second := fx.token(fx.as("tokener"), refreshGrant(first.RefreshToken))
	if second.AccessToken == first.AccessToken || second.RefreshToken == first.RefreshToken || second.RefreshToken == "" ||
		second.Authentication.Username != "bob" || second.Authentication.AuthenticationType != "token" {
		t.Fatalf("refreshed: %+v", second)
	}
	for _, tok := range []string{first.AccessToken, second.AccessToken} {
		if sub, err := fx.bearer(tok); err != nil || sub.Username != "bob" {
			t.Fatalf("after refresh, %v %v", sub, err)
		}
	}

	// Used again within 30 seconds: the same pair, as Elasticsearch gives
	// to clients that retry.
	fx.clock.t = fx.clock.t.Add(30 * time.Second)
	again := fx.token(fx.as("tokener"), refreshGrant(first.RefreshToken))
	if again.AccessToken != second.AccessToken || again.RefreshToken != second.RefreshToken {
		t.Fatalf("reuse within the window gave a different pair")
	}
	fx.clock.t = fx.clock.t.Add(time.Millisecond)
	_, err := fx.svc.GetToken(fx.as("tokener"), refreshGrant(first.RefreshToken))
	wantErr(t, err, 400, "invalid_grant", "token has already been refreshed more than 30 seconds in the past")

	// The next refresh token is the refresher's, whether it authenticates
	// with its password or with a token of its own.
	own := fx.token(fx.as("tokener"), grant(api.GrantTypeClientCredentials))
	tokener, err := fx.bearer(own.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	third := fx.token(auth.WithSubject(context.Background(), tokener), refreshGrant(second.RefreshToken))
	fx.clock.t = fx.clock.t.Add(-31 * time.Second)
	_, err = fx.svc.GetToken(fx.as("tokener"), refreshGrant(second.RefreshToken))
	wantErr(t, err, 400, "invalid_grant", "token has been refreshed more than 30 seconds in the future, clock skew too great")
	fx.clock.t = fx.clock.t.Add(31 * time.Second)

	tests := []struct {
		name   string
		setup  func() string
		ctx    func() context.Context
		reason string
	}{
		{"another client", func() string { return third.RefreshToken }, func() context.Context { return fx.as("secadmin") },
			"tokens must be refreshed by the creating client"},
		{"an API key is another client", func() string { return third.RefreshToken }, func() context.Context {
			return fx.asKey(fx.create(fx.root, "refresher"))
		}, "tokens must be refreshed by the creating client"},
		{"invalidated", func() string {
			tok := fx.token(fx.as("tokener"), passwordGrant("bob", "password-bob"))
			if _, err := fx.svc.InvalidateToken(fx.as("tokener"), &api.InvalidateTokenRequest{RefreshToken: tok.RefreshToken}); err != nil {
				t.Fatal(err)
			}
			return tok.RefreshToken
		}, func() context.Context { return fx.as("tokener") }, "token has been invalidated"},
		{"older than 24 hours", func() string {
			tok := fx.token(fx.as("tokener"), passwordGrant("bob", "password-bob"))
			fx.clock.t = fx.clock.t.Add(24*time.Hour + time.Millisecond)
			return tok.RefreshToken
		}, func() context.Context { return fx.as("tokener") }, "token document has expired"},
		{"user gone", func() string {
			tok := fx.token(fx.as("tokener"), passwordGrant("bob", "password-bob"))
			if _, err := fx.svc.DeleteUser(fx.root, "bob"); err != nil {
				t.Fatal(err)
			}
			return tok.RefreshToken
		}, func() context.Context { return fx.as("tokener") }, "could not refresh the requested token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := tt.setup()
			_, err := fx.svc.GetToken(tt.ctx(), refreshGrant(rt))
			wantErr(t, err, 400, "invalid_grant", tt.reason)
		})
	}
}

func TestInvalidateToken(t *testing.T) {
	fx := newFixture(t)
	withTokenUsers(t, fx)
	ctx := fx.as("tokener")

	for _, tt := range []struct {
		name   string
		ctx    context.Context
		req    api.InvalidateTokenRequest
		status int
		typ    string
		reason string
	}{
		{"nothing named", ctx, api.InvalidateTokenRequest{}, 400, "action_request_validation_exception",
			"Validation Failed: 1: token string must be provided when not specifying a realm name or a username;"},
		{"blank realm is none", ctx, api.InvalidateTokenRequest{RealmName: "  "}, 400, "action_request_validation_exception",
			"token string must be provided"},
		{"token and owner", ctx, api.InvalidateTokenRequest{Token: "t", Username: "bob"}, 400, "action_request_validation_exception",
			"Validation Failed: 1: token string must not be provided when realm name or username is specified;2: token type must not be provided when realm name or username is specified;"},
		{"token and refresh token", ctx, api.InvalidateTokenRequest{Token: "t", RefreshToken: "r"}, 400, "x_content_parse_exception",
			"illegal_argument_exception: only one of [token, refresh_token] may be sent per request"},
		{"caller without manage_token", fx.as("owner"), api.InvalidateTokenRequest{Token: "t"}, 403, "security_exception",
			"action [cluster:admin/xpack/security/token/invalidate] is unauthorized for user [owner] with effective roles [own_keys], this action is granted by the cluster privileges [manage_token,manage_security,all]"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := fx.svc.InvalidateToken(tt.ctx, &tt.req)
			wantErr(t, err, tt.status, tt.typ, tt.reason)
		})
	}

	invalidate := func(req api.InvalidateTokenRequest) api.InvalidateTokenResponse {
		t.Helper()
		resp, err := fx.svc.InvalidateToken(ctx, &req)
		if err != nil {
			t.Fatalf("invalidate %+v: %v", req, err)
		}
		if resp.ErrorCount != 0 || resp.ErrorDetails != nil {
			t.Fatalf("errors: %+v", resp)
		}
		return *resp
	}
	counts := func(r api.InvalidateTokenResponse) [2]int {
		return [2]int{r.InvalidatedTokens, r.PreviouslyInvalidatedTokens}
	}

	pair := fx.token(ctx, passwordGrant("bob", "password-bob"))
	if got := counts(invalidate(api.InvalidateTokenRequest{Token: pair.AccessToken})); got != [2]int{1, 0} {
		t.Errorf("access token: %v", got)
	}
	if got := counts(invalidate(api.InvalidateTokenRequest{Token: pair.AccessToken})); got != [2]int{0, 1} {
		t.Errorf("access token again: %v", got)
	}
	_, err := fx.bearer(pair.AccessToken)
	wantErr(t, err, 401, "security_exception", "token expired")
	if r := invalidate(api.InvalidateTokenRequest{Token: "unknown"}); r.Found() {
		t.Errorf("unknown token found: %+v", r)
	}
	// The refresh token of an invalidated access token still works.
	refreshed := fx.token(ctx, refreshGrant(pair.RefreshToken))
	if got := counts(invalidate(api.InvalidateTokenRequest{RefreshToken: refreshed.RefreshToken})); got != [2]int{1, 0} {
		t.Errorf("refresh token: %v", got)
	}
	if _, err := fx.bearer(refreshed.AccessToken); err != nil {
		t.Errorf("the access token of an invalidated refresh token: %v", err)
	}

	// By owner: every active token of bob, refresh and access tokens
	// counted apart.
	fx2 := newFixture(t)
	withTokenUsers(t, fx2)
	fx, ctx = fx2, fx2.as("tokener")
	fx.token(ctx, passwordGrant("bob", "password-bob"))
	oldPair := fx.token(ctx, passwordGrant("bob", "password-bob"))
	fx.clock.t = fx.clock.t.Add(time.Hour) // oldPair's access token expired, its refresh token not
	fx.token(ctx, passwordGrant("bob", "password-bob"))
	own := fx.token(ctx, grant(api.GrantTypeClientCredentials)) // tokener's, no refresh token
	if got := counts(invalidate(api.InvalidateTokenRequest{Username: "bob"})); got != [2]int{6, 0} {
		t.Errorf("by user: %v, want 3 tokens with refresh tokens = 6", got)
	}
	_, err = fx.svc.GetToken(ctx, refreshGrant(oldPair.RefreshToken))
	wantErr(t, err, 400, "invalid_grant", "token has been invalidated")
	if got := counts(invalidate(api.InvalidateTokenRequest{Username: "bob"})); got != [2]int{0, 0} {
		t.Errorf("by user again: %v (invalidated tokens are not active)", got)
	}
	if got := counts(invalidate(api.InvalidateTokenRequest{RealmName: "default_native", Username: "tokener"})); got != [2]int{1, 0} {
		t.Errorf("by realm and user: %v", got)
	}
	if _, err := fx.bearer(own.AccessToken); err == nil {
		t.Error("tokener's token still authenticates")
	}
	if got := counts(invalidate(api.InvalidateTokenRequest{RealmName: "reserved"})); got != [2]int{0, 0} {
		t.Errorf("another realm: %v", got)
	}
}
