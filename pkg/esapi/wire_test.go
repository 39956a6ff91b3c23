package esapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v9"
	"github.com/elastic/go-elasticsearch/v9/typedapi/security/createapikey"
	"github.com/elastic/go-elasticsearch/v9/typedapi/types"

	"github.com/apikeyctl/apikeyctl/pkg/esapi"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
	"github.com/apikeyctl/apikeyctl/pkg/store/sqlite"
)

// TestOfficialGoClient proves the wire with a client we did not write: the
// official Go client, with no option turned off, creates, gets,
// invalidates and authenticates against apikeyd's HTTP stack over a real
// SQLite store.
func TestOfficialGoClient(t *testing.T) {
	ctx := context.Background()
	_, srv := newWireServer(t)

	es := newTypedClient(t, elasticsearch.Config{
		Addresses: []string{srv}, Username: "elastic", Password: "wire-password",
	})

	name := "wire"
	created, err := es.Security.CreateApiKey().Request(&createapikey.Request{
		Name: &name, Expiration: "1h", Metadata: types.Metadata{"env": json.RawMessage(`"ci"`)},
	}).Do(ctx)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if len(created.Id) != 20 || len(created.ApiKey) != 22 || created.Expiration == nil || created.Name != "wire" {
		t.Fatalf("create response: %+v", created)
	}

	got, err := es.Security.GetApiKey().Id(created.Id).WithLimitedBy(true).Do(ctx)
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if len(got.ApiKeys) != 1 {
		t.Fatalf("get: %d keys", len(got.ApiKeys))
	}
	k := got.ApiKeys[0]
	if k.Id != created.Id || k.Name != "wire" || k.Username != "elastic" || k.Realm != "reserved" ||
		k.Type.String() != "rest" || k.Invalidated || string(k.Metadata["env"]) != `"ci"` || len(k.LimitedBy) != 1 {
		t.Fatalf("get: %+v", k)
	}
	if _, ok := k.LimitedBy[0]["superuser"]; !ok {
		t.Fatalf("limited_by: %+v", k.LimitedBy)
	}

	// An id that matches nothing: HTTP 404, as Elasticsearch answers.
	_, err = es.Security.GetApiKey().Id("no-such-key").Do(ctx)
	wantStatus(t, err, 404, "")

	// A caller's mistake is a 400 with Elasticsearch's type.
	_, err = es.Security.CreateApiKey().Name("_hidden").Do(ctx)
	wantStatus(t, err, 400, "action_request_validation_exception")

	keyClient := newTypedClient(t, elasticsearch.Config{Addresses: []string{srv}, APIKey: created.Encoded})
	who, err := keyClient.Security.Authenticate().Do(ctx)
	if err != nil {
		t.Fatalf("authenticate with the key: %v", err)
	}
	if who.Username != "elastic" || who.AuthenticationType != "api_key" || who.ApiKey == nil || who.ApiKey.Id != created.Id {
		t.Fatalf("authenticate: %+v", who)
	}

	inv, err := es.Security.InvalidateApiKey().Ids(created.Id).Do(ctx)
	if err != nil {
		t.Fatalf("invalidate: %v", err)
	}
	if len(inv.InvalidatedApiKeys) != 1 || inv.InvalidatedApiKeys[0] != created.Id || inv.ErrorCount != 0 {
		t.Fatalf("invalidate: %+v", inv)
	}

	_, err = keyClient.Security.Authenticate().Do(ctx)
	wantStatus(t, err, 401, "security_exception")
}

// newTypedClient is the official Go client configured by cfg.
func newTypedClient(t *testing.T, cfg elasticsearch.Config) *elasticsearch.TypedClient {
	t.Helper()
	es, err := elasticsearch.NewTypedClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// openTempDB opens a SQLite store in a temporary directory, closed when
// the test ends.
func openTempDB(t testing.TB) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), t.TempDir()+"/keys.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// newWireServer serves apikeyd's HTTP stack over a real SQLite store in
// a temporary directory, with the superuser elastic (password
// "wire-password"), and returns the service and the server's URL.
func newWireServer(t *testing.T) (*keyservice.Service, string) {
	t.Helper()
	ctx := context.Background()
	db := openTempDB(t)
	svc, err := keyservice.New(db, keyservice.Options{PasswordHashing: "bcrypt4"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Bootstrap(ctx, "wire-password"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(esapi.NewHandler(esapi.Config{Service: svc, Authenticator: svc}))
	t.Cleanup(srv.Close)
	return svc, srv.URL
}

func wantStatus(t *testing.T, err error, status int, typ string) {
	t.Helper()
	var ee *types.ElasticsearchError
	if !errors.As(err, &ee) {
		t.Fatalf("want HTTP %d, got %v", status, err)
	}
	if ee.Status != status || (typ != "" && ee.ErrorCause.Type != typ) {
		t.Fatalf("want %d %s, got %d %s: %v", status, typ, ee.Status, ee.ErrorCause.Type, ee)
	}
}

// rawCall sends one request to the server at base with the Authorization
// authz (none when empty) and body as JSON (none when empty), and returns
// the answer's status, headers and body.
func rawCall(t *testing.T, base, method, path, authz, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(data)
}
