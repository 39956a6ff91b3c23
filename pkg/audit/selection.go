package audit

import (
	"fmt"
	"slices"
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
)

// The notice of dropped events: an event of the audit log itself, written
// whatever the selection.
const (
	actionDropped = "audit_events_dropped"
	typeAudit     = "audit"
)

// allEvents names every event in Elasticsearch's
// xpack.security.audit.logfile.events.include and .exclude settings.
const allEvents = "_all"

// eventNames are the event names those settings accept, so that a
// selection copied from an Elasticsearch configuration is understood
// (apikeyd emits authentication_success, authentication_failed,
// access_denied, access_granted and security_config_change).
var eventNames = []string{
	"access_denied", "access_granted", "anonymous_access_denied", "authentication_failed",
	"authentication_success", "connection_denied", "connection_granted", "realm_authentication_failed",
	"run_as_denied", "run_as_granted", "security_config_change", "system_access_granted", "tampered_request",
}

// defaultInclude is Elasticsearch's default of events.include: every event
// but authentication_success, access_granted of system users and
// connection_granted, which would log each request.
var defaultInclude = []string{
	"access_denied", "access_granted", "anonymous_access_denied", "authentication_failed",
	"connection_denied", "tampered_request", "run_as_denied", "run_as_granted", "security_config_change",
}

// Selection is which events a Logger writes: those its include list names
// (Elasticsearch's default list when none was given), less those its
// exclude list names. The zero value is Elasticsearch's default.
type Selection struct {
	include, exclude []string
}

// ParseSelection checks the event names of an include and an exclude list
// (each may hold _all). An empty include list is the default.
func ParseSelection(include, exclude []string) (Selection, error) {
	for _, list := range [][]string{include, exclude} {
		for _, name := range list {
			if name != allEvents && !slices.Contains(eventNames, name) {
				return Selection{}, fmt.Errorf("unknown audit event %q: want %s or %s", name, strings.Join(eventNames, ", "), allEvents)
			}
		}
	}
	return Selection{include: include, exclude: exclude}, nil
}

// AllEvents selects every event.
func AllEvents() Selection { return Selection{include: []string{allEvents}} }

// Includes reports whether events of the audit action are written.
func (s Selection) Includes(action string) bool {
	name := eventName(action)
	include := s.include
	if len(include) == 0 {
		include = defaultInclude
	}
	in := func(list []string) bool { return slices.Contains(list, name) || slices.Contains(list, allEvents) }
	return in(include) && !in(s.exclude)
}

// eventName is the selection name of an audit action: authentication and
// denials are named as themselves, an explanation (a read) is an
// access_granted, every write is a security_config_change.
func eventName(action string) string {
	switch action {
	case keyservice.AuditAuthSuccess, keyservice.AuditAuthFailed, keyservice.AuditAccessDenied:
		return action
	case keyservice.AuditExplainAPIKey:
		return "access_granted"
	}
	return "security_config_change"
}
