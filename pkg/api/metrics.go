package api

// MetricsContentType is the media type of the Prometheus text format
// (version 0.0.4), which GET /_apikeyd/metrics answers.
const MetricsContentType = "text/plain; version=0.0.4; charset=utf-8"

// Metrics is the answer of GET /_apikeyd/metrics: apikeyd's metrics,
// rendered in the Prometheus text format.
type Metrics struct {
	// ContentType is the media type of Text (MetricsContentType).
	ContentType string
	// Text is the exposition itself.
	Text []byte
}
