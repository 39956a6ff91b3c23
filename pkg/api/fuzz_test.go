package api

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// This file holds the fuzz targets of the request body decoders. Every
// decoder promises the same: a body it refuses gets a client error of the
// vocabulary (never a 5xx, never a bare Go error), and a body it accepts
// becomes a request that the client's encoding of it carries to the daemon
// unchanged: encoding the decoded request and decoding that again gives a
// request that encodes the same.

// hostileBodies are seeds every decoder gets: the mistakes a strict reader
// must answer with a 400.
var hostileBodies = []string{
	``, ` `, `null`, `[]`, `"x"`, `1e999`, `{`, `{}`, `{} {}`,
	`{"a":1,"a":2}`,
	"{\"name\":\"\xff\"}",
	`{"ids":null,"name":null,"roles":null,"metadata":null,"expiration":null,"role_descriptors":null,"access":null}`,
	`{"metadata":{"n":123456789012345678901234567890,"f":-1.5e308,"u":"\ud800"}}`,
	`{"metadata":` + nestedObjects(1000) + `}`,
	`{"role_descriptors":{"r":{"cluster":null,"indices":[{"names":null,"privileges":[null]}]}}}`,
}

// addSeeds adds the hostile bodies and the given examples to f.
func addSeeds(f *testing.F, examples ...string) {
	for _, s := range append(examples, hostileBodies...) {
		f.Add([]byte(s))
	}
}

// checkRefusal fails unless err is how a decoder refuses a body: an *Error
// whose code is a 400 of the parsers' vocabulary, renderable as an
// Elasticsearch envelope.
func checkRefusal(t *testing.T, body []byte, err error) {
	t.Helper()
	e, ok := AsError(err)
	if !ok {
		t.Fatalf("%q: %T %v is not an api.Error", body, err, err)
	}
	switch e.Code {
	case Invalid, ParseFailed, BadFormat, ValidationFailed:
	default:
		t.Fatalf("%q: %s (%d) is not a parse error: %v", body, e.Code.Type(), e.Code.Status(), err)
	}
	if !json.Valid(Envelope(e)) {
		t.Fatalf("%q: envelope is not JSON: %s", body, Envelope(e))
	}
}

// encoding is how the client puts a request on the wire.
type encoding[R any] func(*R) ([]byte, error)

// asJSON is the encoding of the requests the client sends as they are.
func asJSON[R any](req *R) ([]byte, error) { return json.Marshal(req) }

// checkReencoding fails unless the encoding of req, which decode accepted,
// is accepted again and decodes to a request with the same encoding.
func checkReencoding[R any](t *testing.T, body []byte, req *R, decode func([]byte) (*R, error), encode encoding[R]) {
	t.Helper()
	first, err := encode(req)
	if err != nil {
		t.Fatalf("%q: encode %+v: %v", body, req, err)
	}
	again, err := decode(first)
	if err != nil {
		t.Fatalf("%q: its encoding %s is refused: %v", body, first, err)
	}
	second, err := encode(again)
	if err != nil {
		t.Fatalf("%q: encode %+v: %v", body, again, err)
	}
	if !bytes.Equal(first, second) {
		t.Fatalf("%q: encoded as %s, decoded and encoded again as %s", body, first, second)
	}
}

// fuzzDecoder runs the common properties of decode; check, when not nil,
// adds the properties of an accepted request.
func fuzzDecoder[R any](f *testing.F, decode func([]byte) (*R, error), encode encoding[R], check func(t *testing.T, req *R)) {
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := decode(body)
		if err != nil {
			checkRefusal(t, body, err)
			return
		}
		if req == nil {
			t.Fatalf("%q: nil request without an error", body)
		}
		if check != nil {
			check(t, req)
		}
		checkReencoding(t, body, req, decode, encode)
	})
}

