package api

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func FuzzDecodeExtendedCreateAPIKeyRequest(f *testing.F) {
	addSeeds(f, `{"name":"k","allowed_networks":["10.0.0.0/8","local"]}`, `{"name":"k","allowed_networks":"192.0.2.7"}`,
		`{"name":"k","allowed_networks":null}`, `{"name":"k","allowed_networks":[1]}`, `{"name":"k","allowed_networks":[]}`)
	fuzzDecoder(f, DecodeExtendedCreateAPIKeyRequest, asJSON, nil)
}

func FuzzDecodeExtendedCloneAPIKeyRequest(f *testing.F) {
	addSeeds(f, `{"api_key":"aWQ6c2VjcmV0","allowed_networks":["10.0.0.0/8"]}`, `{"api_key":"aWQ6c2VjcmV0","allowed_networks":[],"metadata":{}}`,
		`{"api_key":"x","allowed_networks":{}}`, `{"allowed_networks":["local"],"expiration":null}`)
	fuzzDecoder(f, DecodeExtendedCloneAPIKeyRequest, asJSON, nil)
}

// FuzzParseAllowedNetwork: an accepted entry spells a prefix that parses
// again to itself.
func FuzzParseAllowedNetwork(f *testing.F) {
	for _, s := range []string{"10.0.0.0/8", "192.0.2.7", "2001:db8::/32", "::ffff:10.0.0.0/104", "local", "10.1.2.3/8", "fe80::1%eth0", "", "/", "1.2.3.4/-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, e string) {
		p, local, err := ParseAllowedNetwork(e)
		if err != nil || local {
			return
		}
		again, _, err := ParseAllowedNetwork(p.String())
		if err != nil || again != p {
			t.Fatalf("%q: accepted as %s, which parses as %s, %v", e, p, again, err)
		}
	})
}

// TestAllowedNetworksFields: allowed_networks in apikeyd's bodies — a list
// sets, null and [] clear (in an edit), a string is a one-entry list —
// and the clients' encodings carry them.
func TestAllowedNetworksFields(t *testing.T) {
	for _, c := range []struct {
		name string
		body string
		want *[]string
	}{
		{name: "absent", body: `{"grace":"1h"}`},
		{name: "a list", body: `{"allowed_networks":["10.0.0.0/8","local"]}`, want: &[]string{"10.0.0.0/8", "local"}},
		{name: "one string", body: `{"allowed_networks":"10.0.0.0/8"}`, want: &[]string{"10.0.0.0/8"}},
		{name: "null clears", body: `{"allowed_networks":null}`, want: &[]string{}},
		{name: "empty clears", body: `{"allowed_networks":[]}`, want: &[]string{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			upd, err := DecodeExtendedUpdateAPIKeyRequest("k", []byte(strings.Replace(c.body, `"grace"`, `"expiration"`, 1)))
			if err != nil {
				t.Fatal(err)
			}
			rot, err := DecodeRotateAPIKeyRequest("k", []byte(c.body))
			if err != nil {
				t.Fatal(err)
			}
			for what, got := range map[string]*[]string{"update": upd.AllowedNetworks, "rotate": rot.AllowedNetworks} {
				if (got == nil) != (c.want == nil) || (got != nil && !slices.Equal(*got, *c.want)) {
					t.Errorf("%s: %v, want %v", what, got, c.want)
				}
			}
		})
	}
	clone := ExtendedCloneAPIKeyRequest{CloneAPIKeyRequest: CloneAPIKeyRequest{APIKey: "aWQ6c2VjcmV0"}, AllowedNetworks: []string{"10.0.0.0/8"}}
	b, err := json.Marshal(clone)
	if err != nil || string(b) != `{"allowed_networks":["10.0.0.0/8"],"api_key":"aWQ6c2VjcmV0"}` {
		t.Fatalf("clone encoded as %s, %v", b, err)
	}
	name := "k"
	create := ExtendedCreateAPIKeyRequest{CreateAPIKeyRequest: CreateAPIKeyRequest{Name: &name}, AllowedNetworks: []string{"local"}}
	if b, err := json.Marshal(create); err != nil || string(b) != `{"name":"k","allowed_networks":["local"]}` {
		t.Fatalf("create encoded as %s, %v", b, err)
	}
}
