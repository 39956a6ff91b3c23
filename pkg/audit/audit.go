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
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/filecheck"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
)

// FileName is the audit log's name in the daemon's data directory.
const FileName = "audit.json"

// Event types, as Elasticsearch's event.type names them.
const (
	// TypeSecurityConfigChange is a write: keys, tokens, users, roles.
	TypeSecurityConfigChange = "security_config_change"
	// TypeTransport is an authorization decision (access_denied, and the
	// explanation of a credential, an access_granted).
	TypeTransport = "transport"
)

// queueSize bounds the events waiting for the writer; when it is full, an
// event is dropped and counted rather than holding up the request.
const queueSize = 4096

// maxBatch bounds the bytes the writer gathers into one write.
const maxBatch = 1 << 20

// Logger appends audit events to a writer, one JSON line each. It is safe
// for concurrent use. Audit only queues the event: one goroutine encodes
// and writes what is queued, as one write of whole lines per batch, as
// soon as it is queued; Close writes what is left. When events come faster
// than the file takes them, the excess is dropped, counted, and the count
// written to the log (and to the daemon's log) once there is room.
type Logger struct {
	// fileMu guards w and c, which OpenLazy leaves nil until the first
	// PrepareAudit or write opens path.
	fileMu sync.Mutex
	w      io.Writer
	c      io.Closer
	path   string // the file Open or OpenLazy opens
	log    *slog.Logger
	events Selection
	// origin is recorded for events whose context carries no origin.
	origin auth.Origin

	mu      sync.RWMutex // guards closed against the queue's close
	closed  bool
	queue   chan queued
	dropped atomic.Int64
	done    chan struct{}
	// failing is set after a write failed, so that the failure is logged
	// once rather than for every batch. Only the writer goroutine uses it.
	failing bool
}

// queued is an event waiting for the writer, with its origin resolved.
type queued struct {
	e      keyservice.AuditEvent
	origin auth.Origin
}

var _ keyservice.Auditor = (*Logger)(nil)

// Open opens (creating it with mode 0600 when needed) the audit log at
// path for appending. It records the events that events selects; those
// whose context carries no origin are recorded with origin. Write failures
// are reported to log. Close must be called to write the last events.
func Open(path string, origin auth.Origin, events Selection, log *slog.Logger) (*Logger, error) {
	f, err := openFile(path)
	if err != nil {
		return nil, err
	}
	l := New(f, origin, events, log)
	l.c, l.path = f, path
	return l, nil
}

// OpenLazy is Open that opens the file only when it is first needed:
// at the first PrepareAudit (the key service's, before a write) or the
// first event. Reads, which record nothing, never touch the file, so a
// log someone else owns does not stop them.
func OpenLazy(path string, origin auth.Origin, events Selection, log *slog.Logger) *Logger {
	l := New(nil, origin, events, log)
	l.path = path
	return l
}

var _ keyservice.AuditPreparer = (*Logger)(nil)

// PrepareAudit opens the file of OpenLazy, when it is not open yet, and
// returns a *FileError when it cannot.
func (l *Logger) PrepareAudit() error {
	_, err := l.file()
	return err
}

// file is the writer, the file of OpenLazy opened at the first call.
func (l *Logger) file() (io.Writer, error) {
	l.fileMu.Lock()
	defer l.fileMu.Unlock()
	if l.w == nil {
		f, err := openFile(l.path)
		if err != nil {
			return nil, err
		}
		l.w, l.c = f, f
	}
	return l.w, nil
}

// openFile opens the audit log at path for appending, creating it with
// mode 0600 when needed.
func openFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, &FileError{Path: path, Err: err}
	}
	// The log names users and keys: keep it private even when it was
	// created by someone else with a looser umask.
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, &FileError{Path: path, Err: err}
	}
	return f, nil
}

// FileError is an audit log that cannot be opened for appending.
type FileError struct {
	Path string
	Err  error
}

func (e *FileError) Error() string {
	cause := e.Err
	var pe *fs.PathError
	if errors.As(cause, &pe) {
		cause = pe.Err
	}
	msg := fmt.Sprintf("cannot write the audit log %s: %v", e.Path, cause)
	if errors.Is(e.Err, fs.ErrPermission) {
		msg += " (this user must own it and be allowed to write it and its directory)"
	}
	return msg
}

func (e *FileError) Unwrap() error { return e.Err }

var _ api.Checker = (*Logger)(nil)

// Check is doctor's view of the audit log: the mode of the file Open
// opened (nothing for a Logger that New made).
func (l *Logger) Check(context.Context) []api.Check {
	if l.path == "" {
		return nil
	}
	return []api.Check{filecheck.Private("audit log", l.path, filecheck.Required)}
}

