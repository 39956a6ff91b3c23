package api

import (
	"context"
	"io"
)

// Admin is apikeyd's own administration API beside the Elasticsearch one,
// served under /_apikeyd/: a consistent copy of the database, and the
// daemon's checks of itself. keyservice implements it over a store,
// client over HTTP; an Elasticsearch cluster has no such endpoints.
type Admin interface {
	// Backup makes a consistent copy of the whole database while writes
	// go on (GET /_apikeyd/backup).
	Backup(ctx context.Context) (*Backup, error)
	// Doctor checks the database and the files around it
	// (GET /_apikeyd/doctor).
	Doctor(ctx context.Context) (*DoctorReport, error)
	// InvalidateAPIKeysByQuery invalidates, in one transaction, the keys
	// a query matches when they are still the ones expected, or, as a
	// dry run, lists them with the digest of that plan
	// (POST /_apikeyd/api_key/_invalidate_by_query).
	InvalidateAPIKeysByQuery(ctx context.Context, req *InvalidateByQueryRequest) (*InvalidateByQueryResponse, error)
	// UpdateAPIKeyExtended is the Update API key API with what it leaves
	// out: a rename, and clearing the expiration (PUT /_apikeyd/api_key/{id}).
	UpdateAPIKeyExtended(ctx context.Context, req *ExtendedUpdateAPIKeyRequest) (*UpdateAPIKeyResponse, error)
	// Lineage is key rotation and key families (lineage.go).
	Lineage
	// Metrics reads the daemon's metrics in the Prometheus text format
	// (GET /_apikeyd/metrics, metrics.go).
	Metrics(ctx context.Context) (*Metrics, error)
	// Restrictions is create and clone with keys bound to networks
	// (networks.go).
	Restrictions
	// PutExpiryPolicy creates or replaces an expiry policy
	// (PUT /_apikeyd/policy/expiry/{name}).
	PutExpiryPolicy(ctx context.Context, p *ExpiryPolicy) (*PutExpiryPolicyResponse, error)
	// GetExpiryPolicies returns the policy name, or all of them when name
	// is empty (GET /_apikeyd/policy/expiry[/{name}]).
	GetExpiryPolicies(ctx context.Context, name string) (*GetExpiryPoliciesResponse, error)
	// DeleteExpiryPolicy removes an expiry policy
	// (DELETE /_apikeyd/policy/expiry/{name}).
	DeleteExpiryPolicy(ctx context.Context, name string) (*DeleteExpiryPolicyResponse, error)
	// ExplainAPIKey says, check by check, why a credential is accepted or
	// refused, and the answer it would get (POST /_apikeyd/_explain,
	// explain.go).
	ExplainAPIKey(ctx context.Context, req *ExplainRequest) (*ExplainResponse, error)
	// Events reads the audit log, filtered and paged, oldest first
	// (GET /_apikeyd/events; events.go).
	Events(ctx context.Context, req *EventsRequest) (*EventsResponse, error)
}

// Backup is a copy of the database as of one instant, to be read once.
type Backup struct {
	// Size is the copy's length in bytes.
	Size int64
	// Body reads the copy, an SQLite database file; Close releases it.
	Body io.ReadCloser
}

// CheckStatus is the outcome of one check of apikeyctl doctor.
type CheckStatus string

// The outcomes of a check, from the best to the worst.
const (
	CheckOK   CheckStatus = "ok"
	CheckWarn CheckStatus = "warn"
	CheckFail CheckStatus = "fail"
)

// Check is one thing doctor looked at, and what it found in plain words.
type Check struct {
	// Name says what was checked ("database integrity", "socket").
	Name   string      `json:"name"`
	Status CheckStatus `json:"status"`
	// Message is what was found, and what to do about a warning or a
	// failure.
	Message string `json:"message"`
}

// DoctorReport is the body of GET /_apikeyd/doctor, and what apikeyctl
// doctor prints.
type DoctorReport struct {
	Checks []Check `json:"checks"`
}

// Failures counts the checks that failed.
func (r *DoctorReport) Failures() int {
	n := 0
	for _, c := range r.Checks {
		if c.Status == CheckFail {
			n++
		}
	}
	return n
}

// Checker is a part of the backend (the store, the audit log) that can
// check itself for doctor.
type Checker interface {
	Check(ctx context.Context) []Check
}
