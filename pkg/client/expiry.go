package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// expiryPolicyPath is the path of the expiry policies, or of one.
func expiryPolicyPath(name string) string {
	if name == "" {
		return "/_apikeyd/policy/expiry"
	}
	return "/_apikeyd/policy/expiry/" + url.PathEscape(name)
}

// expiryPoliciesInstead is what to do on Elasticsearch, which has no
// expiry policies.
const expiryPoliciesInstead = "Elasticsearch has no expiry policies; set each key's expiration"

// PutExpiryPolicy sends PUT /_apikeyd/policy/expiry/{name}.
func (c *Client) PutExpiryPolicy(ctx context.Context, p *api.ExpiryPolicy) (*api.PutExpiryPolicyResponse, error) {
	body, err := p.MarshalBody()
	if err != nil {
		return nil, err
	}
	cl := c.adminCall(http.MethodPut, expiryPolicyPath(p.Name), nil, "expiry policy", expiryPoliciesInstead)
	cl.raw = body
	return send[api.PutExpiryPolicyResponse](ctx, c, cl)
}

// GetExpiryPolicies sends GET /_apikeyd/policy/expiry, or
// /_apikeyd/policy/expiry/{name} for one.
func (c *Client) GetExpiryPolicies(ctx context.Context, name string) (*api.GetExpiryPoliciesResponse, error) {
	cl := c.adminCall(http.MethodGet, expiryPolicyPath(name), nil, "expiry policy", expiryPoliciesInstead)
	return send[api.GetExpiryPoliciesResponse](ctx, c, cl)
}

// DeleteExpiryPolicy sends DELETE /_apikeyd/policy/expiry/{name}.
func (c *Client) DeleteExpiryPolicy(ctx context.Context, name string) (*api.DeleteExpiryPolicyResponse, error) {
	cl := c.adminCall(http.MethodDelete, expiryPolicyPath(name), nil, "expiry policy", expiryPoliciesInstead)
	return send[api.DeleteExpiryPolicyResponse](ctx, c, cl)
}
