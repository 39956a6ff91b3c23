package esapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

func (a *fakeAdmin) Events(_ context.Context, req *api.EventsRequest) (*api.EventsResponse, error) {
	a.events = req
	if a.err != nil {
		return nil, a.err
	}
	return &api.EventsResponse{Count: 1, Events: []json.RawMessage{json.RawMessage(`{"event.action":"create_apikey"}`)}, Next: "c1"}, nil
}

// TestServeEventsParams checks how GET /_apikeyd/events reads its
// parameters: action repeated and comma-separated, size a number,
// wait_for_events a time value; mistakes are 400s that name the
// parameter, and unknown parameters Elasticsearch's 400.
func TestServeEventsParams(t *testing.T) {
	tests := []struct {
		name   string
		query  string
		status int
		want   *api.EventsRequest
		reason string
	}{
		{"no parameters", "", 200, &api.EventsRequest{}, ""},
		{"every filter", "?key=k1&user=alice&outcome=failure&since=24h&until=2026-12-06&size=5&after=c0&wait_for_events=30s",
			200, &api.EventsRequest{APIKeyID: "k1", User: "alice", Outcome: "failure", Since: "24h", Until: "2026-12-06", Size: 5, After: "c0", Wait: 30 * time.Second}, ""},
		{"actions repeated and listed", "?action=create_apikey,invalidate_apikeys&action=access_denied",
			200, &api.EventsRequest{Actions: []string{"create_apikey", "invalidate_apikeys", "access_denied"}}, ""},
		{"size not a number", "?size=ten", 400, nil, "Failed to parse int parameter [size] with value [ten]"},
		{"wait not a time value", "?wait_for_events=soon", 400, nil, "failed to parse setting [wait_for_events] with value [soon] as a time value: unit is missing or unrecognized"},
		{"unknown parameter", "?username=alice", 400, nil, "request [/_apikeyd/events] contains unrecognized parameter: [username]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &fakeAdmin{}
			h := newHarness(t, func(c *Config) { c.Admin = a })
			r := httptest.NewRequest(http.MethodGet, "/_apikeyd/events"+tt.query, nil)
			r.Header.Set("Authorization", basicElastic)
			w := httptest.NewRecorder()
			h.h.ServeHTTP(w, r)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if tt.status != 200 {
				if !strings.Contains(w.Body.String(), `"reason":"`+tt.reason+`"`) {
					t.Errorf("body %s, want the reason %q", w.Body, tt.reason)
				}
				return
			}
			if !reflect.DeepEqual(a.events, tt.want) {
				t.Errorf("request %+v, want %+v", a.events, tt.want)
			}
			if want := `{"count":1,"events":[{"event.action":"create_apikey"}],"next":"c1"}`; w.Body.String() != want {
				t.Errorf("body %s, want %s", w.Body, want)
			}
		})
	}
}
