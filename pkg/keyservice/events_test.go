package keyservice_test

import (
	"context"
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
)

// eventLog is an EventReader that keeps the last query it was given.
type eventLog struct {
	recorder
	q keyservice.EventQuery
}

func (l *eventLog) ReadEvents(_ context.Context, q keyservice.EventQuery) (*api.EventsResponse, error) {
	l.q = q
	return &api.EventsResponse{Events: nil}, nil
}

// TestEventsPrivilegesAndValidation checks who may read the audit log
// (read_security, manage_security, all), that the refusal is
// Elasticsearch's 403 for a missing cluster privilege, and how the
// request is checked and resolved before the log is read.
func TestEventsPrivilegesAndValidation(t *testing.T) {
	log := &eventLog{}
	fx := newFixture(t, func(o *keyservice.Options) { o.Auditor = log })
	now := fx.clock.now()
	for _, tt := range []struct {
		name   string
		user   string // "" is the OS superuser
		req    api.EventsRequest
		status int
		reason string
		want   keyservice.EventQuery
	}{
		{"the OS superuser", "", api.EventsRequest{}, 0, "", keyservice.EventQuery{Size: api.DefaultEventsSize}},
		{"read_security", "reader", api.EventsRequest{Size: 5}, 0, "", keyservice.EventQuery{Size: 5}},
		{"manage_security", "secadmin", api.EventsRequest{}, 0, "", keyservice.EventQuery{Size: api.DefaultEventsSize}},
		{"manage_api_key is not enough", "admin", api.EventsRequest{}, 403,
			"action [cluster:admin/xpack/security/apikeyd/events/get] is unauthorized for user [admin] with effective roles [all_keys], this action is granted by the cluster privileges [read_security,manage_security,all]", keyservice.EventQuery{}},
		{"monitor is not enough", "nobody", api.EventsRequest{}, 403, "apikeyd/events/get] is unauthorized for user [nobody]", keyservice.EventQuery{}},
		{"since a time value, until a date", "", api.EventsRequest{Since: "24h", Until: "2026-11-24", User: "alice", APIKeyID: "k1",
			Actions: []string{" create_apikey", ""}, Outcome: "failure", After: "c", Wait: time.Second}, 0, "",
			keyservice.EventQuery{Since: now.Add(-24 * time.Hour), Until: time.Date(2026, 11, 24, 23, 59, 59, 999e6, time.UTC), User: "alice", APIKeyID: "k1",
				Actions: []string{"create_apikey"}, Outcome: "failure", After: "c", Wait: time.Second, Size: api.DefaultEventsSize}},
		{"epoch millis", "", api.EventsRequest{Since: "1764583200000"}, 0, "", keyservice.EventQuery{Since: time.UnixMilli(1764583200000), Size: api.DefaultEventsSize}},
		{"size too large", "", api.EventsRequest{Size: 10001}, 400, "[size] must be between 1 and 10000, got [10001]: page with [after] for more", keyservice.EventQuery{}},
		{"size negative", "", api.EventsRequest{Size: -1}, 400, "[size] must be between 1 and 10000, got [-1]", keyservice.EventQuery{}},
		{"wait too long", "", api.EventsRequest{Wait: time.Hour}, 400, "[wait_for_events] must be between 0s and 30s, got [1h0m0s]", keyservice.EventQuery{}},
		{"unknown outcome", "", api.EventsRequest{Outcome: "denied"}, 400, "[outcome] must be one of [success, failure], got [denied]", keyservice.EventQuery{}},
		{"since not a time", "", api.EventsRequest{Since: "yesterday"}, 400, "[since] [yesterday] is neither a time value", keyservice.EventQuery{}},
		{"until before since", "", api.EventsRequest{Since: "1h", Until: "2h"}, 400, "[until] [2h] is before [since] [1h]", keyservice.EventQuery{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := fx.root
			if tt.user != "" {
				ctx = fx.as(tt.user)
			}
			log.q = keyservice.EventQuery{}
			_, err := fx.svc.Events(ctx, &tt.req)
			if tt.status != 0 {
				typ := "illegal_argument_exception"
				if tt.status == 403 {
					typ = "security_exception"
				}
				wantErr(t, err, tt.status, typ, tt.reason)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			q := log.q
			if !q.Since.Equal(tt.want.Since) || !q.Until.Equal(tt.want.Until) {
				t.Errorf("since %v until %v, want %v and %v", q.Since, q.Until, tt.want.Since, tt.want.Until)
			}
			q.Since, q.Until, tt.want.Since, tt.want.Until = time.Time{}, time.Time{}, time.Time{}, time.Time{}
			if q.User != tt.want.User || q.APIKeyID != tt.want.APIKeyID || q.Outcome != tt.want.Outcome || q.After != tt.want.After ||
				q.Wait != tt.want.Wait || q.Size != tt.want.Size || len(q.Actions) != len(tt.want.Actions) {
				t.Errorf("query %+v, want %+v", q, tt.want)
			}
		})
	}
	t.Run("no audit log", func(t *testing.T) {
		fx := newFixture(t)
		_, err := fx.svc.Events(fx.root, &api.EventsRequest{})
		wantErr(t, err, 404, "resource_not_found_exception", "no audit log is kept")
	})
}
