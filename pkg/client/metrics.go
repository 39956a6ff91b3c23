package client

import (
	"context"
	"net/http"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// Metrics sends GET /_apikeyd/metrics and returns the exposition as the
// daemon wrote it.
func (c *Client) Metrics(ctx context.Context) (*api.Metrics, error) {
	cl := c.adminCall(http.MethodGet, "/_apikeyd/metrics", nil, "metrics",
		"scrape Elasticsearch's own monitoring (GET /_nodes/stats) or its Prometheus exporter instead")
	resp, err := c.send(ctx, cl)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := c.readBody(ctx, cl, resp)
	if err != nil {
		return nil, err
	}
	if err := c.checkAnswer(cl, resp, data); err != nil {
		return nil, err
	}
	return &api.Metrics{ContentType: resp.Header.Get("Content-Type"), Text: data}, nil
}
