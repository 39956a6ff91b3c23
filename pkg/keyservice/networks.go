package keyservice

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
)

// This file holds keys bound to networks: a key may name the client
// networks it can be used from (allowed_networks). The list is checked
// after the secret, on the client address the HTTP layer put in the
// request's origin (the TCP peer, or the forwarded address behind a
// trusted proxy). A caller with no network address — apikeyd's Unix
// socket, apikeyctl --db — passes only when the list names
// api.AllowedNetworkLocal: a key bound to networks is not usable from
// everywhere on the machine just because the machine's socket is local.
// A refusal answers as a wrong secret does; only the audit log says why.

// networks is a key's allowed networks, parsed once (for the auth cache):
// the prefixes, scanned in order, and whether local callers may use it.
type networks struct {
	prefixes []netip.Prefix
	local    bool
}

// parseNetworks reads allowed networks: CIDR prefixes (IPv4 or IPv6, no
// host bits set), bare addresses (a /32 or /128), and "local". It returns
// their canonical spelling, without duplicates, to be stored, and the
// parsed list; (nil, nil) for an empty list, a key usable from anywhere.
// Each bad entry is a validation message in v.
func parseNetworks(entries []string, v *api.Validation) ([]string, *networks) {
	if len(entries) == 0 {
		return nil, nil
	}
	if len(entries) > api.MaxAllowedNetworks {
		v.Add("allowed_networks has [%d] entries; at most [%d] are allowed", len(entries), api.MaxAllowedNetworks)
		return nil, nil
	}
	n := &networks{}
	canonical := make([]string, 0, len(entries))
	for _, e := range entries {
		p, local, err := api.ParseAllowedNetwork(e)
		switch {
		case err != nil:
			v.Add("allowed_networks entry [%s] %v", e, err)
			continue
		case local:
			if !n.local {
				n.local = true
				canonical = append(canonical, e)
			}
			continue
		}
		if !slices.Contains(n.prefixes, p) {
			n.prefixes = append(n.prefixes, p)
			canonical = append(canonical, p.String())
		}
	}
	return canonical, n
}

// storedNetworks parses the allowed networks of a stored key, which were
// valid when written.
func storedNetworks(entries []string) (*networks, error) {
	var v api.Validation
	_, n := parseNetworks(entries, &v)
	if err := v.Err(); err != nil {
		return nil, fmt.Errorf("stored allowed networks: %w", err)
	}
	return n, nil
}

// within reports whether every caller n allows is allowed by outer (nil
// allows every caller): a clone's list must not widen its source's.
func (n *networks) within(outer *networks) bool {
	if outer == nil {
		return true
	}
	if n == nil || (n.local && !outer.local) {
		return false
	}
	for _, p := range n.prefixes {
		if !slices.ContainsFunc(outer.prefixes, func(o netip.Prefix) bool {
			return o.Bits() <= p.Bits() && o.Contains(p.Addr())
		}) {
			return false
		}
	}
	return true
}

// errNetwork is a client outside a key's allowed networks.
var errNetwork = errors.New("not in allowed networks")

// checkNetwork checks the client of origin o against a key's allowed
// networks n (nil: none, every client passes). It returns an error naming
// the client, for the audit log and for explain, when the key may not be
// used from there. The list is short (api.MaxAllowedNetworks at most):
// a linear scan.
func checkNetwork(n *networks, o auth.Origin) error {
	if n == nil {
		return nil
	}
	if !o.Client.IsValid() {
		if n.local {
			return nil
		}
		from := o.Address
		if from == "" {
			from = "in process"
		}
		return fmt.Errorf("client %s has no network address and [%s] is %w", from, api.AllowedNetworkLocal, errNetwork)
	}
	addr := o.Client.Unmap()
	for _, p := range n.prefixes {
		if p.Contains(addr) {
			return nil
		}
	}
	return fmt.Errorf("client address %s %w", addr, errNetwork)
}

// refusal is a failed authentication whose answer says less than the
// audit log is told: a key used from outside its networks answers exactly
// as a wrong secret does. class is the metrics' class of the failure
// (AuthUnknownKey …); reason, when set, is the audit log's.
type refusal struct {
	answer *api.Error
	reason string
	class  string
}

func (r *refusal) Error() string {
	if r.reason != "" {
		return r.reason
	}
	return r.answer.Error()
}
func (r *refusal) Unwrap() error { return r.answer }

// networkRefusal is the refusal of key id used from outside its networks.
func networkRefusal(id string, cause error) *refusal {
	return &refusal{
		answer: unsuccessful(fmt.Sprintf("API key: invalid credentials for API key [%s]", id)),
		reason: fmt.Sprintf("api key [%s]: %v", id, cause),
		class:  AuthNetwork,
	}
}