func FuzzDecodeInvalidateAPIKeysRequest(f *testing.F) {
	addSeeds(f, `{"ids":["VuaCfGcBCdbkQm-e5aOx"],"owner":"true"}`, `{"name":"my-api-key"}`,
		`{"realm_name":"native1","username":"myuser"}`, `{"ids":"one"}`, `{"ids":[" "]}`, `{"owner":false}`)
	fuzzDecoder(f, DecodeInvalidateAPIKeysRequest, asJSON, func(t *testing.T, req *InvalidateAPIKeysRequest) {
		if err := req.Check(); err != nil {
			t.Fatalf("accepted %+v fails its own check: %v", req, err)
		}
	})
}

func FuzzDecodePutUserRequest(f *testing.F) {
	addSeeds(f, `{"password":"l0ng-r4nd0m-p@ssw0rd","roles":["admin","other_role1"],"full_name":"Jack Nicholson","email":"jacknich@example.com","metadata":{"intelligence":7}}`,
		`{"username":"jacknich","password_hash":"$2a$10$x","roles":"a","enabled":"false","full_name":null}`)
	decode := func(body []byte) (*PutUserRequest, error) { return DecodePutUserRequest("jacknich", body) }
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := decode(body)
		if err != nil {
			checkRefusal(t, body, err)
			return
		}
		if req.Username != "jacknich" {
			t.Fatalf("%q: username %q", body, req.Username)
		}
		// The client sends roles as a list, always: the CLI makes an
		// absent --roles an empty list, and nil would go out as null.
		if req.Roles == nil {
			req.Roles = []string{}
		}
		checkReencoding(t, body, req, decode, asJSON)
	})
}

func FuzzDecodeChangePasswordRequest(f *testing.F) {
	addSeeds(f, `{"password":"new-test-password"}`, `{"password_hash":"$2a$10$x"}`, `{"password":""}`)
	fuzzDecoder(f, func(body []byte) (*ChangePasswordRequest, error) { return DecodeChangePasswordRequest("u", body) }, asJSON, nil)
}

func FuzzDecodeRoleRequest(f *testing.F) {
	addSeeds(f,
		`{"description":"Grants full access to all management features within the cluster.","cluster":["all"],`+
			`"indices":[{"names":["index1","index2"],"privileges":["all"],"field_security":{"grant":["title","body"]},"query":"{\"match\": {\"title\": \"foo\"}}"}],`+
			`"applications":[{"application":"myapp","privileges":["admin","read"],"resources":["*"]}],"run_as":["other_user"],"metadata":{"version":1}}`,
		`{"remote_indices":[{"clusters":["my_remote"],"names":["logs*"],"privileges":["read"],"query":{"term":{"a":1}},"allow_restricted_indices":"true"}],`+
			`"remote_cluster":[{"privileges":["monitor_enrich"],"clusters":["my_remote"]}],"global":{"application":{"manage":{"applications":["a"]}}},"transient_metadata":{"enabled":true}}`,
		`{"index":[{"names":"a","privileges":"read"}],"application":[],"restriction":{"workflows":["search_application_query"]}}`)
	// The client sends the descriptor as the body.
	fuzzDecoder(f, func(body []byte) (*PutRoleRequest, error) { return DecodeRoleRequest("my_admin_role", body) },
		func(r *PutRoleRequest) ([]byte, error) { return json.Marshal(r.Descriptor) }, nil)
}

func FuzzDecodeBulkPutRolesRequest(f *testing.F) {
	addSeeds(f, `{"roles":{"my_admin_role":{"cluster":["all"],"indices":[{"names":["index1"],"privileges":["all"]}],"metadata":{"version":1}},"my_user_role":{"description":"user","run_as":null}}}`,
		`{"roles":{}}`, `{}`, `{"roles":[]}`, `{"roles":{"a":{"cluster":"monitor"}},"names":[]}`)
	fuzzDecoder(f, DecodeBulkPutRolesRequest, asJSON[BulkPutRolesRequest], nil)
}

func FuzzDecodeBulkDeleteRolesRequest(f *testing.F) {
	addSeeds(f, `{"names":["my_admin_role","my_user_role"]}`, `{"names":[]}`, `{"names":"one"}`, `{"names":null}`, `{}`)
	fuzzDecoder(f, DecodeBulkDeleteRolesRequest, asJSON[BulkDeleteRolesRequest], nil)
}

