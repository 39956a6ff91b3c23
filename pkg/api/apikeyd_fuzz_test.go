package api

import (
	"strings"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/strictjson"
)

func FuzzDecodeInvalidateByQueryRequest(f *testing.F) {
	addSeeds(f, `{"query":{"prefix":{"name":"fleet-"}},"dry_run":true}`,
		`{"query":{"bool":{"filter":[{"term":{"metadata.policy":"old"}}]}},"plan":"sha256:`+"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"+`","expect_count":2,"max_keys":10}`,
		`{"query":"x"}`, `{"expect_count":1.5}`, `{"expect_count":"2"}`, `{"max_keys":-1,"dry_run":"true"}`, `{"plan":null}`)
	fuzzDecoder(f, DecodeInvalidateByQueryRequest, asJSON, func(t *testing.T, req *InvalidateByQueryRequest) {
		body := req.QueryBody()
		if req.Query == nil {
			if body != nil {
				t.Fatalf("no query, a query body %q", body)
			}
			return
		}
		root, err := strictjson.Parse(body)
		if err != nil || root.Kind != strictjson.Object || len(root.Members) != 1 || root.Members[0].Key != "query" ||
			string(body[root.Members[0].Value.Start:root.Members[0].Value.End]) != string(req.Query) {
			t.Fatalf("query %s: the query body %q is not {\"query\": it} (%v)", req.Query, body, err)
		}
	})
}

func FuzzDecodeExtendedUpdateAPIKeyRequest(f *testing.F) {
	addSeeds(f, `{"name":"renamed","expiration":null}`, `{"expiration":"30d","metadata":{"env":"prod"},"role_descriptors":{}}`,
		`{"name":null}`, `{"name":""}`, `{"expiration":"soon"}`, `{"name":1}`)
	decode := func(body []byte) (*ExtendedUpdateAPIKeyRequest, error) {
		return DecodeExtendedUpdateAPIKeyRequest("k1", body)
	}
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

// TestInvalidateByQueryLayout: the query API reads the query where the
// caller wrote it, so that its errors give the caller's positions.
func TestInvalidateByQueryLayout(t *testing.T) {
	for _, tt := range []struct{ name, body, want string }{
		{"query first", `{"query":{"term":{"name":"a"}},"dry_run":true}`,
			`{"query":{"term":{"name":"a"}}               }`},
		{"query last, over lines", "{\n  \"plan\": \"sha256:é\",\n  \"query\" : {\"ids\":{\"values\":[\"x\"]}}\n}",
			"{\n" + strings.Repeat(" ", 21) + "\n  \"query\" : {\"ids\":{\"values\":[\"x\"]}}\n}"},
		{"an escaped key", `{"\u0071uery":{"match_all":{}},"dry_run":true}`, `{"query":{"match_all":{}}}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, err := DecodeInvalidateByQueryRequest([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if got := string(req.QueryBody()); got != tt.want {
				t.Fatalf("got %q,\nwant %q", got, tt.want)
			}
		})
	}
	if got := (&InvalidateByQueryRequest{}).QueryBody(); got != nil {
		t.Fatalf("no query: %q, want an empty body", got)
	}
}
