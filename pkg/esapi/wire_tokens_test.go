package esapi_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v9"
	"github.com/elastic/go-elasticsearch/v9/typedapi/types"
	"github.com/elastic/go-elasticsearch/v9/typedapi/types/enums/accesstokengranttype"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
)

// TestOfficialGoClientTokens drives the token service with the official
// Go client, decoding into its own types: the password, refresh_token and
// client_credentials grants, Bearer authentication, invalidation, and the
// OAuth2 and 404 answers as the client sees them.
func TestOfficialGoClientTokens(t *testing.T) {
	ctx := context.Background()
	svc, srv := newWireServer(t)
	root := auth.WithSubject(ctx, auth.OSSubject("root"))
	pw := "bob-password"
	if _, err := svc.PutUser(root, &api.PutUserRequest{Username: "bob", Password: &pw, Roles: []string{"viewer"}}); err != nil {
		t.Fatal(err)
	}
	es := newTypedClient(t, elasticsearch.Config{Addresses: []string{srv}, Username: "elastic", Password: "wire-password"})
	bearerClient := func(token string) *elasticsearch.TypedClient {
		return newTypedClient(t, elasticsearch.Config{Addresses: []string{srv}, ServiceToken: token})
	}

	pair, err := es.Security.GetToken().GrantType(accesstokengranttype.Password).Username("bob").Password(pw).Do(ctx)
	if err != nil {
		t.Fatalf("password grant: %v", err)
	}
	if pair.Type != "Bearer" || pair.ExpiresIn != 1200 || pair.AccessToken == "" || pair.RefreshToken == nil || pair.Scope != nil ||
		pair.Authentication.Username != "bob" || pair.Authentication.AuthenticationType != "realm" ||
		pair.Authentication.AuthenticationRealm.Name != "default_native" || pair.Authentication.AuthenticationRealm.Type != "native" {
		t.Fatalf("password grant: %+v", pair)
	}

	who, err := bearerClient(pair.AccessToken).Security.Authenticate().Do(ctx)
	if err != nil {
		t.Fatalf("authenticate with the token: %v", err)
	}
	if who.Username != "bob" || who.AuthenticationType != "token" || who.AuthenticationRealm.Name != "default_native" || who.ApiKey != nil {
		t.Fatalf("authenticate with the token: %+v", who)
	}

	next, err := es.Security.GetToken().GrantType(accesstokengranttype.Refreshtoken).RefreshToken(*pair.RefreshToken).Scope("full").Do(ctx)
	if err != nil {
		t.Fatalf("refresh grant: %v", err)
	}
	if next.AccessToken == pair.AccessToken || next.RefreshToken == nil || next.Scope == nil || *next.Scope != "full" ||
		next.Authentication.AuthenticationType != "token" {
		t.Fatalf("refresh grant: %+v", next)
	}

	self, err := es.Security.GetToken().GrantType(accesstokengranttype.Clientcredentials).Do(ctx)
	if err != nil {
		t.Fatalf("client_credentials grant: %v", err)
	}
	if self.RefreshToken != nil || self.Authentication.Username != "elastic" || self.Authentication.AuthenticationRealm.Name != "reserved" {
		t.Fatalf("client_credentials grant: %+v", self)
	}

	// OAuth2 errors reach the client as 400s with the OAuth2 code.
	_, err = es.Security.GetToken().GrantType(accesstokengranttype.Refreshtoken).RefreshToken("bogus").Do(ctx)
	var ee *types.ElasticsearchError
	if !errors.As(err, &ee) || ee.Status != 400 || ee.ErrorCause.Reason == nil || !strings.Contains(*ee.ErrorCause.Reason, "invalid_grant") ||
		!strings.Contains(string(ee.ErrorCause.Metadata["error_description"]), "could not refresh the requested token") {
		t.Fatalf("bogus refresh token: %v", err)
	}
	_, err = es.Security.GetToken().GrantType(accesstokengranttype.Password).Username("bob").Password("wrong").Do(ctx)
	wantStatus(t, err, 401, "security_exception")

	checkTokenInvalidation(t, es, bearerClient, pair.AccessToken)
}

// checkTokenInvalidation invalidates bob's access token (twice), an
// unknown token, then all of bob's tokens, with the official client.
func checkTokenInvalidation(t *testing.T, es *elasticsearch.TypedClient, bearerClient func(string) *elasticsearch.TypedClient, access string) {
	t.Helper()
	ctx := context.Background()
	var ee *types.ElasticsearchError
	inv, err := es.Security.InvalidateToken().Token(access).Do(ctx)
	if err != nil || inv.InvalidatedTokens != 1 || inv.PreviouslyInvalidatedTokens != 0 || inv.ErrorCount != 0 {
		t.Fatalf("invalidate the access token: %+v %v", inv, err)
	}
	inv, err = es.Security.InvalidateToken().Token(access).Do(ctx)
	if err != nil || inv.InvalidatedTokens != 0 || inv.PreviouslyInvalidatedTokens != 1 {
		t.Fatalf("invalidate it again: %+v %v", inv, err)
	}
	_, err = bearerClient(access).Security.Authenticate().Do(ctx)
	wantStatus(t, err, 401, "security_exception")

	// An unknown token: HTTP 404, as Elasticsearch answers.
	_, err = es.Security.InvalidateToken().RefreshToken("unknown").Do(ctx)
	if !errors.As(err, &ee) || ee.Status != 404 {
		t.Fatalf("invalidate an unknown token: %v", err)
	}

	inv, err = es.Security.InvalidateToken().Username("bob").Do(ctx)
	// The new pair counts two; the first, whose access token is already
	// invalidated but whose (used) refresh token is not, one of each.
	if err != nil || inv.InvalidatedTokens != 3 || inv.PreviouslyInvalidatedTokens != 1 {
		t.Fatalf("invalidate bob's tokens: %+v %v", inv, err)
	}
	_, err = es.Security.InvalidateToken().Request(nil).Do(ctx)
	wantStatus(t, err, 400, "parse_exception")
}
