package api

import (
	"encoding/json"
	"time"
)

// This file is apikeyd's event log API: the audit log, read back with
// filters and paging (GET /_apikeyd/events). Elasticsearch writes its audit
// log to files only; apikeyd answers it too.

// The bounds of an events request: size defaults to DefaultEventsSize and
// may not exceed MaxEventsSize; wait_for_events may not exceed
// MaxEventsWait.
const (
	DefaultEventsSize = 100
	MaxEventsSize     = 10000
	MaxEventsWait     = 30 * time.Second
)

// The outcomes of an event, as its outcome filter names them.
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure"
)

// failureActions are the event actions (Elasticsearch's audit event names
// and apikeyd's own notice of dropped events) that record a refusal or a
// failure; every other event records something that happened.
var failureActions = map[string]bool{
	"authentication_failed":       true,
	"realm_authentication_failed": true,
	"access_denied":               true,
	"anonymous_access_denied":     true,
	"run_as_denied":               true,
	"connection_denied":           true,
	"tampered_request":            true,
	"audit_events_dropped":        true,
}

// EventOutcome is the outcome of an event of the action: OutcomeFailure
// for a refusal (authentication_failed, access_denied...), OutcomeSuccess
// otherwise.
func EventOutcome(action string) string {
	if failureActions[action] {
		return OutcomeFailure
	}
	return OutcomeSuccess
}

// EventsRequest is a read of the audit log (GET /_apikeyd/events). Every
// filter given must match: APIKeyID the key that authenticated the caller
// (apikey.id) or one the event acted on (apikey.ids); User the user.name;
// Actions (any of them) the event.action or the event.type; Outcome the
// event's outcome (see EventOutcome); Since and Until bound @timestamp,
// both included, each an Elasticsearch time value counted back from now
// (24h), a date (2026-12-06, 2026-12-06T10:00:00Z) or epoch milliseconds.
// Events come oldest first, Size at most (DefaultEventsSize when 0), after
// the position After (a previous answer's Next) or from the beginning.
// With Wait, an answer that would be empty waits up to that long for a
// matching event to be written.
type EventsRequest struct {
	APIKeyID string
	User     string
	Actions  []string
	Outcome  string
	Since    string
	Until    string
	Size     int
	After    string
	Wait     time.Duration
}

// EventsResponse is the body of GET /_apikeyd/events: the events, each the
// audit log's line as written (Elasticsearch's audit field names), and
// Next, the position after the last line read, to pass as after= for the
// next page or to follow the log. Fewer events than the size asked for
// means the end of the log was reached.
type EventsResponse struct {
	Count  int               `json:"count"`
	Events []json.RawMessage `json:"events"`
	Next   string            `json:"next,omitempty"`
}

// Event is the part of an audit log line that apikeyctl events shows.
type Event struct {
	Timestamp     string   `json:"@timestamp"`
	Type          string   `json:"event.type"`
	Action        string   `json:"event.action"`
	User          string   `json:"user.name"`
	Realm         string   `json:"user.realm"`
	APIKeyID      string   `json:"apikey.id"`
	APIKeyIDs     []string `json:"apikey.ids"`
	OriginType    string   `json:"origin.type"`
	OriginAddress string   `json:"origin.address"`
	Request       string   `json:"request.name"`
	Reason        string   `json:"reason"`
}
