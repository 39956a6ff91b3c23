package api

import "encoding/json"

// QueryAPIKeysRequest is GET|POST /_security/_query/api_key: the body as
// sent, parsed by the service (empty: every key the caller may see, the
// first ten), and the query parameters.
type QueryAPIKeysRequest struct {
	// Body is the query, from, size, sort, search_after and aggs object.
	Body json.RawMessage
	// WithLimitedBy adds limited_by to REST keys, as in Get.
	WithLimitedBy bool
	// WithProfileUID adds the owner's profile uid, as in Get.
	WithProfileUID bool
	// WithLastUsed adds apikeyd's usage fields, as in Get.
	WithLastUsed bool
	// WithRestrictions adds apikeyd's allowed_networks, as in Get.
	WithRestrictions bool
	// TypedKeys prefixes aggregation names with their type (sterms#...).
	TypedKeys bool
}

// QueryAPIKeysResponse is the answer of the query API keys API.
type QueryAPIKeysResponse struct {
	// Total is the number of keys the query matched, Count the number in
	// APIKeys.
	Total   int      `json:"total"`
	Count   int      `json:"count"`
	APIKeys []APIKey `json:"api_keys"`
	// Aggregations is the aggregations object, in request order, when the
	// request had aggregations.
	Aggregations json.RawMessage `json:"aggregations,omitempty"`
}
