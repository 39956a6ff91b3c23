package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

var _ api.Admin = (*Client)(nil)

// Backup sends GET /_apikeyd/backup and returns the copy as it streams
// in; a copy cut short fails its read with io.ErrUnexpectedEOF.
func (c *Client) Backup(ctx context.Context) (*api.Backup, error) {
	cl := c.adminCall(http.MethodGet, "/_apikeyd/backup", nil, "backup", "use Elasticsearch's snapshots (the security feature state) to back up a cluster")
	resp, err := c.send(ctx, cl)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		data, err := c.readBody(ctx, cl, resp)
		if err != nil {
			return nil, err
		}
		if err := c.checkAnswer(cl, resp, data); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("the server at %s answered GET %s with HTTP %d", c.target, cl.path, resp.StatusCode)
	}
	if err := c.checkProduct(resp.Header); err != nil {
		resp.Body.Close()
		return nil, err
	}
	if resp.ContentLength < 0 {
		resp.Body.Close()
		return nil, fmt.Errorf("the server at %s sent a backup without its length", c.target)
	}
	return &api.Backup{Size: resp.ContentLength, Body: resp.Body}, nil
}

// Doctor sends GET /_apikeyd/doctor.
func (c *Client) Doctor(ctx context.Context) (*api.DoctorReport, error) {
	cl := c.adminCall(http.MethodGet, "/_apikeyd/doctor", nil, "doctor's view of the daemon", "apikeyctl doctor checks apikeyd only")
	return send[api.DoctorReport](ctx, c, cl)
}

// adminCall is a call (method, path, body or nil) to one of apikeyd's own
// endpoints, which are all under /_apikeyd/. An Elasticsearch
// node has none: it answers 400 with its simple error body, whose error is
// a string ("no handler found ..."), where apikeyd answers with an
// exception envelope. That answer becomes an error saying that what was
// asked for is an apikeyd feature, and what to do instead.
func (c *Client) adminCall(method, path string, body any, feature, instead string) call {
	return call{method: method, path: path, body: body, errorBody: func(status int, body []byte) error {
		var simple struct {
			Error json.RawMessage `json:"error"`
		}
		if status != http.StatusBadRequest || json.Unmarshal(body, &simple) != nil || len(simple.Error) == 0 || simple.Error[0] != '"' {
			return nil
		}
		return api.Errorf(api.Invalid, "%s is an apikeyd feature and the server at %s has no %s endpoint (it is Elasticsearch, or an older apikeyd): %s", feature, c.target, path, instead)
	}}
}

// InvalidateAPIKeysByQuery sends POST /_apikeyd/api_key/_invalidate_by_query.
func (c *Client) InvalidateAPIKeysByQuery(ctx context.Context, req *api.InvalidateByQueryRequest) (*api.InvalidateByQueryResponse, error) {
	cl := c.adminCall(http.MethodPost, "/_apikeyd/api_key/_invalidate_by_query", req, "invalidate by query",
		"find the keys with 'apikeyctl query' and invalidate them by id with 'apikeyctl invalidate ID...' (Elasticsearch's invalidate API)")
	return send[api.InvalidateByQueryResponse](ctx, c, cl)
}

// UpdateAPIKeyExtended sends PUT /_apikeyd/api_key/{id}.
func (c *Client) UpdateAPIKeyExtended(ctx context.Context, req *api.ExtendedUpdateAPIKeyRequest) (*api.UpdateAPIKeyResponse, error) {
	if req == nil || req.ID == "" {
		return nil, api.Errorf(api.Invalid, "an API key id is required")
	}
	feature, instead := "renaming a key or clearing its expiration",
		"Elasticsearch's update keeps a key's name and cannot clear an expiration: create a new key ('apikeyctl create') and invalidate the old one"
	if req.AllowedNetworks != nil && req.Name == nil && req.Expiration == nil {
		feature, instead = "binding a key to networks", restrictionInstead
	}
	cl := c.adminCall(http.MethodPut, "/_apikeyd/api_key/"+url.PathEscape(req.ID), req, feature, instead)
	return send[api.UpdateAPIKeyResponse](ctx, c, cl)
}

// ExplainAPIKey sends POST /_apikeyd/_explain, the credential in the body.
func (c *Client) ExplainAPIKey(ctx context.Context, req *api.ExplainRequest) (*api.ExplainResponse, error) {
	cl := c.adminCall(http.MethodPost, "/_apikeyd/_explain", req, "explain",
		"authenticate with the credential ('apikeyctl --api-key-stdin whoami') and read Elasticsearch's answer")
	return send[api.ExplainResponse](ctx, c, cl)
}
