package api

import "testing"

func FuzzDecodeExplainRequest(f *testing.F) {
	addSeeds(f, `{"api_key":"a2V5OnNlY3JldA=="}`, `{"api_key":"key:secret"}`, `{"id":"7Q2eJ5gBc8uQ3hY1Zk9w"}`,
		`{"api_key":"a","id":"b"}`, `{}`, `{"api_key":null}`, `{"id":1}`, `{"api_key":" "}`)
	fuzzDecoder(f, DecodeExplainRequest, asJSON, func(t *testing.T, req *ExplainRequest) {
		if err := req.Check(); err != nil {
			t.Fatalf("accepted %+v fails its own check: %v", req, err)
		}
	})
}
