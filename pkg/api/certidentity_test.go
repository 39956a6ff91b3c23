package api

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestDecodeCertificateIdentity pins how the body decoders read
// certificate_identity: a string on the cross-cluster create and update
// bodies (null: none on create, a clearing on update), refused by the
// parsers of REST keys, which do not know it.
func TestDecodeCertificateIdentity(t *testing.T) {
	create := func(body string) (any, error) {
		r, err := DecodeCreateCrossClusterAPIKeyRequest([]byte(body))
		if err != nil {
			return nil, err
		}
		return r.CertificateIdentity, nil
	}
	update := func(body string) (any, error) {
		r, err := DecodeUpdateCrossClusterAPIKeyRequest("id", []byte(body))
		if err != nil {
			return nil, err
		}
		return r.CertificateIdentity, nil
	}
	restCreate := func(body string) (any, error) { return DecodeCreateAPIKeyRequest([]byte(body)) }
	restUpdate := func(body string) (any, error) { return DecodeUpdateAPIKeyRequest("id", []byte(body)) }
	bulkUpdate := func(body string) (any, error) { return DecodeBulkUpdateAPIKeysRequest([]byte(body)) }
	const access = `"name":"k","access":{"search":[{"names":["a"]}]}`
	tests := []struct {
		name   string
		decode func(string) (any, error)
		body   string
		want   string // the decoded field as JSON, when no error
		reason string // the error's reason, when one
	}{
		{"create with a pattern", create, `{` + access + `,"certificate_identity":"CN=.*"}`, `"CN=.*"`, ""},
		{"create without one", create, `{` + access + `}`, `null`, ""},
		{"create with null: none", create, `{` + access + `,"certificate_identity":null}`, `null`, ""},
		{"create with the empty pattern", create, `{` + access + `,"certificate_identity":""}`, `""`, ""},
		{"create with a number", create, `{` + access + `,"certificate_identity":1}`, "",
			"[1:51] [cross_cluster_api_key_request] certificate_identity doesn't support values of type: VALUE_NUMBER"},
		{"create with an object", create, `{` + access + `,"certificate_identity":{}}`, "",
			"[1:51] [cross_cluster_api_key_request] certificate_identity doesn't support values of type: START_OBJECT"},
		{"create with an array", create, `{` + access + `,"certificate_identity":["CN=a"]}`, "",
			"[1:51] [cross_cluster_api_key_request] certificate_identity doesn't support values of type: START_ARRAY"},
		{"update with a pattern", update, `{"certificate_identity":"CN=a"}`, `"CN=a"`, ""},
		{"update omitting it", update, `{"metadata":{}}`, `null`, ""},
		{"update with null clears", update, `{"certificate_identity":null}`, `null`, ""},
		{"update with a boolean", update, `{"certificate_identity":true}`, "",
			"[1:2] [update_cross_cluster_api_key_request_payload] certificate_identity doesn't support values of type: VALUE_BOOLEAN"},
		{"REST create does not know it", restCreate, `{"name":"k","certificate_identity":"CN=a"}`, "",
			"[1:13] [api_key_request] unknown field [certificate_identity]"},
		{"REST update does not know it", restUpdate, `{"certificate_identity":"CN=a"}`, "",
			"[1:2] [update_api_key_request_payload] unknown field [certificate_identity]"},
		{"bulk update does not know it", bulkUpdate, `{"ids":["a"],"certificate_identity":"CN=a"}`, "",
			"[1:14] [bulk_update_api_key_request] unknown field [certificate_identity]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.decode(tt.body)
			if tt.reason != "" {
				e, ok := AsError(err)
				if !ok || e.Code != ParseFailed || e.Reason != tt.reason {
					t.Fatalf("got %v, want x_content_parse_exception %q", err, tt.reason)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			data, _ := json.Marshal(got)
			if c, ok := got.(*Clearable); ok && c != nil && c.Null {
				data = []byte("null")
				if !strings.Contains(tt.name, "null") {
					t.Fatalf("decoded a clearing from %s", tt.body)
				}
			} else if strings.Contains(tt.name, "null clears") {
				t.Fatalf("null on update decoded as %s, want a clearing", data)
			}
			if string(data) != tt.want {
				t.Errorf("decoded %s, want %s", data, tt.want)
			}
		})
	}
}

// TestCertificateIdentityOnTheWire pins what clients send and get.
func TestCertificateIdentityOnTheWire(t *testing.T) {
	for _, tt := range []struct {
		name string
		v    any
		want string
	}{
		{"update keeping it", UpdateCrossClusterAPIKeyRequest{ID: "x", Metadata: Metadata{}}, `{"metadata":{}}`},
		{"update clearing it", UpdateCrossClusterAPIKeyRequest{ID: "x", CertificateIdentity: &Clearable{Null: true}}, `{"certificate_identity":null}`},
		{"update setting it", UpdateCrossClusterAPIKeyRequest{ID: "x", CertificateIdentity: &Clearable{Value: "CN=a"}}, `{"certificate_identity":"CN=a"}`},
		{"create", CreateCrossClusterAPIKeyRequest{Name: new("k"), CertificateIdentity: new("CN=a")}, `{"name":"k","access":null,"certificate_identity":"CN=a"}`},
		{"a key without one", APIKey{ID: "x", Type: TypeCrossCluster}, `{"id":"x","name":"","type":"cross_cluster","creation":0,"invalidated":false,"username":"","realm":"","metadata":null,"role_descriptors":{}}`},
		{"a key with one", APIKey{ID: "x", Type: TypeCrossCluster, Access: &CrossClusterAccess{}, CertificateIdentity: new("")},
			`{"id":"x","name":"","type":"cross_cluster","creation":0,"invalidated":false,"username":"","realm":"","metadata":null,"role_descriptors":{},"access":{},"certificate_identity":""}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			data, err := json.Marshal(tt.v)
			if err != nil || string(data) != tt.want {
				t.Errorf("got %s %v\nwant %s", data, err, tt.want)
			}
		})
	}
}
