package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/audit"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
)

// gatedWriter blocks every write until released, then keeps what it gets.
type gatedWriter struct {
	entered chan struct{}
	release chan struct{}
	once    sync.Once
	buf     bytes.Buffer
}

func (g *gatedWriter) Write(p []byte) (int, error) {
	g.once.Do(func() { close(g.entered) })
	<-g.release
	return g.buf.Write(p)
}

// TestFullQueueDropsAndCounts: a writer that cannot keep up never holds up
// Audit; what did not fit is dropped, and the log says how much, so that
// every event is either written or counted.
func TestFullQueueDropsAndCounts(t *testing.T) {
	w := &gatedWriter{entered: make(chan struct{}), release: make(chan struct{})}
	var logged bytes.Buffer
	l := audit.New(w, auth.LocalOrigin(1), audit.Selection{}, slog.New(slog.NewTextHandler(&logged, nil)))
	event := keyservice.AuditEvent{Action: keyservice.AuditPutRole, Names: []string{"r"}}
	l.Audit(context.Background(), event)
	<-w.entered // the writer holds the first event, blocked
	const n = 10000
	for range n {
		l.Audit(context.Background(), event) // must not block
	}
	close(w.release)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	written, dropped := 0, 0
	for _, line := range strings.Split(strings.TrimSpace(w.buf.String()), "\n") {
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		switch e["event.action"] {
		case keyservice.AuditPutRole:
			written++
		case "audit_events_dropped":
			var d int
			if _, err := fmt.Sscanf(e["reason"].(string), "%d audit events were dropped", &d); err != nil {
				t.Fatalf("reason %q: %v", e["reason"], err)
			}
			dropped += d
		}
	}
	if dropped == 0 || written+dropped != n+1 {
		t.Errorf("written %d + dropped %d, want %d events with some dropped", written, dropped, n+1)
	}
	if !strings.Contains(logged.String(), "events were dropped") {
		t.Errorf("the daemon's log does not say events were dropped:\n%s", logged.String())
	}
}

func TestSelection(t *testing.T) {
	tests := []struct {
		name             string
		include, exclude []string
		want             map[string]bool
	}{
		{"elasticsearch default", nil, nil, map[string]bool{
			keyservice.AuditAuthSuccess: false, keyservice.AuditAuthFailed: true,
			keyservice.AuditAccessDenied: true, keyservice.AuditCreateAPIKey: true, keyservice.AuditDeleteUser: true}},
		{"all", []string{"_all"}, nil, map[string]bool{keyservice.AuditAuthSuccess: true, keyservice.AuditCreateAPIKey: true}},
		{"all but config changes", []string{"_all"}, []string{"security_config_change"}, map[string]bool{
			keyservice.AuditAuthSuccess: true, keyservice.AuditCreateAPIKey: false, keyservice.AuditInvalidateAPIKeys: false}},
		{"only failures", []string{"authentication_failed", "access_denied"}, nil, map[string]bool{
			keyservice.AuditAuthFailed: true, keyservice.AuditAccessDenied: true, keyservice.AuditAuthSuccess: false, keyservice.AuditPutRole: false}},
		{"default less denials", nil, []string{"access_denied"}, map[string]bool{
			keyservice.AuditAccessDenied: false, keyservice.AuditAuthFailed: true}},
		{"exclude all", []string{"_all"}, []string{"_all"}, map[string]bool{keyservice.AuditAuthFailed: false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sel, err := audit.ParseSelection(tt.include, tt.exclude)
			if err != nil {
				t.Fatal(err)
			}
			for action, want := range tt.want {
				if got := sel.Includes(action); got != want {
					t.Errorf("Includes(%s) = %v, want %v", action, got, want)
				}
			}
		})
	}
	if _, err := audit.ParseSelection([]string{"authentication_sucess"}, nil); err == nil {
		t.Error("a misspelt event name was accepted")
	}
}

func BenchmarkAudit(b *testing.B) {
	sub := auth.OSSubject("root")
	for _, c := range []struct {
		name   string
		events audit.Selection
	}{{"written", audit.AllEvents()}, {"not-selected", audit.Selection{}}} {
		b.Run(c.name, func(b *testing.B) {
			var buf bytes.Buffer
			l := audit.New(&buf, auth.LocalOrigin(1), c.events, nil)
			b.Cleanup(func() { l.Close() })
			for b.Loop() {
				l.Audit(context.Background(), keyservice.AuditEvent{Action: keyservice.AuditAuthSuccess, Subject: sub})
			}
		})
	}
}
