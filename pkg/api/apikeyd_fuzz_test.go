package api

import (
	"strings"
	"testing"
)

func FuzzDecodeInvalidateByQueryRequest(f *testing.F) {
	addSeeds(f, `{"query":{"prefix":{"name":"fleet-"}},"dry_run":true}`,
		`{"query":{"bool":{"filter":[{"term":{"metadata.policy":"old"}}]}},"plan":"sha256:`+"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"+`","expect_count":2,"max_keys":10}`,
		`{"query":"x"}`, `{"expect_count":1.5}`, `{"expect_count":"2"}`, `{"max_keys":-1,"dry_run":"true"}`, `{"plan":null}`)
	fuzzDecoder(f, DecodeInvalidateByQueryRequest, asJSON, nil)
}

func FuzzDecodeExtendedUpdateAPIKeyRequest(f *testing.F) {
	addSeeds(f, `{"name":"renamed","expiration":null}`, `{"expiration":"30d","metadata":{"env":"prod"},"role_descriptors":{}}`,
		`{"name":null}`, `{"name":""}`, `{"expiration":"soon"}`, `{"name":1}`)
	decode := func(body []byte) (*ExtendedUpdateAPIKeyRequest, error) { return DecodeExtendedUpdateAPIKeyRequest("k1", body) }
	fuzzDecoder(f, decode, asJSON, func(t *testing.T, req *ExtendedUpdateAPIKeyRequest) {
		if req.ID != "k1" {
			t.Fatalf("id %q", req.ID)
		}
		if err := req.Check(); err != nil {
			t.Fatalf("accepted %+v fails its own check: %v", req, err)
		}
	})
}

func TestInvalidateByQueryRequestCheck(t *testing.T) {
	digest := "sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	two, minus := 2, -1
	for _, tt := range []struct {
		name string
		req  InvalidateByQueryRequest
		want string // a fragment of the error, "" for none
	}{
		{"a dry run needs nothing", InvalidateByQueryRequest{DryRun: true}, ""},
		{"a run with a count", InvalidateByQueryRequest{ExpectCount: &two}, ""},
		{"a run with a plan", InvalidateByQueryRequest{Plan: digest}, ""},
		{"a run without either", InvalidateByQueryRequest{}, "needs [expect_count] or [plan]"},
		{"upper-case hex", InvalidateByQueryRequest{Plan: "sha256:" + "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"}, "[plan] must be a plan digest"},
		{"another hash", InvalidateByQueryRequest{Plan: "md5:0123"}, "[plan] must be a plan digest"},
		{"a negative count", InvalidateByQueryRequest{ExpectCount: &minus}, "[expect_count] cannot be negative"},
		{"a negative cap", InvalidateByQueryRequest{DryRun: true, MaxKeys: -1}, "[max_keys] cannot be negative"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.req.Check()
			switch {
			case tt.want == "" && err != nil:
				t.Fatal(err)
			case tt.want != "" && (err == nil || ErrorCode(err) != ValidationFailed || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("got %v, want a validation error with %q", err, tt.want)
			}
		})
	}
}