func FuzzDecodeGrantAPIKeyRequest(f *testing.F) {
	addSeeds(f, `{"grant_type":"password","username":"test_admin","password":"x-pack-test-password","api_key":{"name":"my-api-key","expiration":"1d",`+
		`"role_descriptors":{"role-a":{"cluster":["all"],"indices":[{"names":["index-a*"],"privileges":["read"]}]}},"metadata":{"application":"my-application"}}}`,
		`{"grant_type":"access_token","access_token":"t","run_as":"u","client_authentication":{"scheme":"SharedSecret","value":"s"},"api_key":{}}`,
		`{"api_key":{"name":"k","expiration":"10"}}`, `{"api_key":[]}`)
	fuzzDecoder(f, DecodeGrantAPIKeyRequest, asJSON[GrantAPIKeyRequest], nil)
}

func FuzzDecodeBulkGrantAPIKeysRequest(f *testing.F) {
	addSeeds(f, `{"grant_type":"password","username":"u","password":"p","api_keys":[{"name":"a"},{"name":"b","expiration":"1h","metadata":{}}]}`,
		`{"api_keys":[]}`, `{"api_keys":[{"name":"a"},7]}`)
	fuzzDecoder(f, DecodeBulkGrantAPIKeysRequest, asJSON[BulkGrantAPIKeysRequest], nil)
}

func FuzzDecodeCloneAPIKeyRequest(f *testing.F) {
	addSeeds(f, `{"api_key":"VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==","name":"ci-clone","expiration":"1h","metadata":{"job":42}}`,
		`{"api_key":"x","expiration":null,"metadata":{}}`, `{"expiration":"-1"}`)
	fuzzDecoder(f, DecodeCloneAPIKeyRequest, asJSON[CloneAPIKeyRequest], nil)
}

func FuzzDecodeUpdateAPIKeyRequest(f *testing.F) {
	addSeeds(f, `{"role_descriptors":{"role-a":{"indices":[{"names":["*"],"privileges":["write"]}]}},"metadata":{"environment":{"level":2,"trusted":true,"tags":["production"]}}}`,
		`{"role_descriptors":{}}`, `{"metadata":{},"expiration":"30d"}`)
	decode := func(body []byte) (*UpdateAPIKeyRequest, error) {
		return DecodeUpdateAPIKeyRequest("VuaCfGcBCdbkQm-e5aOx", body)
	}
	fuzzDecoder(f, decode, asJSON[UpdateAPIKeyRequest], func(t *testing.T, req *UpdateAPIKeyRequest) {
		if err := req.Check(); err != nil {
			t.Fatalf("accepted %+v fails its own check: %v", req, err)
		}
	})
}

func FuzzDecodeBulkUpdateAPIKeysRequest(f *testing.F) {
	addSeeds(f, `{"ids":["VuaCfGcBCdbkQm-e5aOx","H3_AhoIBA9hmeQJdg7ij"],"role_descriptors":{"role-a":{"indices":[{"names":["*"],"privileges":["write"]}]}},"metadata":{"environment":{"level":2}},"expiration":"30d"}`,
		`{"ids":"one","role_descriptors":{}}`, `{"ids":[]}`)
	fuzzDecoder(f, DecodeBulkUpdateAPIKeysRequest, asJSON[BulkUpdateAPIKeysRequest], func(t *testing.T, req *BulkUpdateAPIKeysRequest) {
		if err := req.Check(); err != nil {
			t.Fatalf("accepted %+v fails its own check: %v", req, err)
		}
	})
}

// crossClusterAccess is the access of Elasticsearch's create cross-cluster
// API key example.
const crossClusterAccess = `{"search":[{"names":["logs*"]}],"replication":[{"names":["archive*"],"allow_restricted_indices":false}]}`

