package api

import "testing"

func FuzzDecodeRotateAPIKeyRequest(f *testing.F) {
	addSeeds(f, `{"grace":"24h","until_unused":"30m"}`, `{"grace":null}`, `{"grace":"0"}`, `{"grace":"-1"}`,
		`{"until_unused":"1.5h"}`, `{"grace":5}`, `{"grace":"10"}`)
	decode := func(body []byte) (*RotateAPIKeyRequest, error) {
		return DecodeRotateAPIKeyRequest("VuaCfGcBCdbkQm-e5aOx", body)
	}
	fuzzDecoder(f, decode, asJSON[RotateAPIKeyRequest], func(t *testing.T, req *RotateAPIKeyRequest) {
		if req.ID != "VuaCfGcBCdbkQm-e5aOx" {
			t.Fatalf("id %q", req.ID)
		}
		for field, v := range map[string]*string{"grace": req.Grace, "until_unused": req.UntilUnused} {
			if v != nil {
				if _, err := ParseTimeValue(*v, field); err != nil {
					t.Fatalf("accepted %s %q is not a time value: %v", field, *v, err)
				}
			}
		}
	})
}

func FuzzDecodeCascadeInvalidateRequest(f *testing.F) {
	addSeeds(f, `{"ids":["VuaCfGcBCdbkQm-e5aOx"],"cascade":true}`, `{"name":"ci-*","owner":true,"cascade":false}`,
		`{"cascade":"true"}`, `{"ids":[],"cascade":true}`, `{"cascade":null}`)
	fuzzDecoder(f, DecodeCascadeInvalidateRequest, asJSON[CascadeInvalidateRequest], func(t *testing.T, req *CascadeInvalidateRequest) {
		if err := req.InvalidateAPIKeysRequest.Check(); err != nil {
			t.Fatalf("accepted %+v fails its own check: %v", req, err)
		}
	})
}
