package api

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestMetadataRoundTrip decodes metadata and encodes it back: members keep
// the order they were written in at every level, numbers their text.
func TestMetadataRoundTrip(t *testing.T) {
	for _, tt := range []struct {
		name, in, want string
	}{
		{"flat, unsorted", `{"level":1,"trusted":true,"tags":["a"]}`, `{"level":1,"trusted":true,"tags":["a"]}`},
		{"nested objects", `{"z":{"y":{"x":1,"w":2},"a":null},"b":{}}`, `{"z":{"y":{"x":1,"w":2},"a":null},"b":{}}`},
		{"arrays of objects", `{"list":[{"d":1,"c":2},[{"f":true,"e":false}],"s",1.50]}`, `{"list":[{"d":1,"c":2},[{"f":true,"e":false}],"s",1.50]}`},
		{"numbers as written", `{"big":12345678901234567890,"f":1.50,"e":1e3,"neg":-0}`, `{"big":12345678901234567890,"f":1.50,"e":1e3,"neg":-0}`},
		{"whitespace dropped", "{ \"b\" : 1 ,\n \"a\" : [ 1 , 2 ] }", `{"b":1,"a":[1,2]}`},
		{"escapes decoded", `{"\u0062":"\u00e9\ud83d\ude00","q":"\"\\\n\t","h":"<&>"}`, `{"b":"é😀","q":"\"\\\n\t","h":"\u003c\u0026\u003e"}`},
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
// object, and what the strict reader refuses.
func TestMetadataDecodeRefuses(t *testing.T) {
	for _, tt := range []struct{ name, in string }{
		{"array", `[1]`},
		{"string", `"x"`},
		{"duplicate key", `{"a":1,"a":2}`},
		{"duplicate nested key", `{"a":{"b":1,"b":2}}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var m Metadata
			if err := m.UnmarshalJSON([]byte(tt.in)); err == nil {
				t.Fatalf("decoded %s to %v", tt.in, m)
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
		{"create, unsorted", CreateAPIKeyRequest{Name: new("k"), Metadata: Metadata{{"b", 1}, {"a", 2}}}, `{"name":"k","metadata":{"b":1,"a":2}}`},
		{"update, absent", UpdateAPIKeyRequest{ID: "i"}, `{}`},
		{"update, empty clears", UpdateAPIKeyRequest{ID: "i", Metadata: Metadata{}}, `{"metadata":{}}`},
		{"extended update, unsorted", ExtendedUpdateAPIKeyRequest{ID: "i", Metadata: Metadata{{"b", 1}, {"a", Metadata{{"d", 1}, {"c", 2}}}}}, `{"metadata":{"b":1,"a":{"d":1,"c":2}}}`},
		{"user, nil is null", User{Username: "u", Roles: []string{}}, `{"username":"u","roles":[],"full_name":null,"email":null,"metadata":null,"enabled":false}`},
		{"role descriptor, nil is {}", RoleDescriptor{}, `{"cluster":[],"indices":[],"applications":[],"run_as":[],"metadata":{},"transient_metadata":{"enabled":true}}`},
		{"role descriptor, unsorted", RoleDescriptor{Metadata: Metadata{{"z", true}, {"a", nil}}}, `{"cluster":[],"indices":[],"applications":[],"run_as":[],"metadata":{"z":true,"a":null},"transient_metadata":{"enabled":true}}`},
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
	if got, _ := json.Marshal(with); string(got) != `{"b":"2","a":{"d":[{"c":"x"}]},"z":true}` {
		t.Errorf("With: %s", got)
	}
	if got, _ := json.Marshal(m); string(got) != `{"b":1,"a":{"d":[{"c":"x"}]}}` {
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