func FuzzDecodeCreateCrossClusterAPIKeyRequest(f *testing.F) {
	addSeeds(f, `{"name":"my-cross-cluster-api-key","expiration":"1d","access":`+crossClusterAccess+`,"metadata":{"description":"phase one","environment":{"level":1,"trusted":true,"tags":["dev","staging"]}}}`,
		`{"name":"k","access":{"search":[{"names":"a","query":{"term":{"x":1}},"field_security":{"grant":["*"]}}]}}`,
		`{"name":"k","access":{"search":[{"names":["a"],"privileges":["read"]}]}}`,
		`{"name":"k","access":{"replication":[{"names":["a"],"query":"{}"}]}}`,
		`{"name":"k","access":{"search":[null]}}`, `{"name":"k","access":{}}`)
	fuzzDecoder(f, DecodeCreateCrossClusterAPIKeyRequest, asJSON[CreateCrossClusterAPIKeyRequest], func(t *testing.T, req *CreateCrossClusterAPIKeyRequest) {
		if err := req.Check(); err != nil {
			t.Fatalf("accepted %+v fails its own check: %v", req, err)
		}
	})
}

func FuzzDecodeUpdateCrossClusterAPIKeyRequest(f *testing.F) {
	addSeeds(f, `{"access":`+crossClusterAccess+`,"metadata":{"application":"replication"}}`, `{"expiration":"7d"}`, `{"access":{"search":[]}}`)
	decode := func(body []byte) (*UpdateCrossClusterAPIKeyRequest, error) {
		return DecodeUpdateCrossClusterAPIKeyRequest("VuaCfGcBCdbkQm-e5aOx", body)
	}
	fuzzDecoder(f, decode, asJSON[UpdateCrossClusterAPIKeyRequest], func(t *testing.T, req *UpdateCrossClusterAPIKeyRequest) {
		if err := req.Check(); err != nil {
			t.Fatalf("accepted %+v fails its own check: %v", req, err)
		}
	})
}

func FuzzDecodeHasPrivilegesRequest(f *testing.F) {
	addSeeds(f, `{"cluster":["monitor","manage"],"index":[{"names":["suppliers","products"],"privileges":["read"]},{"names":["inventory"],"privileges":["read","write"],"allow_restricted_indices":true}],`+
		`"application":[{"application":"inventory_manager","privileges":["read","data:write/inventory"],"resources":["product/1852563"]}]}`,
		`{"cluster":"all"}`, `{"index":[{"names":null}]}`)
	fuzzDecoder(f, DecodeHasPrivilegesRequest, asJSON[HasPrivilegesRequest], nil)
}

// FuzzDecodeEnvelope feeds the client's reader of error responses
// arbitrary bodies: it always makes an error, and an error it made is read
// back the same from its own envelope.
func FuzzDecodeEnvelope(f *testing.F) {
	for _, seed := range []struct {
		status int
		body   string
	}{
		{400, `{"error":{"root_cause":[{"type":"x_content_parse_exception","reason":"[1:2] x"}],"type":"x_content_parse_exception","reason":"[1:2] x","caused_by":{"type":"illegal_argument_exception","reason":"y"}},"status":400}`},
		{401, `{"error":{"type":"security_exception","reason":"missing authentication credentials","header":{"WWW-Authenticate":["ApiKey"]}},"status":401}`},
		{404, `{"error":"Incorrect HTTP method","status":405}`},
		{500, `{"error":{"type":"exception","reason":"boom","extra":[1.5,null,{"a":"b"}]},"status":500}`},
		{409, `<html>conflict</html>`},
		{403, ``},
		{400, `{"error":{"type":"","caused_by":{"type":7}}}`},
	} {
		f.Add(seed.status, []byte(seed.body))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		// The statuses the daemon answers with: a code maps back to its
		// status only.
		statuses := []int{400, 401, 403, 404, 409, 500}
		status = statuses[uint(status)%uint(len(statuses))]
		e := DecodeEnvelope(status, body)
		if e == nil {
			t.Fatalf("%d %q: no error", status, body)
		}
		env := Envelope(e)
		if !json.Valid(env) {
			t.Fatalf("%d %q: envelope is not JSON: %s", status, body, env)
		}
		// Compared as JSON values: invalid UTF-8 is written as \ufffd the
		// first time and as the character itself the second.
		again := Envelope(DecodeEnvelope(e.Code.Status(), env))
		var want, got any
		if json.Unmarshal(env, &want) != nil || json.Unmarshal(again, &got) != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("%d %q: envelope %s read back as %s", status, body, env, again)
		}
	})
}
