package keyservice_test

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
)

func basicHeader(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

// TestAuthenticateSecondary: the es-secondary-authorization header
// authenticates as a primary credential would; a credential that does
// not fails with Elasticsearch's "Failed to authenticate secondary user",
// the primary's failure as its cause and root cause.
func TestAuthenticateSecondary(t *testing.T) {
	audit := &recordingAuditor{}
	fx := newFixture(t, func(o *keyservice.Options) { o.Auditor = audit })
	ownerKey := fx.create(fx.as("owner"), "owner-key")
	gone := fx.create(fx.as("owner"), "gone")
	if _, err := fx.svc.InvalidateAPIKeys(fx.root, &api.InvalidateAPIKeysRequest{IDs: []string{gone.ID}}); err != nil {
		t.Fatal(err)
	}
	cc, err := fx.svc.CreateCrossClusterAPIKey(fx.root, &api.CreateCrossClusterAPIKeyRequest{Name: ptr("cc"),
		Access: &api.CrossClusterAccess{Search: []api.SearchAccess{{Names: []string{"logs"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := fx.svc.GetToken(fx.root, &api.GetTokenRequest{GrantType: ptr(api.GrantTypePassword),
		Username: ptr("owner"), Password: ptr("password-owner")})
	if err != nil {
		t.Fatal(err)
	}
	// The primary caller: admin, over TCP.
	admin := auth.WithSubject(from("192.0.2.9:1234"), mustSubject(t, fx, "admin"))

	for _, c := range []struct {
		name   string
		header string
		// want is the secondary subject's user and authentication type;
		// cause the primary's failure for the same credential.
		user, authType string
		apiKeyID       string
		cause          string
		// detail is the cause's additional_unsuccessful_credentials.
		detail string
	}{
		{name: "basic", header: basicHeader("owner", "password-owner"), user: "owner", authType: auth.AuthTypeRealm},
		{name: "api key", header: "ApiKey " + ownerKey.Encoded, user: "owner", authType: auth.AuthTypeAPIKey, apiKeyID: ownerKey.ID},
		{name: "bearer token", header: "Bearer " + tok.AccessToken, user: "owner", authType: auth.AuthTypeToken},
		{name: "scheme in lower case", header: "basic " + basicHeader("reader", "password-reader")[len("Basic "):], user: "reader", authType: auth.AuthTypeRealm},
		{name: "wrong password", header: basicHeader("owner", "guess"), cause: "unable to authenticate user [owner] for REST request"},
		{name: "unknown user", header: basicHeader("ghost", "password-ghost"), cause: "unable to authenticate user [ghost] for REST request"},
		{name: "invalidated key", header: "ApiKey " + gone.Encoded, cause: unsuccessfulCredentials,
			detail: "API key: api key [" + gone.ID + "] has been invalidated"},
		{name: "cross-cluster key", header: "ApiKey " + cc.Encoded,
			cause: "authentication expected API key type of [rest], but API key [" + cc.ID + "] has type [cross_cluster]"},
		{name: "unknown token", header: "Bearer not-a-token", cause: unsuccessfulCredentials, detail: "oauth2 token: invalid token"},
		{name: "malformed basic", header: "Basic !!!", cause: "unable to authenticate with provided credentials"},
		{name: "malformed api key", header: "ApiKey bm8tY29sb24=", cause: "unable to authenticate with provided credentials"},
		{name: "unsupported scheme", header: "Digest username=owner", cause: "unable to authenticate with provided credentials"},
		{name: "no scheme", header: "junk", cause: "unable to authenticate with provided credentials"},
	} {
		t.Run(c.name, func(t *testing.T) {
			sub, err := fx.svc.AuthenticateSecondary(admin, c.header)
			if c.cause == "" {
				if err != nil {
					t.Fatalf("want %s authenticated, got %v", c.user, err)
				}
				if sub.Username != c.user || sub.AuthType != c.authType || (c.apiKeyID != "") != sub.IsAPIKey() ||
					(sub.IsAPIKey() && sub.APIKey.ID != c.apiKeyID) {
					t.Fatalf("got %+v, want user %s type %s key %q", sub, c.user, c.authType, c.apiKeyID)
				}
				return
			}
			wantErr(t, err, 401, "security_exception", "Failed to authenticate secondary user | security_exception: "+c.cause)
			e, _ := api.AsError(err)
			if e.Reason != "Failed to authenticate secondary user" || len(e.Header) != 0 {
				t.Errorf("top exception %q with headers %v; Elasticsearch sends no header of its own", e.Reason, e.Header)
			}
			if len(e.RootCause) != 1 || e.RootCause[0] != e.Cause {
				t.Errorf("root_cause %v, want the cause", e.RootCause)
			}
			if got, _ := e.Cause.Fields["additional_unsuccessful_credentials"].(string); got != c.detail {
				t.Errorf("additional_unsuccessful_credentials %q, want %q", got, c.detail)
			}
			if got := e.Cause.Header["WWW-Authenticate"]; len(got) != len(auth.Challenges) {
				t.Errorf("the cause's WWW-Authenticate %v, want %v", got, auth.Challenges)
			}
		})
	}

	t.Run("no header", func(t *testing.T) {
		for _, h := range []string{"", "   "} {
			if sub, err := fx.svc.AuthenticateSecondary(admin, h); sub != nil || err != nil {
				t.Errorf("%q: got %v, %v; want no secondary subject", h, sub, err)
			}
		}
	})

	t.Run("audited with the primary caller", func(t *testing.T) {
		var success, failed bool
		for _, e := range audit.events() {
			if e.Primary == nil {
				continue
			}
			if e.Primary.Username != "admin" {
				t.Errorf("%s names the primary %q, want admin", e.Action, e.Primary.Username)
			}
			switch {
			case e.Action == keyservice.AuditAuthSuccess && e.Subject.APIKey != nil && e.Subject.APIKey.ID == ownerKey.ID:
				success = true
			case e.Action == keyservice.AuditAuthFailed && e.Principal == "ghost":
				failed = true
			}
		}
		if !success || !failed {
			t.Errorf("secondary success audited: %v, failure audited: %v", success, failed)
		}
	})
}

// TestSecondaryFailuresAreBraked: a failed secondary credential counts as
// a failed attempt of its client and principal, as a primary one does;
// past the limit it is refused 429 too, inside the secondary failure.
func TestSecondaryFailuresAreBraked(t *testing.T) {
	fx := newFixture(t, func(o *keyservice.Options) {
		o.FailureLimit = keyservice.FailureLimit{Limit: 3, Window: time.Minute}
	})
	attacker := auth.WithSubject(from("192.0.2.7:40000"), mustSubject(t, fx, "nobody"))
	for range 3 {
		_, err := fx.svc.AuthenticateSecondary(attacker, basicHeader("owner", "guess"))
		wantErr(t, err, 401, "security_exception", "unable to authenticate user [owner]")
	}
	// The client is throttled: for its primary credentials too.
	_, err := fx.svc.AuthenticateCredential(from("192.0.2.7:40001"), basic("reader", "guess"))
	wantErr(t, err, 429, "too_many_requests", "too many failed authentication attempts")

	_, err = fx.svc.AuthenticateSecondary(attacker, basicHeader("owner", "guess"))
	wantErr(t, err, 429, "security_exception", "Failed to authenticate secondary user | too_many_requests: too many failed authentication attempts")
	if e, _ := api.AsError(err); e.Header["Retry-After"] == nil {
		t.Errorf("a throttled secondary credential without Retry-After: %v", e.Header)
	}
	// The principal is throttled for every client.
	_, err = fx.svc.AuthenticateCredential(from("198.51.100.1:1"), basic("owner", "guess"))
	wantErr(t, err, 429, "too_many_requests", "too many failed authentication attempts")
}

const unsuccessfulCredentials = "unable to authenticate with provided credentials and anonymous access is not allowed for this request"

// mustSubject authenticates a fixture user.
func mustSubject(t *testing.T, fx *fixture, user string) *auth.Subject {
	t.Helper()
	sub, err := fx.svc.AuthenticateCredential(from("127.0.0.1:1"), basic(user, "password-"+user))
	if err != nil {
		t.Fatal(err)
	}
	return sub
}
