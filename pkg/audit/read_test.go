package audit_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/audit"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
)

// t0 is the time of the first event of the fixtures.
var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// fixtureLine is an audit line of the given fields, the minute m after t0.
func fixtureLine(m int, action, user, key string, ids ...string) string {
	r := map[string]any{"@timestamp": t0.Add(time.Duration(m) * time.Minute).Format("2006-01-02T15:04:05.000Z07:00"),
		"event.type": "security_config_change", "event.action": action, "user.name": user, "origin.type": "local"}
	if action == "authentication_failed" || action == "access_denied" {
		r["event.type"] = "rest"
	}
	if key != "" {
		r["apikey.id"] = key
	}
	if len(ids) > 0 {
		r["apikey.ids"] = ids
	}
	b, _ := json.Marshal(r)
	return string(b) + "\n"
}

// writeFile writes the lines to the file dir/name.
func writeFile(t *testing.T, dir, name string, lines ...string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(strings.Join(lines, "")), 0o600); err != nil {
		t.Fatal(err)
	}
}

// actionsOf is the event.action of each event, with the user after a
// colon.
func actionsOf(t *testing.T, events []json.RawMessage) []string {
	t.Helper()
	out := []string{}
	for _, raw := range events {
		var e api.Event
		if err := json.Unmarshal(raw, &e); err != nil {
			t.Fatalf("event %s: %v", raw, err)
		}
		out = append(out, e.Action+":"+e.User)
	}
	return out
}

