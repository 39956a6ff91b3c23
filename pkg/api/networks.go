package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// This file is the contract of keys bound to networks: an API key may
// name the client networks it can be used from (allowed_networks), set
// through apikeyd's own endpoints — create and clone under
// /_apikeyd/api_key, the extended update, rotate — and shown by Get and
// Query only when asked (with_restrictions). Elasticsearch has no such
// field: its create, clone and update refuse it as an unknown field, and
// its answers never carry it.

// AllowedNetworkLocal is the entry of allowed_networks for the callers
// that have no network address: apikeyd's Unix socket, and apikeyctl
// --db. A key whose list names networks but not local is refused to them.
const AllowedNetworkLocal = "local"

// MaxAllowedNetworks bounds the entries of one key's allowed_networks:
// every authentication scans the list.
const MaxAllowedNetworks = 100

// Parser names of apikeyd's create and clone, used in their errors.
const (
	ParserExtendedCreateAPIKey = "apikeyd_api_key_request"
	ParserExtendedCloneAPIKey  = "apikeyd_clone_api_key_request"
)

// Restrictions is apikeyd's create and clone, which take what an API key
// may be restricted to beside Elasticsearch's fields.
type Restrictions interface {
	// CreateAPIKeyExtended is the Create API key API with
	// allowed_networks (POST|PUT /_apikeyd/api_key).
	CreateAPIKeyExtended(ctx context.Context, req *ExtendedCreateAPIKeyRequest) (*CreateAPIKeyResponse, error)
	// CloneAPIKeyExtended is the Clone API key API with allowed_networks
	// (POST /_apikeyd/api_key/clone).
	CloneAPIKeyExtended(ctx context.Context, req *ExtendedCloneAPIKeyRequest) (*CreateAPIKeyResponse, error)
}

// ExtendedCreateAPIKeyRequest is the body of POST|PUT /_apikeyd/api_key:
// Elasticsearch's create, and the networks the key may be used from
// (CIDR prefixes, bare addresses, AllowedNetworkLocal); none for a key
// usable from anywhere.
type ExtendedCreateAPIKeyRequest struct {
	CreateAPIKeyRequest
	AllowedNetworks []string `json:"allowed_networks,omitempty"`
}

// ExtendedCloneAPIKeyRequest is the body of POST /_apikeyd/api_key/clone:
// Elasticsearch's clone, and the networks the clone may be used from. Nil
// AllowedNetworks inherits the source's; a list must stay within them.
type ExtendedCloneAPIKeyRequest struct {
	CloneAPIKeyRequest
	AllowedNetworks []string `json:"-"`
}

// MarshalJSON renders the clone request and allowed_networks when set.
func (r ExtendedCloneAPIKeyRequest) MarshalJSON() ([]byte, error) {
	base, err := r.CloneAPIKeyRequest.MarshalJSON()
	if err != nil || r.AllowedNetworks == nil {
		return base, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(base, &fields); err != nil {
		return nil, err
	}
	nets, err := json.Marshal(r.AllowedNetworks)
	if err != nil {
		return nil, err
	}
	fields["allowed_networks"] = nets
	return json.Marshal(fields)
}

// DecodeExtendedCreateAPIKeyRequest decodes the body of apikeyd's create.
func DecodeExtendedCreateAPIKeyRequest(body []byte) (*ExtendedCreateAPIKeyRequest, error) {
	req := &ExtendedCreateAPIKeyRequest{}
	fields := apiKeyFields(&req.CreateAPIKeyRequest)
	fields["allowed_networks"] = stringsField(&req.AllowedNetworks)
	return decodeRequest(body, ParserExtendedCreateAPIKey, req, fields, req.Check)
}

// DecodeExtendedCloneAPIKeyRequest decodes the body of apikeyd's clone.
func DecodeExtendedCloneAPIKeyRequest(body []byte) (*ExtendedCloneAPIKeyRequest, error) {
	req := &ExtendedCloneAPIKeyRequest{}
	fields := cloneFields(&req.CloneAPIKeyRequest)
	fields["allowed_networks"] = stringsField(&req.AllowedNetworks)
	return decodeRequest(body, ParserExtendedCloneAPIKey, req, fields, nil)
}

// networksEdit takes allowed_networks of an update or a rotation: a list
// replaces the key's, null or [] clears it (the key is then usable from
// anywhere).
func networksEdit(dst **[]string) fieldFunc {
	return func(raw json.RawMessage) error {
		nets := []string{}
		if !isNull(raw) {
			if err := stringsField(&nets)(raw); err != nil {
				return err
			}
		}
		*dst = &nets
		return nil
	}
}

// ParseAllowedNetwork reads one entry of allowed_networks: a CIDR prefix
// (IPv4 or IPv6) without host bits set, a bare address (a /32 or /128),
// or AllowedNetworkLocal (local is then true). An IPv4-mapped IPv6 entry
// is its IPv4 form, as client addresses are compared. The error says
// what is wrong with the entry, to follow its quoted spelling.
func ParseAllowedNetwork(e string) (p netip.Prefix, local bool, err error) {
	if e == AllowedNetworkLocal {
		return netip.Prefix{}, true, nil
	}
	bad := fmt.Errorf("is not an IP address, a CIDR prefix or [%s]", AllowedNetworkLocal)
	if !strings.Contains(e, "/") {
		a, err := netip.ParseAddr(e)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, false, bad
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), false, nil
	}
	p, err = netip.ParsePrefix(e)
	if err != nil {
		return netip.Prefix{}, false, bad
	}
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	if m := p.Masked(); m != p {
		return netip.Prefix{}, false, errors.New("has host bits set: did you mean [" + m.String() + "]?")
	}
	return p, false, nil
}
