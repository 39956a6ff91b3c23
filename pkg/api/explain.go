package api

import (
	"net/netip"
	"strings"
)

// ParserExplainAPIKey names the parser of the body of
// POST /_apikeyd/_explain in its errors.
const ParserExplainAPIKey = "apikeyd_explain_api_key_request"

// ExplainRequest is the body of POST /_apikeyd/_explain: the API key
// credential to explain, or, for an administrator, the id of the key.
// The credential travels in the body only, never in a header, and is
// never logged nor audited.
type ExplainRequest struct {
	// APIKey is the credential: the encoded form (base64 of id:secret)
	// or id:secret as it is.
	APIKey string `json:"api_key,omitempty"`
	// ID names the key to explain without its secret (administrators
	// only).
	ID string `json:"id,omitempty"`
	// ClientAddress is the client address a key bound to networks is
	// checked against: an IP address, or AllowedNetworkLocal for a
	// caller with none (a Unix socket, apikeyctl --db). The explaining
	// caller's own address when empty.
	ClientAddress string `json:"client_address,omitempty"`
}

// DecodeExplainRequest decodes the body of an explain request: exactly
// one of api_key and id.
func DecodeExplainRequest(body []byte) (*ExplainRequest, error) {
	req := &ExplainRequest{}
	return decodeRequest(body, ParserExplainAPIKey, req, map[string]fieldFunc{
		"api_key":        plainString(&req.APIKey),
		"id":             plainString(&req.ID),
		"client_address": plainString(&req.ClientAddress),
	}, req.Check)
}

// Check applies the rules of the request: one of api_key and id, not
// both.
func (r *ExplainRequest) Check() error {
	switch {
	case r.APIKey != "" && r.ID != "":
		return Errorf(Invalid, "give either [api_key] (a credential) or [id] (a key, explained by an administrator), not both")
	case strings.TrimSpace(r.APIKey) == "" && r.ID == "":
		return Errorf(Invalid, "[api_key] (the credential to explain) or [id] (the key to explain, for an administrator) is required")
	}
	if r.ClientAddress != "" && r.ClientAddress != AllowedNetworkLocal {
		if _, err := netip.ParseAddr(r.ClientAddress); err != nil {
			return Errorf(Invalid, "[client_address] [%s] is not an IP address (or [%s], a caller with no network address)", r.ClientAddress, AllowedNetworkLocal)
		}
	}
	return nil
}

// ExplainStatus is what one check of an explanation found.
type ExplainStatus string

// The outcomes of an explanation's check.
const (
	// ExplainPass is a check the credential passes.
	ExplainPass ExplainStatus = "pass"
	// ExplainFail is a check that refuses the credential.
	ExplainFail ExplainStatus = "fail"
	// ExplainNotChecked is a check that could not be made: the secret
	// of a key explained by id.
	ExplainNotChecked ExplainStatus = "not_checked"
)

// The names of the checks of an explanation, in the order authentication
// makes them. Owner and privileges say what an accepted credential
// authenticates as; they refuse nothing unless the key's stored record
// cannot be read.
const (
	CheckCredential  = "credential"
	CheckFound       = "found"
	CheckInvalidated = "invalidated"
	CheckSecret      = "secret"
	CheckType        = "type"
	CheckExpiration  = "expiration"
	CheckNetwork     = "network"
	CheckThrottling  = "throttling"
	CheckOwner       = "owner"
	CheckPrivileges  = "privileges"
)

// ExplainCheck is one check of a credential and what it found.
type ExplainCheck struct {
	Name   string        `json:"name"`
	Status ExplainStatus `json:"status"`
	// Message says what was found, in plain words.
	Message string `json:"message"`
	// At is the instant the check concerns, in epoch milliseconds: when
	// the key was invalidated, when it expired or expires.
	At *int64 `json:"at,omitempty"`
}

// ExplainAnswer is what Elasticsearch (and apikeyd) would answer a request
// carrying the credential: 200, or the status, type and reason of its
// error envelope.
type ExplainAnswer struct {
	Status int    `json:"status"`
	Type   string `json:"type,omitempty"`
	Reason string `json:"reason,omitempty"`
	// AdditionalUnsuccessfulCredentials is the envelope's field of that
	// name: why the API key did not authenticate.
	AdditionalUnsuccessfulCredentials string `json:"additional_unsuccessful_credentials,omitempty"`
}

// ExplainOwner is who an API key authenticates as: its owner as the key
// captured it, in the owner's realm.
type ExplainOwner struct {
	Username  string `json:"username"`
	Realm     string `json:"realm"`
	RealmType string `json:"realm_type,omitempty"`
}

// ExplainPrivileges are the privileges a key authenticates with: its own
// role descriptors (none: its owner's), its owner's snapshot, and the
// cluster privileges both grant, which are the ones apikeyd enforces.
type ExplainPrivileges struct {
	RoleDescriptors RoleDescriptors `json:"role_descriptors"`
	LimitedBy       RoleDescriptors `json:"limited_by"`
	// Cluster lists the cluster privileges, named in either set, that the
	// key holds: granted by its role descriptors and by its limited-by.
	Cluster []string `json:"cluster"`
}

// ExplainResponse is the body of POST /_apikeyd/_explain: the checks
// authentication makes of the credential, what each found, and the
// answer a request carrying the credential would get. A caller who is
// not an administrator, explaining a credential whose key does not exist
// or whose secret does not match, gets the same answer either way, with
// no detail of any key.
type ExplainResponse struct {
	// ID and Name are the key's; empty when they are not shown.
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
	// Accepted reports whether the credential authenticates.
	Accepted bool `json:"accepted"`
	// Verdict says so in one sentence.
	Verdict    string             `json:"verdict"`
	Checks     []ExplainCheck     `json:"checks"`
	Owner      *ExplainOwner      `json:"owner,omitempty"`
	Privileges *ExplainPrivileges `json:"privileges,omitempty"`
	Answer     ExplainAnswer      `json:"answer"`
}
