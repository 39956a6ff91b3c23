package api

import (
	"encoding/json"
	"testing"
)

func FuzzDecodePutPrivilegesRequest(f *testing.F) {
	addSeeds(f,
		`{"myapp":{"read":{"actions":["data:read/*","action:login"],"metadata":{"description":"Read access to myapp"}}}}`,
		`{"app01":{"read":{"actions":["action:login","data:read/*"]},"write":{"actions":["action:login","data:write/*"]}},"app02":{"all":{"actions":["*"]}}}`,
		`{"myapp":{"read":{"application":"myapp","name":"read","actions":"a:b"}}}`,
		`{"myapp":{"read":{"application":"other","actions":[]}}}`, `{"myapp":{"read":[]}}`, `{"myapp":[]}`, `{"myapp":{}}`)
	fuzzDecoder(f, DecodePutPrivilegesRequest, func(r *PutPrivilegesRequest) ([]byte, error) { return json.Marshal(r) }, func(t *testing.T, req *PutPrivilegesRequest) {
		for _, p := range req.Privileges {
			if p.Actions == nil || p.Metadata == nil {
				t.Fatalf("accepted %+v with a nil list or map", p)
			}
		}
	})
}
