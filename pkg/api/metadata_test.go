package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/strictjson"
)

// TestMetadataRoundTrip decodes metadata and encodes it back: members come
// out at every level in the order Elasticsearch returns them, a Java
// HashMap's (neither written nor sorted order), numbers with their text.
func TestMetadataRoundTrip(t *testing.T) {
	for _, tt := range []struct {
		name, in, want string
	}{
		{"flat, unsorted", `{"level":1,"trusted":true,"tags":["a"]}`, `{"level":1,"trusted":true,"tags":["a"]}`},
		{"the Elasticsearch docs' example", `{"application":"myapp","environment":{"level":1,"trusted":true}}`, `{"environment":{"level":1,"trusted":true},"application":"myapp"}`},
		{"nested objects", `{"z":{"y":{"x":1,"w":2},"a":null},"b":{}}`, `{"b":{},"z":{"a":null,"y":{"w":2,"x":1}}}`},
		{"arrays of objects", `{"list":[{"d":1,"c":2},[{"f":true,"e":false}],"s",1.50]}`, `{"list":[{"c":2,"d":1},[{"e":false,"f":true}],"s",1.50]}`},
		{"numbers as written", `{"big":12345678901234567890,"f":1.50,"e":1e3,"neg":-0}`, `{"big":12345678901234567890,"neg":-0,"e":1e3,"f":1.50}`},
		{"whitespace dropped", "{ \"b\" : 1 ,\n \"a\" : [ 1 , 2 ] }", `{"a":[1,2],"b":1}`},
		{"escapes decoded", `{"\u0062":"\u00e9\ud83d\ude00","q":"\"\\\n\t","h":"<&>"}`, `{"q":"\"\\\n\t","b":"é😀","h":"\u003c\u0026\u003e"}`},
		{"empty object", `{}`, `{}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var m Metadata
			if err := json.Unmarshal([]byte(tt.in), &m); err != nil {
				t.Fatal(err)
			}
			if m == nil {
				t.Fatal("decoded to nil")
			}
			got, err := json.Marshal(m)
			if err != nil || string(got) != tt.want {
				t.Fatalf("got  %s %v\nwant %s", got, err, tt.want)
			}
		})
	}
}

// TestMetadataDecodeRefuses checks what is not metadata: anything but an
// object, malformed JSON, and (for ParseMetadata, which reads what a user
// wrote) what the strict reader refuses.
func TestMetadataDecodeRefuses(t *testing.T) {
	for _, tt := range []struct {
		name, in   string
		strictOnly bool
	}{
		{name: "array", in: `[1]`},
		{name: "string", in: `"x"`},
		{name: "empty", in: ``},
		{name: "unterminated object", in: `{"a":1`},
		{name: "unterminated string", in: `{"a":"x}`},
		{name: "missing colon", in: `{"a" 1}`},
		{name: "trailing comma", in: `{"a":1,}`},
		{name: "trailing data", in: `{"a":1} {}`},
		{name: "bad literal", in: `{"a":tru}`},
		{name: "bad number", in: `{"a":01}`},
		{name: "bad fraction", in: `{"a":1.}`},
		{name: "bad exponent", in: `{"a":1e}`},
		{name: "control character", in: "{\"a\":\"\x01\"}"},
		{name: "bad escape", in: `{"a":"\x"}`},
		{name: "too deep", in: strings.Repeat(`{"a":`, 1001) + `1` + strings.Repeat(`}`, 1001)},
		{name: "duplicate key", in: `{"a":1,"a":2}`, strictOnly: true},
		{name: "duplicate nested key", in: `{"a":{"b":1,"b":2}}`, strictOnly: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if m, err := ParseMetadata([]byte(tt.in)); err == nil {
				t.Fatalf("ParseMetadata(%s) = %v", tt.in, m)
			}
			var m Metadata
			if err := m.UnmarshalJSON([]byte(tt.in)); (err == nil) != tt.strictOnly {
				t.Fatalf("UnmarshalJSON(%s) = %v, %v", tt.in, m, err)
			}
		})
	}
}

// TestMetadataPresence pins how absent, null and empty metadata travel in
// the request and response structs, as they did as maps.
func TestMetadataPresence(t *testing.T) {
	for _, tt := range []struct {
		name string
		v    any
		want string
	}{
		{"create, absent", CreateAPIKeyRequest{Name: new("k")}, `{"name":"k"}`},
		{"create, empty", CreateAPIKeyRequest{Name: new("k"), Metadata: Metadata{}}, `{"name":"k"}`},
		{"create, unsorted", CreateAPIKeyRequest{Name: new("k"), Metadata: Metadata{{"b", 1}, {"a", 2}}}, `{"name":"k","metadata":{"a":2,"b":1}}`},
		{"update, absent", UpdateAPIKeyRequest{ID: "i"}, `{}`},
		{"update, empty clears", UpdateAPIKeyRequest{ID: "i", Metadata: Metadata{}}, `{"metadata":{}}`},
		{"extended update, unsorted", ExtendedUpdateAPIKeyRequest{ID: "i", Metadata: Metadata{{"b", 1}, {"a", Metadata{{"d", 1}, {"c", 2}}}}}, `{"metadata":{"a":{"c":2,"d":1},"b":1}}`},
		{"user, nil is null", User{Username: "u", Roles: []string{}}, `{"username":"u","roles":[],"full_name":null,"email":null,"metadata":null,"enabled":false}`},
		{"role descriptor, nil is {}", RoleDescriptor{}, `{"cluster":[],"indices":[],"applications":[],"run_as":[],"metadata":{},"transient_metadata":{"enabled":true}}`},
		{"role descriptor, unsorted", RoleDescriptor{Metadata: Metadata{{"z", true}, {"a", nil}}}, `{"cluster":[],"indices":[],"applications":[],"run_as":[],"metadata":{"a":null,"z":true},"transient_metadata":{"enabled":true}}`},
		{"role descriptor, transient metadata of an answer", RoleDescriptor{TransientMetadata: Metadata{{"enabled", false}, {"unlicensed_features", []any{"dls"}}}},
			`{"cluster":[],"indices":[],"applications":[],"run_as":[],"metadata":{},"transient_metadata":{"unlicensed_features":["dls"],"enabled":false}}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.v)
			if err != nil || string(got) != tt.want {
				t.Fatalf("got  %s %v\nwant %s", got, err, tt.want)
			}
		})
	}
	var u User
	if err := json.Unmarshal([]byte(`{"metadata":null}`), &u); err != nil || u.Metadata != nil {
		t.Fatalf("null metadata decoded to %#v, %v", u.Metadata, err)
	}
}

// TestMetadataDecoders checks that the request decoders keep the order,
// in keys, users and role descriptors.
func TestMetadataDecoders(t *testing.T) {
	const md = `{"b":1,"a":{"d":[{"f":1,"e":2}],"c":null}}`
	want := Metadata{{"b", json.Number("1")}, {"a", Metadata{{"d", []any{Metadata{{"f", json.Number("1")}, {"e", json.Number("2")}}}}, {"c", nil}}}}
	decoders := map[string]func() (Metadata, error){
		"create": func() (Metadata, error) {
			r, err := DecodeCreateAPIKeyRequest([]byte(`{"name":"k","metadata":` + md + `}`))
			return r.Metadata, err
		},
		"update": func() (Metadata, error) {
			r, err := DecodeUpdateAPIKeyRequest("id", []byte(`{"metadata":`+md+`}`))
			return r.Metadata, err
		},
		"put user": func() (Metadata, error) {
			r, err := DecodePutUserRequest("u", []byte(`{"password":"secret","metadata":`+md+`}`))
			return r.Metadata, err
		},
		"role descriptor": func() (Metadata, error) {
			d, err := DecodeRoleDescriptor("r", []byte(`{"metadata":`+md+`}`), true)
			return d.Metadata, err
		},
	}
	for name, decode := range decoders {
		t.Run(name, func(t *testing.T) {
			got, err := decode()
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("got %#v, %v", got, err)
			}
		})
	}
}

// TestMetadataAccessors covers the helpers other code reads metadata with.
func TestMetadataAccessors(t *testing.T) {
	m := Metadata{{"b", json.Number("1")}, {"a", Metadata{{"d", []any{Metadata{{"c", "x"}}}}}}}
	wantMap := map[string]any{"b": json.Number("1"), "a": map[string]any{"d": []any{map[string]any{"c": "x"}}}}
	if got := m.Map(); !reflect.DeepEqual(got, wantMap) {
		t.Errorf("Map() = %#v", got)
	}
	if Metadata(nil).Map() != nil {
		t.Error("nil.Map() is not nil")
	}
	sorted := Metadata{{"a", Metadata{{"d", []any{Metadata{{"c", "x"}}}}}}, {"b", json.Number("1")}}
	if got := MetadataFromMap(wantMap); !reflect.DeepEqual(got, sorted) {
		t.Errorf("MetadataFromMap = %#v", got)
	}
	if MetadataFromMap(nil) != nil {
		t.Error("MetadataFromMap(nil) is not nil")
	}
	if v, ok := m.Get("b"); !ok || v != json.Number("1") {
		t.Errorf("Get(b) = %v, %v", v, ok)
	}
	if _, ok := m.Get("z"); ok {
		t.Error("Get(z) found a member")
	}
	with := m.With("b", "2").With("z", true)
	if got, _ := json.Marshal(with); string(got) != `{"a":{"d":[{"c":"x"}]},"b":"2","z":true}` {
		t.Errorf("With: %s", got)
	}
	if got, _ := json.Marshal(m); string(got) != `{"a":{"d":[{"c":"x"}]},"b":1}` || m[0].Key != "b" {
		t.Errorf("With changed its receiver: %s", got)
	}
	for _, tt := range []struct {
		m    Metadata
		want bool
	}{{nil, false}, {Metadata{}, false}, {Metadata{{"a_", 1}}, false}, {Metadata{{"a", 1}, {"_b", 1}}, true}} {
		if got := HasReservedKey(tt.m); got != tt.want {
			t.Errorf("HasReservedKey(%v) = %v", tt.m, got)
		}
	}
}

// FuzzMetadata checks the metadata reader against encoding/json: what it
// reads, encoding/json reads to the same values; what the strict reader
// and encoding/json accept as an object, it reads; and what it reads
// encodes to JSON that reads back to the same values and encodes again to
// the same bytes.
func FuzzMetadata(f *testing.F) {
	for _, s := range []string{`{}`, `null`, `{"b":1,"a":{"d":[{"f":1.50,"e":-2e3}],"c":null}}`, `{"s":"\u00e9\"\\<>","t":true,"f":false}`, `{"a":[[],{}]}`, `[1]`, `{"a":01}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var m Metadata
		err := m.UnmarshalJSON(data)
		var want map[string]any
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		jsonErr := dec.Decode(&want)
		if jsonErr == nil && dec.More() {
			jsonErr = errors.New("trailing data")
		}
		if err != nil {
			if _, strictErr := strictjson.Parse(data); strictErr == nil && jsonErr == nil && want != nil {
				t.Fatalf("refused %q that both readers take: %v", data, err)
			}
			return
		}
		if jsonErr != nil {
			t.Fatalf("read %q that encoding/json refuses (%v)", data, jsonErr)
		}
		if _, strictErr := strictjson.Parse(data); strictErr == nil && !reflect.DeepEqual(m.Map(), want) {
			t.Fatalf("%q: read %#v, encoding/json %#v", data, m.Map(), want)
		}
		out, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("encode %#v: %v", m, err)
		}
		var again Metadata
		if err := again.UnmarshalJSON(out); err != nil || !reflect.DeepEqual(again.Map(), m.Map()) {
			t.Fatalf("%s reads back as %#v, %v; want %#v", out, again, err, m)
		}
		if twice, err := json.Marshal(again); err != nil || !bytes.Equal(twice, out) {
			t.Fatalf("%s encodes again as %s, %v", out, twice, err)
		}
	})
}
