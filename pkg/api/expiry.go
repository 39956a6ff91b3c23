package api

// This file is apikeyd's expiry policies: how long the API keys of a realm,
// a user or a role may live, and how long they live when the request does
// not say. They are an apikeyd feature, served under
// /_apikeyd/policy/expiry; an Elasticsearch cluster has none.

// The scopes of an expiry policy: what it names of a key's owner.
const (
	ScopeRealm = "realm"
	ScopeUser  = "user"
	ScopeRole  = "role"
)

// ExpiryPolicy is a named expiry policy. It names exactly one of Realm
// (the owner's realm, by name or type), User (the owner's username) or Role
// (one of the owner's roles), and at least one of Default (the lifetime of
// a key created without an expiration) and Max (the longest lifetime a key
// may be given), both Elasticsearch time values.
type ExpiryPolicy struct {
	Name    string `json:"name"`
	Realm   string `json:"realm,omitempty"`
	User    string `json:"user,omitempty"`
	Role    string `json:"role,omitempty"`
	Default string `json:"default,omitempty"`
	Max     string `json:"max,omitempty"`
}

// Scope returns the policy's scope (ScopeRealm, ScopeUser or ScopeRole)
// and what it names, or "" when it names none.
func (p *ExpiryPolicy) Scope() (scope, value string) {
	switch {
	case p.Realm != "":
		return ScopeRealm, p.Realm
	case p.User != "":
		return ScopeUser, p.User
	case p.Role != "":
		return ScopeRole, p.Role
	}
	return "", ""
}

// PutExpiryPolicyResponse is the answer of PUT
// /_apikeyd/policy/expiry/{name}.
type PutExpiryPolicyResponse struct {
	// Created is false when an existing policy was replaced.
	Created bool `json:"created"`
}

// GetExpiryPoliciesResponse is the answer of GET /_apikeyd/policy/expiry
// and GET /_apikeyd/policy/expiry/{name}: the policies ordered by name.
type GetExpiryPoliciesResponse struct {
	Policies []ExpiryPolicy `json:"policies"`
}

// DeleteExpiryPolicyResponse is the answer of DELETE
// /_apikeyd/policy/expiry/{name}.
type DeleteExpiryPolicyResponse struct {
	Found bool `json:"found"`
}

// parserExpiryPolicy names the body parser of an expiry policy in errors.
const parserExpiryPolicy = "expiry_policy"

// DecodeExpiryPolicy decodes the body of PUT
// /_apikeyd/policy/expiry/{name}: {"realm"|"user"|"role": ..., "default":
// ..., "max": ...}. Unknown fields and values that are not strings are
// refused; the rules between the fields are keyservice's.
func DecodeExpiryPolicy(name string, body []byte) (*ExpiryPolicy, error) {
	p := &ExpiryPolicy{Name: name}
	fields := map[string]fieldFunc{
		"realm":   plainString(&p.Realm),
		"user":    plainString(&p.User),
		"role":    plainString(&p.Role),
		"default": plainString(&p.Default),
		"max":     plainString(&p.Max),
	}
	return decodeRequest(body, parserExpiryPolicy, p, fields, nil)
}

// MarshalBody is the body of PUT /_apikeyd/policy/expiry/{name} for p:
// its fields without its name, which the path carries.
func (p *ExpiryPolicy) MarshalBody() ([]byte, error) {
	return marshalJSON(struct {
		Realm   string `json:"realm,omitempty"`
		User    string `json:"user,omitempty"`
		Role    string `json:"role,omitempty"`
		Default string `json:"default,omitempty"`
		Max     string `json:"max,omitempty"`
	}{p.Realm, p.User, p.Role, p.Default, p.Max})
}