// TestReadEventsFilters reads a log of a rotated file and the current
// one, with a malformed line and a partial last line, through each
// filter.
func TestReadEventsFilters(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "audit-20261201T100500.000Z.json",
		fixtureLine(0, "create_apikey", "alice", "", "k1"),
		fixtureLine(1, "authentication_failed", "mallory", ""),
		fixtureLine(2, "invalidate_apikeys", "bob", "k2", "k1"),
	)
	writeFile(t, dir, "audit.json",
		fixtureLine(10, "access_denied", "bob", "k2"),
		"{\"@timestamp\":\"2026-12-01T10:11:00.000Z\",\"event.act\n", // the remains of a crash
		fixtureLine(12, "put_user", "alice", ""),
		`{"@timestamp":"2026-12-01T10:13:00.000Z","event.action":"create_apikey"`, // not yet whole
	)
	l := audit.OpenLazy(filepath.Join(dir, audit.FileName), auth.Origin{Type: "local"}, audit.AllEvents(), nil)
	defer l.Close()

	tests := []struct {
		name string
		q    keyservice.EventQuery
		want []string
	}{
		{"everything, oldest first", keyservice.EventQuery{},
			[]string{"create_apikey:alice", "authentication_failed:mallory", "invalidate_apikeys:bob", "access_denied:bob", "put_user:alice"}},
		{"key: the caller's or acted on", keyservice.EventQuery{APIKeyID: "k1"},
			[]string{"create_apikey:alice", "invalidate_apikeys:bob"}},
		{"key of the caller", keyservice.EventQuery{APIKeyID: "k2"},
			[]string{"invalidate_apikeys:bob", "access_denied:bob"}},
		{"user", keyservice.EventQuery{User: "alice"}, []string{"create_apikey:alice", "put_user:alice"}},
		{"actions", keyservice.EventQuery{Actions: []string{"put_user", "create_apikey"}}, []string{"create_apikey:alice", "put_user:alice"}},
		{"event type", keyservice.EventQuery{Actions: []string{"rest"}}, []string{"authentication_failed:mallory", "access_denied:bob"}},
		{"failures", keyservice.EventQuery{Outcome: api.OutcomeFailure}, []string{"authentication_failed:mallory", "access_denied:bob"}},
		{"successes", keyservice.EventQuery{Outcome: api.OutcomeSuccess},
			[]string{"create_apikey:alice", "invalidate_apikeys:bob", "put_user:alice"}},
		{"since skips the rotated file", keyservice.EventQuery{Since: t0.Add(10 * time.Minute)}, []string{"access_denied:bob", "put_user:alice"}},
		{"since and until, both included", keyservice.EventQuery{Since: t0.Add(time.Minute), Until: t0.Add(10 * time.Minute)},
			[]string{"authentication_failed:mallory", "invalidate_apikeys:bob", "access_denied:bob"}},
		{"until before the current file", keyservice.EventQuery{Until: t0.Add(time.Minute)},
			[]string{"create_apikey:alice", "authentication_failed:mallory"}},
		{"nothing matches", keyservice.EventQuery{User: "nobody"}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := l.ReadEvents(context.Background(), tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := actionsOf(t, resp.Events); !slices.Equal(got, tt.want) || resp.Count != len(tt.want) {
				t.Errorf("events %q (count %d), want %q", got, resp.Count, tt.want)
			}
		})
	}

	t.Run("pages, then the partial line once it is whole", func(t *testing.T) {
		var got []string
		q := keyservice.EventQuery{Size: 2}
		for {
			resp, err := l.ReadEvents(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, actionsOf(t, resp.Events)...)
			q.After = resp.Next
			if resp.Count < q.Size {
				break
			}
		}
		want := []string{"create_apikey:alice", "authentication_failed:mallory", "invalidate_apikeys:bob", "access_denied:bob", "put_user:alice"}
		if !slices.Equal(got, want) {
			t.Fatalf("pages %q, want %q", got, want)
		}
		f, err := os.OpenFile(filepath.Join(dir, audit.FileName), os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(`,"user.name":"carol"}` + "\n")
		f.Close()
		resp, err := l.ReadEvents(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if got := actionsOf(t, resp.Events); !slices.Equal(got, []string{"create_apikey:carol"}) {
			t.Errorf("after the line was completed: %q, want the completed line alone", got)
		}
	})

	t.Run("invalid cursor", func(t *testing.T) {
		_, err := l.ReadEvents(context.Background(), keyservice.EventQuery{After: "not-a-cursor"})
		if api.ErrorCode(err) != api.Invalid {
			t.Errorf("err %v, want a 400", err)
		}
	})
}

// TestReadEventsAcrossRotations writes events from several goroutines
// into a log rotated every few lines while a reader pages through it with
// its cursor: the reader sees every event exactly once, in the order of
// each writer.
func TestReadEventsAcrossRotations(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, audit.FileName)
	l, err := audit.Open(path, auth.Origin{Type: "local"}, audit.AllEvents(), nil)
	if err != nil {
		t.Fatal(err)
	}
	l.SetRotation(audit.Rotation{MaxSize: 2048})
	const writers, each = 4, 150
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				l.Audit(context.Background(), keyservice.AuditEvent{Action: keyservice.AuditPutUser, Names: []string{fmt.Sprintf("w%d-%03d", w, i)}})
			}
		})
	}
	writersDone := make(chan struct{})
	go func() {
		wg.Wait()
		l.Close()
		close(writersDone)
	}()

	seen := map[string]int{}
	var order []string
	q := keyservice.EventQuery{Size: 7}
	done := false
	for {
		resp, err := l.ReadEvents(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, raw := range resp.Events {
			var e struct{ Names []string }
			if err := json.Unmarshal(raw, &e); err != nil || len(e.Names) != 1 {
				t.Fatalf("event %s", raw)
			}
			seen[e.Names[0]]++
			order = append(order, e.Names[0])
		}
		q.After = resp.Next
		if resp.Count < q.Size {
			if done {
				break
			}
			select {
			case <-writersDone:
				done = true // one more pass reads what the last write added
			default:
			}
		}
	}
	if len(seen) != writers*each || len(order) != writers*each {
		t.Fatalf("saw %d distinct events in %d reads, want %d", len(seen), len(order), writers*each)
	}
	last := map[string]string{}
	for _, name := range order {
		w := name[:strings.IndexByte(name, '-')]
		if prev, ok := last[w]; ok && prev >= name {
			t.Errorf("%s read after %s", name, prev)
		}
		last[w] = name
	}
	rotated, _ := filepath.Glob(filepath.Join(dir, "audit-*.json"))
	if len(rotated) < 2 {
		t.Errorf("%d rotated files, want the log rotated several times", len(rotated))
	}
}