// New returns a Logger writing to w. Close must be called to write the
// last events.
func New(w io.Writer, origin auth.Origin, events Selection, log *slog.Logger) *Logger {
	if log == nil {
		log = slog.Default()
	}
	l := &Logger{w: w, origin: origin, events: events, log: log,
		queue: make(chan queued, queueSize), done: make(chan struct{})}
	go l.writeLoop()
	return l
}

// Close writes the events queued so far and closes the file Open opened.
// Events audited after Close are dropped.
func (l *Logger) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	close(l.queue)
	l.mu.Unlock()
	<-l.done
	l.fileMu.Lock()
	defer l.fileMu.Unlock()
	if l.c == nil {
		return nil
	}
	return l.c.Close()
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
	// Secondary marks the authentication of a secondary credential (the
	// es-secondary-authorization header); the user.primary fields name
	// the caller whose request carried it.
	Secondary       bool     `json:"authentication.secondary,omitempty"`
	PrimaryName     string   `json:"user.primary.name,omitempty"`
	PrimaryRealm    string   `json:"user.primary.realm,omitempty"`
	PrimaryAPIKeyID string   `json:"user.primary.apikey.id,omitempty"`
	OriginType      string   `json:"origin.type"`
	OriginAddress   string   `json:"origin.address,omitempty"`
	RequestName     string   `json:"request.name,omitempty"`
	APIKeyIDs       []string `json:"apikey.ids,omitempty"`
	Names           []string `json:"names,omitempty"`
	Reason          string   `json:"reason,omitempty"`
}

// eventType is Elasticsearch's event.type of an action: authentication
// events carry the origin type, denials and explanations (a read, granted)
// are authorization (transport) events, the notice of dropped events is the log's own, everything else
// is a change of the security configuration.
func eventType(action, originType string) string {
	switch action {
	case keyservice.AuditAuthSuccess, keyservice.AuditAuthFailed:
		return originType
	case keyservice.AuditAccessDenied, keyservice.AuditExplainAPIKey:
		return TypeTransport
	case actionDropped:
		return typeAudit
	}
	return TypeSecurityConfigChange
}

// Audit queues e to be written as one line, when the selection includes
// it. It never blocks: when the queue is full the event is counted as
// dropped.
func (l *Logger) Audit(ctx context.Context, e keyservice.AuditEvent) {
	if !l.events.Includes(e.Action) {
		return
	}
	origin, ok := auth.OriginFrom(ctx)
	if !ok {
		origin = l.origin
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return
	}
	select {
	case l.queue <- queued{e: e, origin: origin}:
	default:
		l.dropped.Add(1)
	}
}

// writeLoop is the writer: it takes what is queued, as much as there is up
// to maxBatch, and writes it with one write, until Close.
func (l *Logger) writeLoop() {
	defer close(l.done)
	var buf []byte
	for q := range l.queue {
		buf = l.appendLine(buf[:0], q)
	batch:
		for len(buf) < maxBatch {
			select {
			case q, ok := <-l.queue:
				if !ok {
					break batch
				}
				buf = l.appendLine(buf, q)
			default:
				break batch
			}
		}
		if n := l.dropped.Swap(0); n > 0 {
			l.log.Error("the audit log could not keep up; events were dropped", "dropped", n)
			buf = l.appendLine(buf, queued{origin: l.origin, e: keyservice.AuditEvent{
				Time: time.Now(), Action: actionDropped,
				Reason: fmt.Sprintf("%d audit events were dropped: the audit log could not keep up", n),
			}})
		}
		l.write(buf)
	}
}

// write writes whole lines with one write: with O_APPEND, lines of
// processes sharing the file (the daemon and apikeyctl --db) never
// interleave. A failure is logged, not returned: the calls that were
// audited have already happened.
func (l *Logger) write(lines []byte) {
	w, err := l.file()
	if err == nil {
		_, err = w.Write(lines)
	}
	if err != nil {
		if !l.failing {
			l.log.Error("cannot write the audit log; events are being lost", "err", err)
		}
		l.failing = true
		return
	}
	l.failing = false
}

// appendLine appends the JSON line of q to buf.
func (l *Logger) appendLine(buf []byte, q queued) []byte {
	e, origin := q.e, q.origin
	r := record{
		Timestamp:     e.Time.UTC().Format("2006-01-02T15:04:05.000Z07:00"),
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
	if p := e.Primary; p != nil {
		r.Secondary = true
		r.PrimaryName = p.Username
		r.PrimaryRealm = p.Realm.Name
		if p.APIKey != nil {
			r.PrimaryAPIKeyID = p.APIKey.ID
		}
	}
	line, err := json.Marshal(r)
	if err != nil {
		l.log.Error("cannot encode an audit event", "action", e.Action, "err", err)
		return buf
	}
	buf = append(buf, line...)
	return append(buf, '\n')
}
