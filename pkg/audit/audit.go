// Package audit writes apikeyd's audit log: an append-only file of JSON
// lines, one object per event, with fields modelled on Elasticsearch's
// audit log (@timestamp, event.type, event.action, user.name, user.realm,
// authentication.type, apikey.id, origin.type, origin.address,
// request.name ...).
//
// A Logger implements keyservice.Auditor. It writes only what an
// AuditEvent holds — names, ids, actions, reasons — and events never hold
// a secret, so no password, API key secret or token reaches the file.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
)

// FileName is the audit log's name in the daemon's data directory.
const FileName = "audit.json"

// Event types, as Elasticsearch's event.type names them.
const (
	// TypeSecurityConfigChange is a write: keys, tokens, users, roles.
	TypeSecurityConfigChange = "security_config_change"
	// TypeTransport is an authorization decision (access_denied).
	TypeTransport = "transport"
)

// Logger appends audit events to a writer, one JSON line each. It is safe
// for concurrent use.
type Logger struct {
	mu  sync.Mutex
	w   io.Writer
	c   io.Closer
	log *slog.Logger
	// origin is recorded for events whose context carries no origin.
	origin auth.Origin
	// failing is set after a write failed, so that the failure is logged
	// once rather than for every event.
	failing bool
}

var _ keyservice.Auditor = (*Logger)(nil)

// Open opens (creating it with mode 0600 when needed) the audit log at
// path for appending. Events whose context carries no origin are recorded
// with origin; write failures are reported to log.
func Open(path string, origin auth.Origin, log *slog.Logger) (*Logger, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open the audit log: %w", err)
	}
	// The log names users and keys: keep it private even when it was
	// created by someone else with a looser umask.
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, fmt.Errorf("open the audit log: %w", err)
	}
	l := New(f, origin, log)
	l.c = f
	return l, nil
}

// New returns a Logger writing to w.
func New(w io.Writer, origin auth.Origin, log *slog.Logger) *Logger {
	if log == nil {
		log = slog.Default()
	}
	return &Logger{w: w, origin: origin, log: log}
}

// Close closes the file Open opened.
func (l *Logger) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.c == nil {
		return nil
	}
	err := l.c.Close()
	l.c = nil
	return err
}

// record is one line of the log, in Elasticsearch's field names and order.
type record struct {
	Timestamp          string   `json:"@timestamp"`
	EventType          string   `json:"event.type"`
	EventAction        string   `json:"event.action"`
	AuthenticationType string   `json:"authentication.type,omitempty"`
	UserName           string   `json:"user.name,omitempty"`
	UserRealm          string   `json:"user.realm,omitempty"`
	UserRoles          []string `json:"user.roles,omitempty"`
	APIKeyID           string   `json:"apikey.id,omitempty"`
	APIKeyName         string   `json:"apikey.name,omitempty"`
	OriginType         string   `json:"origin.type"`
	OriginAddress      string   `json:"origin.address,omitempty"`
	RequestName        string   `json:"request.name,omitempty"`
	APIKeyIDs          []string `json:"apikey.ids,omitempty"`
	Names              []string `json:"names,omitempty"`
	Reason             string   `json:"reason,omitempty"`
}

// eventType is Elasticsearch's event.type of an action: authentication
// events carry the origin type, denials are authorization (transport)
// events, everything else is a change of the security configuration.
func eventType(action, originType string) string {
	switch action {
	case keyservice.AuditAuthSuccess, keyservice.AuditAuthFailed:
		return originType
	case keyservice.AuditAccessDenied:
		return TypeTransport
	}
	return TypeSecurityConfigChange
}

// Audit writes e as one line. A write failure is logged, not returned:
// the call that was audited has already happened.
func (l *Logger) Audit(ctx context.Context, e keyservice.AuditEvent) {
	origin, ok := auth.OriginFrom(ctx)
	if !ok {
		origin = l.origin
	}
	at := e.Time
	if at.IsZero() {
		at = time.Now()
	}
	r := record{
		Timestamp:     at.UTC().Format("2006-01-02T15:04:05.000Z07:00"),
		EventType:     eventType(e.Action, origin.Type),
		EventAction:   e.Action,
		OriginType:    origin.Type,
		OriginAddress: origin.Address,
		RequestName:   e.Request,
		APIKeyIDs:     e.APIKeyIDs,
		Names:         e.Names,
		Reason:        e.Reason,
	}
	if s := e.Subject; s != nil {
		r.AuthenticationType = strings.ToUpper(s.AuthType)
		r.UserName = s.Username
		r.UserRealm = s.Realm.Name
		r.UserRoles = s.Roles
		if s.APIKey != nil {
			r.APIKeyID = s.APIKey.ID
			r.APIKeyName = s.APIKey.Name
		}
	} else {
		r.UserName = e.Principal
	}
	line, err := json.Marshal(r)
	if err != nil {
		l.log.Error("cannot encode an audit event", "action", e.Action, "err", err)
		return
	}
	line = append(line, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	// One write per line: with O_APPEND, lines of processes sharing the
	// file (the daemon and apikeyctl --db) never interleave.
	if _, err := l.w.Write(line); err != nil {
		if !l.failing {
			l.log.Error("cannot write the audit log; events are being lost", "err", err)
		}
		l.failing = true
		return
	}
	l.failing = false
}