// TestRetention keeps the newest rotated files and those younger than the
// maximum age, and never touches the current file or other files.
func TestRetention(t *testing.T) {
	now := time.Now().UTC()
	name := func(ago time.Duration) string {
		return "audit-" + now.Add(-ago).Format("20060102T150405.000Z") + ".json"
	}
	all := []string{name(72 * time.Hour), name(48 * time.Hour), name(2 * time.Hour), name(time.Hour)}
	tests := []struct {
		name string
		r    audit.Rotation
		want []string
	}{
		{"keep everything", audit.Rotation{}, all},
		{"by count", audit.Rotation{MaxFiles: 2}, all[2:]},
		{"by age", audit.Rotation{MaxAge: 24 * time.Hour}, all[2:]},
		{"by count and age", audit.Rotation{MaxFiles: 1, MaxAge: 24 * time.Hour}, all[3:]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, n := range append([]string{"audit.json", "audit-notes.json", "other.json"}, all...) {
				writeFile(t, dir, n, fixtureLine(0, "put_user", "alice", ""))
			}
			l := audit.OpenLazy(filepath.Join(dir, audit.FileName), auth.Origin{}, audit.AllEvents(), nil)
			l.SetRotation(tt.r)
			l.Close()
			got, _ := filepath.Glob(filepath.Join(dir, "audit-2*.json"))
			for i := range got {
				got[i] = filepath.Base(got[i])
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("left %q, want %q", got, tt.want)
			}
			for _, n := range []string{"audit.json", "audit-notes.json", "other.json"} {
				if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
					t.Errorf("%s: %v", n, err)
				}
			}
		})
	}
}

// TestRotateByAge rotates a log whose first event is older than the
// maximum age at the next write, and ends the partial line a crash left
// before writing after it.
func TestRotateByAge(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, audit.FileName)
	writeFile(t, dir, audit.FileName, fixtureLine(0, "put_user", "alice", ""), `{"@timestamp":"2026-12-01T10:01:00.000Z","event.ac`)
	l, err := audit.Open(path, auth.Origin{Type: "local"}, audit.AllEvents(), nil)
	if err != nil {
		t.Fatal(err)
	}
	l.SetRotation(audit.Rotation{MaxAge: 24 * time.Hour})
	l.Audit(context.Background(), keyservice.AuditEvent{Action: keyservice.AuditDeleteUser, Principal: "bob"})
	l.Close()
	rotated, _ := filepath.Glob(filepath.Join(dir, "audit-*.json"))
	if len(rotated) != 1 {
		t.Fatalf("rotated files %q, want one", rotated)
	}
	if got := len(readLog(t, path)); got != 1 {
		t.Errorf("the new log holds %d events, want 1", got)
	}
	resp, err := l.ReadEvents(context.Background(), keyservice.EventQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := actionsOf(t, resp.Events), []string{"put_user:alice", "delete_user:bob"}; !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
}

// TestReadEventsWaits blocks a read with nothing to return until an event
// is written.
func TestReadEventsWaits(t *testing.T) {
	path := filepath.Join(t.TempDir(), audit.FileName)
	l, err := audit.Open(path, auth.Origin{Type: "local"}, audit.AllEvents(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got := make(chan *api.EventsResponse, 1)
	go func() {
		resp, err := l.ReadEvents(context.Background(), keyservice.EventQuery{User: "carol", Wait: time.Minute})
		if err != nil {
			t.Error(err)
		}
		got <- resp
	}()
	l.Audit(context.Background(), keyservice.AuditEvent{Action: keyservice.AuditPutUser, Principal: "bob"})
	l.Audit(context.Background(), keyservice.AuditEvent{Action: keyservice.AuditPutUser, Principal: "carol"})
	resp := <-got
	if got, want := actionsOf(t, resp.Events), []string{"put_user:carol"}; !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
}

// TestReadEventsWaitsForAnotherProcess wakes the reader of OpenLazy
// (apikeyctl --db) when another Logger, as another process would, writes
// the file; EndWaits answers a waiting read at once.
func TestReadEventsWaitsForAnotherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), audit.FileName)
	reader := audit.OpenLazy(path, auth.Origin{Type: "local"}, audit.AllEvents(), nil)
	defer reader.Close()
	got := make(chan *api.EventsResponse, 1)
	go func() {
		resp, err := reader.ReadEvents(context.Background(), keyservice.EventQuery{Wait: time.Minute})
		if err != nil {
			t.Error(err)
		}
		got <- resp
	}()
	writer, err := audit.Open(path, auth.Origin{Type: "local"}, audit.AllEvents(), nil)
	if err != nil {
		t.Fatal(err)
	}
	writer.Audit(context.Background(), keyservice.AuditEvent{Action: keyservice.AuditPutUser, Principal: "dave"})
	writer.Close()
	if got, want := actionsOf(t, (<-got).Events), []string{"put_user:dave"}; !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}

	go func() {
		resp, err := reader.ReadEvents(context.Background(), keyservice.EventQuery{User: "nobody", Wait: time.Minute})
		if err != nil {
			t.Error(err)
		}
		got <- resp
	}()
	reader.EndWaits()
	if resp := <-got; resp.Count != 0 {
		t.Errorf("after EndWaits: %d events, want none", resp.Count)
	}
}
