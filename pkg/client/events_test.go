package client

import (
	"context"
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// TestEvents: the filters as query parameters (actions as one comma list,
// the wait in milliseconds), and the answer with its raw events.
func TestEvents(t *testing.T) {
	for _, tt := range []struct {
		name  string
		req   api.EventsRequest
		query string
	}{
		{"no filter", api.EventsRequest{}, ""},
		{"every filter", api.EventsRequest{APIKeyID: "k1", User: "alice", Actions: []string{"create_apikey", "access_denied"}, Outcome: "failure",
			Since: "24h", Until: "2026-12-06", Size: 5, After: "c1", Wait: 30 * time.Second},
			"action=create_apikey%2Caccess_denied&after=c1&key=k1&outcome=failure&since=24h&size=5&until=2026-12-06&user=alice&wait_for_events=30000ms"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, srv := newFake(t, reply{body: `{"count":1,"events":[{"event.action":"create_apikey"}],"next":"c2"}`})
			resp, err := mustNew(t, Config{URL: srv.URL}).Events(context.Background(), &tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Count != 1 || string(resp.Events[0]) != `{"event.action":"create_apikey"}` || resp.Next != "c2" {
				t.Errorf("answer %+v", resp)
			}
			got := f.last(t)
			if got.Method != "GET" || got.Path != "/_apikeyd/events" || got.RawQuery != tt.query {
				t.Errorf("sent %s %s?%s, want GET /_apikeyd/events?%s", got.Method, got.Path, got.RawQuery, tt.query)
			}
		})
	}
}
