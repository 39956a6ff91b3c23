package keyservice_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// TestCertificateIdentity follows Elasticsearch 9.3's certificate_identity
// of a cross-cluster key through create, get, query, update (omitted keeps
// it, a value replaces it, null clears it, the same value is a noop) and
// rotation.
func TestCertificateIdentity(t *testing.T) {
	fx := newFixture(t)
	sec := fx.as("secadmin")
	access := &api.CrossClusterAccess{Search: []api.SearchAccess{{Names: []string{"logs*"}}}}
	const dn = `CN=.*\.example\.com,O=Example Corp,C=US`
	resp, err := fx.svc.CreateCrossClusterAPIKey(sec, &api.CreateCrossClusterAPIKeyRequest{Name: ptr("eu"), Access: access, CertificateIdentity: ptr(dn)})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := fx.svc.CreateCrossClusterAPIKey(sec, &api.CreateCrossClusterAPIKeyRequest{Name: ptr("us"), Access: access})
	if err != nil {
		t.Fatal(err)
	}

	identity := func(id string) *string {
		t.Helper()
		got, err := fx.svc.GetAPIKeys(sec, &api.GetAPIKeysRequest{ID: id})
		if err != nil || len(got.APIKeys) != 1 {
			t.Fatalf("get %s: %v", id, err)
		}
		q, err := fx.svc.QueryAPIKeys(sec, &api.QueryAPIKeysRequest{Body: json.RawMessage(`{"query":{"ids":{"values":["` + id + `"]}}}`)})
		if err != nil || len(q.APIKeys) != 1 {
			t.Fatalf("query %s: %v", id, err)
		}
		g, qq := got.APIKeys[0].CertificateIdentity, q.APIKeys[0].CertificateIdentity
		if (g == nil) != (qq == nil) || (g != nil && *g != *qq) {
			t.Fatalf("get says %v, query %v", g, qq)
		}
		return g
	}
	wantIdentity := func(step string, want *string) {
		t.Helper()
		got := identity(resp.ID)
		if (got == nil) != (want == nil) || (got != nil && *got != *want) {
			t.Fatalf("%s: certificate_identity = %v, want %v", step, deref(got), deref(want))
		}
	}
	update := func(step string, req api.UpdateCrossClusterAPIKeyRequest, wantUpdated bool) {
		t.Helper()
		req.ID = resp.ID
		got, err := fx.svc.UpdateCrossClusterAPIKey(sec, &req)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if got.Updated != wantUpdated {
			t.Fatalf("%s: updated = %v, want %v", step, got.Updated, wantUpdated)
		}
	}

	wantIdentity("after create", ptr(dn))
	if identity(plain.ID) != nil {
		t.Fatal("a key created without one has one")
	}
	got, _ := fx.svc.GetAPIKeys(sec, &api.GetAPIKeysRequest{ID: resp.ID})
	data, _ := json.Marshal(got.APIKeys[0])
	if want := `"access":{"search":[{"names":["logs*"],"allow_restricted_indices":false}]},"certificate_identity":"CN=.*\\.example\\.com,O=Example Corp,C=US"}`; !strings.HasSuffix(string(data), want) {
		t.Errorf("wire form: %s\nwant it to end with %s", data, want)
	}
	plainGot, _ := fx.svc.GetAPIKeys(sec, &api.GetAPIKeysRequest{ID: plain.ID})
	if data, _ := json.Marshal(plainGot.APIKeys[0]); strings.Contains(string(data), "certificate_identity") {
		t.Errorf("a key without one shows the field: %s", data)
	}

	update("metadata only", api.UpdateCrossClusterAPIKeyRequest{Metadata: api.MetadataFromMap(map[string]any{"team": "a"})}, true)
	wantIdentity("an update that omits it keeps it", ptr(dn))
	update("the same value", api.UpdateCrossClusterAPIKeyRequest{CertificateIdentity: &api.Clearable{Value: dn}}, false)
	update("a new value, alone", api.UpdateCrossClusterAPIKeyRequest{CertificateIdentity: &api.Clearable{Value: "CN=remote-1"}}, true)
	wantIdentity("after replacing it", ptr("CN=remote-1"))
	update("null", api.UpdateCrossClusterAPIKeyRequest{CertificateIdentity: &api.Clearable{Null: true}}, true)
	wantIdentity("after clearing it", nil)
	update("null again", api.UpdateCrossClusterAPIKeyRequest{CertificateIdentity: &api.Clearable{Null: true}}, false)
	update("the empty pattern", api.UpdateCrossClusterAPIKeyRequest{CertificateIdentity: &api.Clearable{Value: ""}}, true)
	wantIdentity("the empty pattern is one", ptr(""))
	update("set again", api.UpdateCrossClusterAPIKeyRequest{CertificateIdentity: &api.Clearable{Value: "CN=remote-2"}}, true)

	rotated, err := fx.svc.RotateAPIKey(sec, &api.RotateAPIKeyRequest{ID: resp.ID})
	if err != nil {
		t.Fatal(err)
	}
	if got := identity(rotated.ID); got == nil || *got != "CN=remote-2" {
		t.Errorf("the successor of a rotation has certificate_identity %v, want CN=remote-2", deref(got))
	}
}

