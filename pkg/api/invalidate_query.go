package api

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/strictjson"
)

// ParserInvalidateByQuery names the parser of the body of
// POST /_apikeyd/api_key/_invalidate_by_query in its errors.
const ParserInvalidateByQuery = "invalidate_api_key_by_query"

// PlanDigestPrefix starts every plan digest: "sha256:" and 64 lowercase
// hex digits.
const PlanDigestPrefix = "sha256:"

// InvalidateByQueryRequest is the body of
// POST /_apikeyd/api_key/_invalidate_by_query: invalidate every API key a
// query matches, in one transaction, after a dry run showed which.
type InvalidateByQueryRequest struct {
	// Query is a query clause as the query API keys API takes it in its
	// "query" member; nil matches every key the caller may invalidate.
	Query json.RawMessage `json:"query,omitempty"`
	// DryRun asks for the plan (the keys that would be invalidated and
	// its digest) and changes nothing.
	DryRun bool `json:"dry_run,omitempty"`
	// ExpectCount and Plan are what the caller expects the query to
	// match: the number of keys, and the plan's digest (from a dry run).
	// A run whose plan differs is refused (409); a real run needs one of
	// them.
	ExpectCount *int   `json:"expect_count,omitempty"`
	Plan        string `json:"plan,omitempty"`
	// MaxKeys caps the keys one call may invalidate (0: the service's
	// default); a query that matches more is refused.
	MaxKeys int `json:"max_keys,omitempty"`

	// layout is the body the request was decoded from, every member but
	// query blanked out (see QueryBody).
	layout []byte
}

// QueryBody is the body of a query API keys request that selects the keys
// of Query. When the request was decoded from a body, it is that body with
// every member but query blanked out (newlines kept, a space for every
// other character), so that the query API's errors point where the caller
// wrote the query; otherwise {"query": Query}, or empty (every key).
func (r *InvalidateByQueryRequest) QueryBody() []byte {
	if r.layout != nil {
		return r.layout
	}
	if len(bytes.TrimSpace(r.Query)) == 0 {
		return nil
	}
	return slices.Concat([]byte(`{"query":`), r.Query, []byte(`}`))
}

// queryLayout blanks out every member of the object body but query,
// whose value is at body[start:end]; nil when the key before it is not
// written plainly as "query".
func queryLayout(body []byte, root *strictjson.Node, start, end int) []byte {
	// Back from the value, over the colon, to the key's opening quote.
	i := start - 1
	skip := func() {
		for i >= 0 && strings.IndexByte(" \t\r\n", body[i]) >= 0 {
			i--
		}
	}
	skip()
	if i < 0 || body[i] != ':' {
		return nil
	}
	i--
	skip()
	const key = `"query"`
	if i < len(key)-1 || string(body[i-len(key)+1:i+1]) != key {
		return nil
	}
	keyStart := i - len(key) + 1
	out := make([]byte, 0, len(body))
	blank := func(part []byte) {
		for _, c := range string(part) {
			if c == '\n' || c == '\r' {
				out = append(out, byte(c))
			} else {
				out = append(out, ' ')
			}
		}
	}
	blank(body[:root.Start])
	out = append(out, '{')
	blank(body[root.Start+1 : keyStart])
	out = append(out, body[keyStart:end]...)
	blank(body[end : root.End-1])
	out = append(out, '}')
	blank(body[root.End:])
	return out
}

// PlannedKey is a key of a plan, as a dry run lists it.
type PlannedKey struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Type       string `json:"type"`
	Username   string `json:"username"`
	Realm      string `json:"realm"`
	Creation   int64  `json:"creation"`
	Expiration *int64 `json:"expiration,omitempty"`
}

// InvalidateByQueryResponse is the answer of an invalidate by query. A
// dry run holds the plan's keys; a real run what the Invalidate API key
// API answers (the keys invalidated, and the refusals).
type InvalidateByQueryResponse struct {
	DryRun bool `json:"dry_run"`
	// Count is the number of keys of the plan: the keys the query
	// matches that are not yet invalidated, and that the caller may
	// invalidate.
	Count int `json:"count"`
	// Plan is the digest of the plan: "sha256:" and the hex SHA-256 of
	// the plan's ids, sorted bytewise, each followed by a newline.
	Plan string `json:"plan"`
	// APIKeys are the plan's keys, sorted by id (dry run only).
	APIKeys []PlannedKey `json:"api_keys,omitempty"`
	// InvalidateAPIKeysResponse is the outcome of a real run; matching
	// cross-cluster keys the caller may not invalidate are its errors
	// (in a dry run too). Keys the query matches that were invalidated
	// already are not part of the plan: previously_invalidated_api_keys
	// is always empty.
	*InvalidateAPIKeysResponse
}

// DecodeInvalidateByQueryRequest decodes the body of an invalidate by
// query request.
func DecodeInvalidateByQueryRequest(body []byte) (*InvalidateByQueryRequest, error) {
	req := &InvalidateByQueryRequest{}
	_, err := decodeRequest(body, ParserInvalidateByQuery, req, map[string]fieldFunc{
		"query": func(raw json.RawMessage) error {
			if jsonKind(raw) != "START_OBJECT" {
				return wrongType{jsonKind(raw)}
			}
			req.Query = raw
			return nil
		},
		"dry_run": boolField(&req.DryRun),
		"expect_count": func(raw json.RawMessage) error {
			var n int
			if err := intField(&n)(raw); err != nil {
				return err
			}
			req.ExpectCount = &n
			return nil
		},
		"plan":     plainString(&req.Plan),
		"max_keys": intField(&req.MaxKeys),
	}, nil)
	if err != nil || req.Query == nil {
		return req, err
	}
	root, err := strictjson.Parse(body)
	if err != nil {
		return nil, err
	}
	q := root.Get("query")
	req.layout = queryLayout(body, root, q.Start, q.End)
	return req, nil
}

// intField takes a JSON integer.
func intField(dst *int) fieldFunc {
	return func(raw json.RawMessage) error {
		if jsonKind(raw) != "VALUE_NUMBER" {
			return wrongType{jsonKind(raw)}
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			return Errorf(Invalid, "[%s] is not an integer", strings.TrimSpace(string(raw)))
		}
		return nil
	}
}

// Check applies the rules of the request that need no state: counts that
// are not negative, a plan that is a digest, and, for a real run, an
// expectation (expect_count or plan) to check the keys against.
func (r *InvalidateByQueryRequest) Check() error {
	var v Validation
	if r.ExpectCount != nil && *r.ExpectCount < 0 {
		v.Add("[expect_count] cannot be negative but was [%d]", *r.ExpectCount)
	}
	if r.Plan != "" && !IsPlanDigest(r.Plan) {
		v.Add("[plan] must be a plan digest from a dry run (sha256: and 64 hex digits) but was [%s]", r.Plan)
	}
	if r.MaxKeys < 0 {
		v.Add("[max_keys] cannot be negative but was [%d]", r.MaxKeys)
	}
	if !r.DryRun && r.ExpectCount == nil && r.Plan == "" {
		v.Add("a run that invalidates needs [expect_count] or [plan] (from a dry run): the keys a query matches change over time")
	}
	return v.Err()
}

// IsPlanDigest reports whether s is a plan digest: "sha256:" and 64
// lowercase hex digits.
func IsPlanDigest(s string) bool {
	hex, ok := strings.CutPrefix(s, PlanDigestPrefix)
	if !ok || len(hex) != 64 {
		return false
	}
	for _, c := range hex {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
