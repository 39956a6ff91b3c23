package api

import (
	"strings"
	"testing"
	"time"
)

func TestParseTimeValue(t *testing.T) {
	tests := []struct {
		in     string
		want   time.Duration
		reason string
	}{
		{"20s", 20 * time.Second, ""},
		{"10m", 10 * time.Minute, ""},
		{"1h", time.Hour, ""},
		{"30d", 30 * 24 * time.Hour, ""},
		{"1500ms", 1500 * time.Millisecond, ""},
		{" 2H ", 2 * time.Hour, ""},
		{"5nanos", 5, ""},
		{"7micros", 7 * time.Microsecond, ""},
		{"-1", -1, ""},
		{"0", 0, ""},
		{"000", 0, ""},
		{"10", 0, "failed to parse setting [expiration] with value [10] as a time value: unit is missing or unrecognized"},
		{"1w", 0, "unit is missing or unrecognized"},
		{"", 0, "unit is missing or unrecognized"},
		{"1.5h", 0, "failed to parse [1.5h], fractional time values are not supported"},
		{"-2s", 0, "negative durations are not supported"},
		{"xs", 0, "failed to parse [xs]"},
		{"99999999999999999d", 0, "value is too large"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTimeValue(tt.in, "expiration")
			if tt.reason != "" {
				if err == nil || !strings.Contains(err.Error(), tt.reason) || ErrorCode(err) != Invalid {
					t.Fatalf("ParseTimeValue(%q) = %v, %v; want error %q", tt.in, got, err, tt.reason)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseTimeValue(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestDecodeCreateAPIKeyRequest(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		code   Code
		reason string
	}{
		{"empty body", "", BadFormat, "request body is required"},
		{"unknown field", `{"name":"k","nmae":"x"}`, ParseFailed, "[1:13] [api_key_request] unknown field [nmae]"},
		{"unknown field on line two", "{\n  \"bogus\": 1}", ParseFailed, "[2:3] [api_key_request] unknown field [bogus]"},
		{"name of wrong type", `{"name":{}}`, ParseFailed, "[api_key_request] name doesn't support values of type: START_OBJECT"},
		{"null name", `{"name":null}`, ParseFailed, "name doesn't support values of type: VALUE_NULL"},
		{"metadata not an object", `{"name":"k","metadata":"x"}`, ParseFailed, "metadata doesn't support values of type: VALUE_STRING"},
		{"bad expiration", `{"name":"k","expiration":"10"}`, ParseFailed, "[api_key_request] failed to parse field [expiration]"},
		{"description in a key's role", `{"name":"k","role_descriptors":{"r":{"description":"x"}}}`, ParseFailed, "failed to parse field [role_descriptors]"},
		{"not an object", `[1]`, ParseFailed, "Expected START_OBJECT but was START_ARRAY"},
		{"broken json", `{"name":`, ParseFailed, "[1:9] Unexpected end-of-input: expected a value"},
		{"trailing data", `{"name":"k"} {}`, ParseFailed, "[1:14] Unexpected character ('{' (code 123)): expected end of input"},
		{"duplicate field", `{"name":"a","name":"b"}`, ParseFailed, "[1:13] Duplicate field 'name'"},
		{"duplicate field in metadata", `{"name":"a","metadata":{"x":1,"x":2}}`, ParseFailed, "[1:31] Duplicate field 'x'"},
		{"metadata nested too deep", `{"name":"k","metadata":` + nestedObjects(1000) + `}`, ParseFailed, "Document nesting depth (1001) exceeds the maximum allowed (1000)"},
		{"invalid UTF-8", "{\"name\":\"\xff\xfe\"}", ParseFailed, "[1:10] Invalid UTF-8 middle byte"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeCreateAPIKeyRequest([]byte(tt.body))
			e, ok := AsError(err)
			if !ok || e.Code != tt.code || !strings.Contains(e.Reason, tt.reason) {
				t.Fatalf("got %v (%T), want %s %q", err, err, tt.code.Type(), tt.reason)
			}
		})
	}

	req, err := DecodeCreateAPIKeyRequest([]byte(`{"name":"k","expiration":"1d","metadata":{"n":12345678901234567890},
		"role_descriptors":{"b":{"cluster":["monitor"],"indices":[{"names":"logs-*","privileges":["read"],"query":{"term":{"a":1}}}]},"a":{}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if *req.Name != "k" || *req.Expiration != "1d" || req.RoleDescriptors[0].Name != "b" || req.RoleDescriptors[1].Name != "a" {
		t.Fatalf("decoded %+v", req)
	}
	ip := req.RoleDescriptors[0].Descriptor.Indices[0]
	if ip.Names[0] != "logs-*" || *ip.Query != `{"term":{"a":1}}` {
		t.Fatalf("indices %+v", ip)
	}
	if n, _ := req.Metadata.Get("n"); n == nil || n.(interface{ String() string }).String() != "12345678901234567890" {
		t.Fatalf("metadata number lost precision: %v", n)
	}
}

// nestedObjects is n objects nested in one another, the innermost empty.
func nestedObjects(n int) string {
	return strings.Repeat(`{"a":`, n-1) + "{}" + strings.Repeat("}", n-1)
}

func TestDecodeAcceptsTheDeepestNesting(t *testing.T) {
	// The body is one level, the metadata 999: 1,000 in all.
	if _, err := DecodeCreateAPIKeyRequest([]byte(`{"name":"k","metadata":` + nestedObjects(999) + `}`)); err != nil {
		t.Fatal(err)
	}
}

func TestDecodeRoleDescriptorErrors(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		reason string
	}{
		{"unexpected field", `{"clusters":[]}`, "failed to parse role [r]. unexpected field [clusters]"},
		{"indices without names", `{"indices":[{"privileges":["read"]}]}`, "failed to parse indices privileges for role [r]. missing required [names] field"},
		{"indices without privileges", `{"indices":[{"names":["a"]}]}`, "missing required [privileges] field"},
		{"unknown indices field", `{"indices":[{"names":["a"],"privileges":["read"],"x":1}]}`, "unexpected field [x]"},
		{"cluster not strings", `{"cluster":[1]}`, "expected field [cluster] value to be an array of strings"},
		{"null index names", `{"indices":[{"names":null,"privileges":["read"]}]}`, "expected field [names] value to be a string or an array of strings, but found [VALUE_NULL] instead"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeRoleDescriptor("r", []byte(tt.body), true)
			e, ok := AsError(err)
			if !ok || e.Code != BadFormat || !strings.Contains(e.Reason, tt.reason) {
				t.Fatalf("got %v, want parse_exception %q", err, tt.reason)
			}
		})
	}
}

// TestDecodeRoleDescriptorNullLists pins that null cluster and run_as are
// absent, as Elasticsearch reads them, and not a list of one empty name.
func TestDecodeRoleDescriptorNullLists(t *testing.T) {
	d, err := DecodeRoleDescriptor("r", []byte(`{"cluster":null,"run_as":null}`), true)
	if err != nil || d.Cluster != nil || d.RunAs != nil {
		t.Fatalf("got %+v, %v", d, err)
	}
}

func TestDecodeInvalidateRequest(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		reason string
	}{
		{"empty ids", `{"ids":[]}`, "Field [ids] cannot be an empty array"},
		{"blank id", `{"ids":["a",""]}`, "blank id at index position: [1]"},
		{"blank ids", `{"ids":[" ","b",""]}`, "blank ids at index positions: [0, 2]"},
		{"v7 id field", `{"id":"a"}`, "[invalidate_api_key] unknown field [id]"},
		{"null ids", `{"ids":null}`, "[invalidate_api_key] ids doesn't support values of type: VALUE_NULL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeInvalidateAPIKeysRequest([]byte(tt.body))
			if err == nil || !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("got %v, want %q", err, tt.reason)
			}
		})
	}
	req, err := DecodeInvalidateAPIKeysRequest([]byte(`{"ids":"one","owner":"true"}`))
	if err != nil || len(req.IDs) != 1 || !req.Owner {
		t.Fatalf("single id string: %+v %v", req, err)
	}
}

func TestEnvelopeRoundTrip(t *testing.T) {
	e := &Error{Code: Forbidden, Reason: "Failed to clone API key", Cause: Errorf(Unauthenticated, "api key is expired"),
		Fields: map[string]any{"extra": "x"}, Header: map[string][]string{"WWW-Authenticate": {"ApiKey"}}}
	body := Envelope(e)
	want := `{"error":{"root_cause":[{"type":"security_exception","reason":"Failed to clone API key","extra":"x","header":{"WWW-Authenticate":["ApiKey"]}}],"type":"security_exception","reason":"Failed to clone API key","extra":"x","caused_by":{"type":"security_exception","reason":"api key is expired"},"header":{"WWW-Authenticate":["ApiKey"]}},"status":403}`
	if string(body) != want {
		t.Fatalf("envelope\n got %s\nwant %s", body, want)
	}
	back := DecodeEnvelope(403, body)
	if back.Code != Forbidden || back.Reason != e.Reason || back.Cause == nil || back.Cause.Reason != "api key is expired" || back.Fields["extra"] != "x" {
		t.Fatalf("decoded %+v", back)
	}
}

func FuzzDecodeCreateAPIKeyRequest(f *testing.F) {
	addSeeds(f, `{"name":"k"}`, `{"name":"k","expiration":"1d","metadata":{"a":[1,{"b":null}]}}`,
		`{"name":"my-api-key","expiration":"1d","role_descriptors":{"role-a":{"cluster":["all"],"indices":[{"names":["index-a*"],"privileges":["read"]}]},`+
			`"role-b":{"cluster":["all"],"indices":[{"names":["index-b*"],"privileges":["all"]}]}},"metadata":{"application":"my-application","environment":{"level":1,"trusted":true,"tags":["dev","staging"]}}}`,
		`{"role_descriptors":{"r":{"indices":[{"names":"a","privileges":["read"],"query":"{}"}]}}}`, `{"name":"k","role_descriptors":{"r":{"description":"x"}}}`)
	fuzzDecoder(f, DecodeCreateAPIKeyRequest, asJSON[CreateAPIKeyRequest], func(t *testing.T, req *CreateAPIKeyRequest) {
		if err := req.Check(); err != nil {
			t.Fatalf("accepted %+v fails its own check: %v", req, err)
		}
	})
}

func FuzzParseTimeValue(f *testing.F) {
	for _, s := range []string{"1d", "-1", "0", "1.5h", "10", "5nanos", " 3M "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseTimeValue(s, "expiration")
		// Like Elasticsearch, the only negative value is minus one (of a unit).
		if err == nil && d < 0 && !strings.HasPrefix(strings.TrimSpace(s), "-1") {
			t.Fatalf("ParseTimeValue(%q) = %v", s, d)
		}
		if err != nil && ErrorCode(err) != Invalid {
			t.Fatalf("ParseTimeValue(%q): %v is not an illegal_argument_exception", s, err)
		}
	})
}

func TestParseByteSize(t *testing.T) {
	for _, c := range []struct {
		name, in string
		want     int64
		err      bool
	}{
		{name: "megabytes", in: "10mb", want: 10 << 20},
		{name: "short unit", in: "512k", want: 512 << 10},
		{name: "upper case and spaces", in: " 1GB ", want: 1 << 30},
		{name: "bytes", in: "100b", want: 100},
		{name: "zero without unit", in: "0", want: 0},
		{name: "minus one", in: "-1", want: -1},
		{name: "no unit", in: "100", err: true},
		{name: "fraction", in: "1.5mb", err: true},
		{name: "negative", in: "-5mb", err: true},
		{name: "overflow", in: "99999999pb", err: true},
		{name: "unknown unit", in: "10xb", err: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseByteSize(c.in, "max-content-length")
			if c.err {
				if e, ok := AsError(err); !ok || e.Code != Invalid {
					t.Fatalf("ParseByteSize(%q) = %d, %v; want an Invalid error", c.in, got, err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("ParseByteSize(%q) = %d, %v; want %d", c.in, got, err, c.want)
			}
		})
	}
}