func TestCertificateIdentityRefusals(t *testing.T) {
	fx := newFixture(t)
	sec := fx.as("secadmin")
	access := &api.CrossClusterAccess{Search: []api.SearchAccess{{Names: []string{"logs*"}}}}
	key, err := fx.svc.CreateCrossClusterAPIKey(sec, &api.CreateCrossClusterAPIKeyRequest{Name: ptr("eu"), Access: access, CertificateIdentity: ptr("CN=remote")})
	if err != nil {
		t.Fatal(err)
	}
	rest := fx.create(sec, "rest")
	const badReason = "Invalid certificate_identity format: [CN=(remote]. Must be a valid regex."
	tests := []struct {
		name   string
		call   func() error
		status int
		typ    string
		reason string
	}{
		{"create with a pattern that does not compile", func() error {
			_, err := fx.svc.CreateCrossClusterAPIKey(sec, &api.CreateCrossClusterAPIKeyRequest{Name: ptr("x"), Access: access, CertificateIdentity: ptr("CN=(remote")})
			return err
		}, 400, "illegal_argument_exception", badReason},
		{"the pattern is checked before authorization", func() error {
			_, err := fx.svc.CreateCrossClusterAPIKey(fx.as("admin"), &api.CreateCrossClusterAPIKeyRequest{Name: ptr("x"), Access: access, CertificateIdentity: ptr("CN=(remote")})
			return err
		}, 400, "illegal_argument_exception", badReason},
		{"update with a pattern that does not compile", func() error {
			_, err := fx.svc.UpdateCrossClusterAPIKey(sec, &api.UpdateCrossClusterAPIKeyRequest{ID: key.ID, CertificateIdentity: &api.Clearable{Value: "CN=(remote"}})
			return err
		}, 400, "illegal_argument_exception", badReason},
		{"an update naming nothing", func() error {
			_, err := fx.svc.UpdateCrossClusterAPIKey(sec, &api.UpdateCrossClusterAPIKeyRequest{ID: key.ID})
			return err
		}, 400, "action_request_validation_exception", "Validation Failed: 1: must update  [access] or [metadata] or [certificate_identity] for cross-cluster API keys;"},
		{"a REST key cannot take one", func() error {
			_, err := fx.svc.UpdateCrossClusterAPIKey(sec, &api.UpdateCrossClusterAPIKeyRequest{ID: rest.ID, CertificateIdentity: &api.Clearable{Value: "CN=x"}})
			return err
		}, 400, "illegal_argument_exception", "cannot update API key of type [rest] while expected type is [cross_cluster]"},
		{"query cannot filter on it", func() error {
			_, err := fx.svc.QueryAPIKeys(sec, &api.QueryAPIKeysRequest{Body: json.RawMessage(`{"query":{"term":{"certificate_identity":"CN=remote"}}}`)})
			return err
		}, 400, "illegal_argument_exception", "Field [certificate_identity] is not allowed for querying or aggregation"},
		{"query cannot sort on it", func() error {
			_, err := fx.svc.QueryAPIKeys(sec, &api.QueryAPIKeysRequest{Body: json.RawMessage(`{"sort":["certificate_identity"]}`)})
			return err
		}, 400, "illegal_argument_exception", "Field [certificate_identity] is not allowed for querying or aggregation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantErr(t, tt.call(), tt.status, tt.typ, tt.reason) })
	}
	got, _ := fx.svc.GetAPIKeys(sec, &api.GetAPIKeysRequest{ID: key.ID})
	if ci := got.APIKeys[0].CertificateIdentity; ci == nil || *ci != "CN=remote" {
		t.Errorf("a refused update changed the certificate identity to %v", deref(ci))
	}
}

func deref(p *string) string {
	if p == nil {
		return "<none>"
	}
	return `"` + *p + `"`
}
