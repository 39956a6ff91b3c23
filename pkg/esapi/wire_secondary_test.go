package esapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/elastic/go-elasticsearch/v9"
	"github.com/elastic/go-elasticsearch/v9/typedapi/security/createcrossclusterapikey"
	"github.com/elastic/go-elasticsearch/v9/typedapi/security/grantapikey"
	"github.com/elastic/go-elasticsearch/v9/typedapi/security/putuser"
	"github.com/elastic/go-elasticsearch/v9/typedapi/types"
	"github.com/elastic/go-elasticsearch/v9/typedapi/types/enums/apikeygranttype"

	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/esapi"
)

// TestOfficialGoClientSecondaryAuthorization: the es-secondary-authorization
// header, set with the official client's per-request Header option, is
// authenticated on every endpoint, as Elasticsearch's security filter
// does; a credential that does not authenticate fails the request with
// Elasticsearch's 401. Like Elasticsearch, create and grant take their
// owner from the primary caller and the grant's body, never from it.
func TestOfficialGoClientSecondaryAuthorization(t *testing.T) {
	ctx := context.Background()
	_, srv := newWireServer(t)
	es := newTypedClient(t, elasticsearch.Config{Addresses: []string{srv}, Username: "elastic", Password: "wire-password"})
	pw := "alice-password"
	if _, err := es.Security.PutUser("alice").Request(&putuser.Request{Password: &pw, Roles: []string{"superuser"}}).Do(ctx); err != nil {
		t.Fatalf("put user: %v", err)
	}
	aliceBasic := "Basic " + base64.StdEncoding.EncodeToString([]byte("alice:"+pw))
	wrongBasic := "Basic " + base64.StdEncoding.EncodeToString([]byte("alice:not-her-password"))
	cc, err := es.Security.CreateCrossClusterApiKey().Request(&createcrossclusterapikey.Request{
		Name: "cc", Access: types.Access{Search: []types.SearchAccess{{Names: []string{"logs"}}}},
	}).Do(ctx)
	if err != nil {
		t.Fatalf("create cross-cluster key: %v", err)
	}

	t.Run("a valid secondary credential leaves the caller the primary", func(t *testing.T) {
		who, err := es.Security.Authenticate().Header(esapi.SecondaryAuthHeader, aliceBasic).Do(ctx)
		if err != nil || who.Username != "elastic" {
			t.Fatalf("authenticate: %+v %v", who, err)
		}
		created, err := es.Security.CreateApiKey().Name("primary-owned").Header(esapi.SecondaryAuthHeader, aliceBasic).Do(ctx)
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		got, err := es.Security.GetApiKey().Id(created.Id).Do(ctx)
		if err != nil || len(got.ApiKeys) != 1 || got.ApiKeys[0].Username != "elastic" {
			t.Fatalf("the key created with a secondary credential: %+v %v; want it owned by the primary, elastic", got, err)
		}
		granted, err := es.Security.GrantApiKey().Request(&grantapikey.Request{
			GrantType: apikeygranttype.Password, Username: &[]string{"elastic"}[0], Password: &[]string{"wire-password"}[0],
			ApiKey: types.GrantApiKey{Name: "grant-owned"},
		}).Header(esapi.SecondaryAuthHeader, aliceBasic).Do(ctx)
		if err != nil {
			t.Fatalf("grant: %v", err)
		}
		got, err = es.Security.GetApiKey().Id(granted.Id).Do(ctx)
		if err != nil || len(got.ApiKeys) != 1 || got.ApiKeys[0].Username != "elastic" {
			t.Fatalf("the granted key: %+v %v; want it owned by the grant's user, elastic", got, err)
		}
	})

	for _, c := range []struct {
		name, header, cause string
		do                  func(header string) error
	}{
		{name: "wrong password on authenticate", header: wrongBasic, cause: "unable to authenticate user [alice] for REST request",
			do: func(h string) error {
				_, err := es.Security.Authenticate().Header(esapi.SecondaryAuthHeader, h).Do(ctx)
				return err
			}},
		{name: "wrong password on create", header: wrongBasic, cause: "unable to authenticate user [alice] for REST request",
			do: func(h string) error {
				_, err := es.Security.CreateApiKey().Name("never").Header(esapi.SecondaryAuthHeader, h).Do(ctx)
				return err
			}},
		{name: "cross-cluster key on get", header: "ApiKey " + cc.Encoded,
			cause: "authentication expected API key type of [rest], but API key [" + cc.Id + "] has type [cross_cluster]",
			do: func(h string) error {
				_, err := es.Security.GetApiKey().Header(esapi.SecondaryAuthHeader, h).Do(ctx)
				return err
			}},
		{name: "malformed value on cluster health", header: "junk", cause: "unable to authenticate with provided credentials",
			do: func(h string) error {
				_, err := es.Cluster.Health().Header(esapi.SecondaryAuthHeader, h).Do(ctx)
				return err
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.do(c.header)
			var ee *types.ElasticsearchError
			if !errors.As(err, &ee) {
				t.Fatalf("want a 401, got %v", err)
			}
			cause := ee.ErrorCause.CausedBy
			if ee.Status != 401 || ee.ErrorCause.Type != "security_exception" || reason(ee.ErrorCause.Reason) != "Failed to authenticate secondary user" ||
				cause == nil || cause.Type != "security_exception" || reason(cause.Reason) != c.cause ||
				len(ee.ErrorCause.RootCause) != 1 || reason(ee.ErrorCause.RootCause[0].Reason) != c.cause {
				body, _ := json.Marshal(ee)
				t.Fatalf("got %d %s", ee.Status, body)
			}
		})
	}
	if got, err := es.Security.GetApiKey().Name("never").Do(ctx); err != nil || len(got.ApiKeys) != 0 {
		t.Errorf("a request refused for its secondary credential created a key: %+v %v", got, err)
	}

	t.Run("a cross-cluster key as primary fails first", func(t *testing.T) {
		ccClient := newTypedClient(t, elasticsearch.Config{Addresses: []string{srv}, APIKey: cc.Encoded})
		_, err := ccClient.Security.Authenticate().Header(esapi.SecondaryAuthHeader, aliceBasic).Do(ctx)
		var ee *types.ElasticsearchError
		want := "authentication expected API key type of [rest], but API key [" + cc.Id + "] has type [cross_cluster]"
		if !errors.As(err, &ee) || ee.Status != 401 || reason(ee.ErrorCause.Reason) != want {
			t.Fatalf("got %v, want the primary's 401 %q", err, want)
		}
	})

	t.Run("the response's headers", func(t *testing.T) {
		// Elasticsearch copies the headers of the top exception only: the
		// challenges are in the body's cause, not on the response.
		req, _ := http.NewRequest(http.MethodGet, srv+"/_security/_authenticate", nil)
		req.SetBasicAuth("elastic", "wire-password")
		req.Header.Set(esapi.SecondaryAuthHeader, wrongBasic)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var env struct {
			Error struct {
				CausedBy struct {
					Header map[string][]string `json:"header"`
				} `json:"caused_by"`
			} `json:"error"`
		}
		if err := json.Unmarshal(body, &env); err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != "" ||
			len(env.Error.CausedBy.Header["WWW-Authenticate"]) != len(auth.Challenges) {
			t.Fatalf("%d %v %s", resp.StatusCode, resp.Header, body)
		}
	})
}

func reason(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
