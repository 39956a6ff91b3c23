package esapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/esapi"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
)

// callForwarded is GET /_security/_authenticate with the ApiKey encoded,
// through a proxy that says the client was forwarded (no header when "").
func callForwarded(t *testing.T, base, encoded, forwarded string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+"/_security/_authenticate", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "ApiKey "+encoded)
	if forwarded != "" {
		req.Header.Set("X-Forwarded-For", forwarded)
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

// TestWireAllowedNetworks: keys bound to networks over HTTP. Elasticsearch's
// endpoints are unchanged: create refuses allowed_networks as the unknown
// field it is there, and Get and Query answer byte for byte what they
// answered before a key was bound, unless with_restrictions asks. A key
// used from outside its networks (the test client is 127.0.0.1) gets the
// very answer of a wrong secret; X-Forwarded-For counts only from a
// trusted proxy.
func TestWireAllowedNetworks(t *testing.T) {
	ctx := context.Background()
	svc, err := keyservice.New(openTempDB(t), keyservice.Options{PasswordHashing: "bcrypt4"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Bootstrap(ctx, "wire-password"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(esapi.NewHandler(esapi.Config{Service: svc, Admin: svc, Authenticator: svc}))
	t.Cleanup(srv.Close)
	proxied := httptest.NewServer(esapi.NewHandler(esapi.Config{Service: svc, Admin: svc, Authenticator: svc,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("172.16.0.0/12")}}))
	t.Cleanup(proxied.Close)
	elastic := "Basic ZWxhc3RpYzp3aXJlLXBhc3N3b3Jk" // elastic:wire-password

	status, _, body := rawCall(t, srv.URL, http.MethodPost, "/_security/api_key", elastic, `{"name":"k","allowed_networks":["10.0.0.0/8"]}`)
	if status != 400 || !strings.Contains(body, `"reason":"[1:13] [api_key_request] unknown field [allowed_networks]"`) {
		t.Fatalf("Elasticsearch's create with allowed_networks: %d %s", status, body)
	}

	create := func(path, body string) (id, encoded string) {
		t.Helper()
		status, _, out := rawCall(t, srv.URL, http.MethodPost, path, elastic, body)
		var resp struct{ ID, Encoded string }
		if status != 200 || json.Unmarshal([]byte(out), &resp) != nil {
			t.Fatalf("POST %s: %d %s", path, status, out)
		}
		return resp.ID, resp.Encoded
	}
	id, encoded := create("/_security/api_key", `{"name":"bound","metadata":{"team":"a"}}`)
	reads := []struct{ name, method, path, body string }{
		{"get", http.MethodGet, "/_security/api_key?id=" + id, ""},
		{"query", http.MethodPost, "/_security/_query/api_key", `{"query":{"ids":{"values":["` + id + `"]}}}`},
	}
	before := make([]string, len(reads))
	for i, r := range reads {
		_, _, before[i] = rawCall(t, srv.URL, r.method, r.path, elastic, r.body)
	}
	if status, _, out := rawCall(t, srv.URL, http.MethodPut, "/_apikeyd/api_key/"+id, elastic, `{"allowed_networks":["10.0.0.0/8","local"]}`); status != 200 || out != `{"updated":true}` {
		t.Fatalf("bind the key: %d %s", status, out)
	}
	for i, r := range reads {
		t.Run(r.name, func(t *testing.T) {
			if _, _, got := rawCall(t, srv.URL, r.method, r.path, elastic, r.body); got != before[i] {
				t.Errorf("without with_restrictions:\ngot  %s\nwant %s", got, before[i])
			}
			sep := "?"
			if strings.Contains(r.path, "?") {
				sep = "&"
			}
			status, _, got := rawCall(t, srv.URL, r.method, r.path+sep+"with_restrictions=true", elastic, r.body)
			if status != 200 || !strings.Contains(got, `"allowed_networks":["10.0.0.0/8","local"]`) {
				t.Errorf("with_restrictions: %d %s", status, got)
			}
		})
	}

	// The refusal is the wrong secret's, headers and body.
	wrong := encodeCredential(id, "AAAAAAAAAAAAAAAAAAAAAA")
	wStatus, wHeader, wBody := callForwarded(t, srv.URL, wrong, "")
	status, header, body := callForwarded(t, srv.URL, encoded, "")
	if status != 401 || wStatus != 401 || body != wBody || !slices.Equal(header.Values("WWW-Authenticate"), wHeader.Values("WWW-Authenticate")) {
		t.Fatalf("from outside: %d %v %s\nwrong secret: %d %v %s", status, header, body, wStatus, wHeader, wBody)
	}

	loopID, loopKey := create("/_apikeyd/api_key", `{"name":"loopback","allowed_networks":["127.0.0.0/8"]}`)
	if status, _, out := callForwarded(t, srv.URL, loopKey, ""); status != 200 || !strings.Contains(out, loopID) {
		t.Fatalf("a key bound to 127.0.0.0/8 from 127.0.0.1: %d %s", status, out)
	}
	_, cloneKey := create("/_apikeyd/api_key/clone", `{"api_key":"`+loopKey+`","name":"narrower","allowed_networks":["127.0.0.1"]}`)
	if status, _, out := callForwarded(t, srv.URL, cloneKey, ""); status != 200 {
		t.Fatalf("the clone bound to 127.0.0.1: %d %s", status, out)
	}

	for _, c := range []struct {
		name, base, forwarded string
		status                int
	}{
		{name: "forwarded, not trusted", base: srv.URL, forwarded: "10.1.2.3", status: 401},
		{name: "forwarded by a trusted proxy", base: proxied.URL, forwarded: "10.1.2.3", status: 200},
		{name: "through two trusted proxies", base: proxied.URL, forwarded: "10.1.2.3, 172.16.0.9", status: 200},
		{name: "an untrusted hop on the right", base: proxied.URL, forwarded: "10.1.2.3, 192.0.2.1", status: 401},
		{name: "a forged hop on the left", base: proxied.URL, forwarded: "192.0.2.1, 10.1.2.3", status: 200},
		{name: "a hop that is not an address", base: proxied.URL, forwarded: "10.1.2.3, unknown", status: 401},
		{name: "the proxy itself, nothing forwarded", base: proxied.URL, status: 401},
	} {
		t.Run(c.name, func(t *testing.T) {
			if status, _, out := callForwarded(t, c.base, encoded, c.forwarded); status != c.status {
				t.Fatalf("HTTP %d, want %d: %s", status, c.status, out)
			}
		})
	}
}

// encodeCredential is the encoded ApiKey credential of id and secret.
func encodeCredential(id, secret string) string {
	return base64.StdEncoding.EncodeToString([]byte(id + ":" + secret))
}
