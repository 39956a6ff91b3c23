package esapi

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// adminRoutes are apikeyd's own endpoints, beside Elasticsearch's under a
// prefix of their own, /_apikeyd/, that no Elasticsearch endpoint uses (an
// Elasticsearch node answers them "no handler found"). /_apikeyd itself
// names the server, so that a client can tell apikeyd from Elasticsearch
// without apikeyd marking its Elasticsearch answers. Backup and doctor are
// GET: they change nothing, so a retry is safe. The expiry policies are a
// resource: PUT, GET and DELETE, as roles are. Invalidate by query is a
// POST with a body, as Elasticsearch's _delete_by_query; the extended
// update a PUT on the key, as Elasticsearch's update. Explain is a POST:
// the credential it explains travels in the body, never in the URL. The
// lineage routes are routes_lineage.go's, create and clone with allowed
// networks routes_networks.go's.
func adminRoutes() []*route {
	return append([]*route{
		{method: http.MethodGet, pattern: "/_apikeyd", serve: serveApikeyd},
		{method: http.MethodHead, pattern: "/_apikeyd", serve: serveApikeyd},
		{method: http.MethodGet, pattern: "/_apikeyd/backup", untimed: true, serve: serveBackup},
		{method: http.MethodGet, pattern: "/_apikeyd/doctor", serve: serveDoctor},
		{method: http.MethodGet, pattern: "/_apikeyd/metrics", loopbackScrape: true, serve: serveMetrics},
		{method: http.MethodPost, pattern: "/_apikeyd/api_key/_invalidate_by_query", body: true, serve: serveInvalidateByQuery},
		{method: http.MethodPut, pattern: "/_apikeyd/api_key/{id}", body: true, serve: serveUpdateAPIKeyExtended},
		{method: http.MethodGet, pattern: "/_apikeyd/policy/expiry", serve: serveGetExpiryPolicies},
		{method: http.MethodGet, pattern: "/_apikeyd/policy/expiry/{name}", serve: serveGetExpiryPolicies},
		{method: http.MethodPut, pattern: "/_apikeyd/policy/expiry/{name}", body: true, serve: servePutExpiryPolicy},
		{method: http.MethodDelete, pattern: "/_apikeyd/policy/expiry/{name}", serve: serveDeleteExpiryPolicy},
		{method: http.MethodPost, pattern: "/_apikeyd/_explain", body: true, serve: serveExplainAPIKey},
	}, append(append(lineageRoutes(), networkRoutes()...), eventsRoutes()...)...)
}

func servePutExpiryPolicy(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	p, err := api.DecodeExpiryPolicy(x.path["name"], x.body)
	if err != nil {
		return 0, nil, err
	}
	return ok(h.admin.PutExpiryPolicy(ctx, p))
}

func serveGetExpiryPolicies(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	return ok(h.admin.GetExpiryPolicies(ctx, x.path["name"]))
}

func serveDeleteExpiryPolicy(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	return ok(h.admin.DeleteExpiryPolicy(ctx, x.path["name"]))
}

// serveApikeyd answers GET and HEAD /_apikeyd, to any authenticated
// caller: the server is apikeyd.
func serveApikeyd(context.Context, *handler, *exchange) (int, any, error) {
	return http.StatusOK, map[string]string{"name": "apikeyd"}, nil
}

// stream is a route's answer that is not JSON: a body of a known size,
// copied to the client as it is read.
type stream struct {
	contentType string
	// filename, when set, is suggested by Content-Disposition.
	filename string
	size     int64
	body     io.ReadCloser
}

// serveBackup streams a consistent copy of the database as an SQLite
// file (application/octet-stream, with its Content-Length), so that it
// works over the socket and TCP alike: curl -o apikeys.db.
func serveBackup(ctx context.Context, h *handler, _ *exchange) (int, any, error) {
	bk, err := h.admin.Backup(ctx)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, &stream{contentType: "application/octet-stream", filename: "apikeys.db", size: bk.Size, body: bk.Body}, nil
}

func serveDoctor(ctx context.Context, h *handler, _ *exchange) (int, any, error) {
	return ok(h.admin.Doctor(ctx))
}

// serveMetrics answers the daemon's metrics in the Prometheus text
// format, as a scraper expects them: the body as it is, never JSON.
func serveMetrics(ctx context.Context, h *handler, _ *exchange) (int, any, error) {
	m, err := h.admin.Metrics(ctx)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, &stream{contentType: m.ContentType, size: int64(len(m.Text)), body: io.NopCloser(bytes.NewReader(m.Text))}, nil
}

func serveInvalidateByQuery(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	req, err := api.DecodeInvalidateByQueryRequest(x.body)
	if err != nil {
		return 0, nil, err
	}
	return ok(h.admin.InvalidateAPIKeysByQuery(ctx, req))
}

func serveUpdateAPIKeyExtended(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	req, err := api.DecodeExtendedUpdateAPIKeyRequest(x.path["id"], x.body)
	if err != nil {
		return 0, nil, err
	}
	return ok(h.admin.UpdateAPIKeyExtended(ctx, req))
}

// writeStream sends s. Its headers go first, so a failure while copying
// can no longer become an error envelope: it is logged, and the client
// sees a body shorter than its Content-Length.
func (h *handler) writeStream(x *exchange, status int, s *stream) {
	defer s.body.Close()
	hdr := x.w.Header()
	hdr.Set("Content-Type", s.contentType)
	hdr.Set("Content-Length", strconv.FormatInt(s.size, 10))
	if s.filename != "" {
		hdr.Set("Content-Disposition", `attachment; filename="`+s.filename+`"`)
	}
	x.status = status
	x.w.WriteHeader(status)
	if n, err := io.Copy(x.w, s.body); err != nil || n != s.size {
		h.log.Error("stream cut short", "method", x.r.Method, "path", x.r.URL.Path, "sent", n, "size", s.size, "err", err)
	}
}

// serveExplainAPIKey explains the credential (or, for an administrator,
// the key id) of the body; the body is never logged.
func serveExplainAPIKey(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	req, err := api.DecodeExplainRequest(x.body)
	if err != nil {
		return 0, nil, err
	}
	return ok(h.admin.ExplainAPIKey(ctx, req))
}
