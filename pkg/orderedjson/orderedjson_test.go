package orderedjson

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestEncode(t *testing.T) {
	tests := []struct {
		name, in, compact, pretty, escaped string
	}{
		{
			name:    "scalars keep their text",
			in:      `{"a":1.50,"b":"<&>","c":null,"d":true,"e":false}`,
			compact: `{"a":1.50,"b":"<&>","c":null,"d":true,"e":false}`,
			pretty:  "{\n  \"a\" : 1.50,\n  \"b\" : \"<&>\",\n  \"c\" : null,\n  \"d\" : true,\n  \"e\" : false\n}\n",
			escaped: `{"a":1.50,"b":"\u003c\u0026\u003e","c":null,"d":true,"e":false}`,
		},
		{
			name:    "member order is kept",
			in:      `{"z":1,"a":{"y":2,"b":3}}`,
			compact: `{"z":1,"a":{"y":2,"b":3}}`,
			pretty:  "{\n  \"z\" : 1,\n  \"a\" : {\n    \"y\" : 2,\n    \"b\" : 3\n  }\n}\n",
			escaped: `{"z":1,"a":{"y":2,"b":3}}`,
		},
		{
			name:    "empty containers",
			in:      `{"a":{},"b":[]}`,
			compact: `{"a":{},"b":[]}`,
			pretty:  "{\n  \"a\" : { },\n  \"b\" : [ ]\n}\n",
			escaped: `{"a":{},"b":[]}`,
		},
		{
			name:    "array of scalars",
			in:      ` [1, "x"] `,
			compact: `[1,"x"]`,
			pretty:  "[\n  1,\n  \"x\"\n]\n",
			escaped: `[1,"x"]`,
		},
		{
			name:    "unicode key",
			in:      `{"é\u2028":1}`,
			compact: `{"é\u2028":1}`,
			pretty:  "{\n  \"é\\u2028\" : 1\n}\n",
			escaped: `{"é\u2028":1}`,
		},
		{
			name:    "a lone scalar",
			in:      `"<x>"`,
			compact: `"<x>"`,
			pretty:  "\"<x>\"\n",
			escaped: `"\u003cx\u003e"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := Decode([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if got := string(Encode(v, Format{})); got != tt.compact {
				t.Errorf("compact %s, want %s", got, tt.compact)
			}
			if got := string(Encode(v, Format{Pretty: true})); got != tt.pretty {
				t.Errorf("pretty %q, want %q", got, tt.pretty)
			}
			if got := string(Encode(v, Format{EscapeHTML: true})); got != tt.escaped {
				t.Errorf("escaped %s, want %s", got, tt.escaped)
			}
		})
	}
}

func TestDecodeRefuses(t *testing.T) {
	tests := []struct{ name, in string }{
		{"two documents", `{} {}`},
		{"nothing", ``},
		{"unterminated object", `{"a":1`},
		{"bad literal", `{"a":nul}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if v, err := Decode([]byte(tt.in)); err == nil {
				t.Errorf("Decode(%q) = %v, want an error", tt.in, v)
			}
		})
	}
}

func TestGet(t *testing.T) {
	v, err := Decode([]byte(`{"a":1,"b":null}`))
	if err != nil {
		t.Fatal(err)
	}
	obj := v.(Object)
	if got, ok := obj.Get("a"); !ok || got != json.Number("1") {
		t.Errorf("Get(a) = %v, %v", got, ok)
	}
	if got, ok := obj.Get("b"); !ok || got != nil {
		t.Errorf("Get(b) = %v, %v", got, ok)
	}
	if _, ok := obj.Get("c"); ok {
		t.Errorf("Get(c) found a member")
	}
}

// FuzzRoundTrip checks that decoding never panics and that what Encode
// writes decodes to the same value, in every format.
func FuzzRoundTrip(f *testing.F) {
	for _, s := range []string{`{"a":[1,{"b":null}],"c":"<\u00e9>"}`, `[]`, `"x"`, `1e5`, `{"a":{}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Decode(data)
		if err != nil {
			return
		}
		compact := Encode(v, Format{})
		for _, format := range []Format{{}, {Pretty: true}, {EscapeHTML: true}} {
			w, err := Decode(Encode(v, format))
			if err != nil {
				t.Fatalf("%+v: re-decode: %v", format, err)
			}
			if again := Encode(w, Format{}); !bytes.Equal(again, compact) {
				t.Fatalf("%+v: %s became %s", format, compact, again)
			}
		}
	})
}
