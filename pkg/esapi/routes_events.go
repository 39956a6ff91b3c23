package esapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// eventsRoutes is the event log API: GET /_apikeyd/events reads the audit
// log, filtered and paged (see api.EventsRequest).
func eventsRoutes() []*route {
	return []*route{
		{method: http.MethodGet, pattern: "/_apikeyd/events", params: []param{
			{"key", stringParam}, {"user", stringParam}, {"action", stringParam}, {"outcome", stringParam},
			{"since", stringParam}, {"until", stringParam}, {"size", stringParam}, {"after", stringParam},
			{"wait_for_events", stringParam},
		}, serve: serveEvents},
	}
}

// serveEvents decodes the parameters of GET /_apikeyd/events: action may
// be repeated and each may hold a comma-separated list; size is a number;
// wait_for_events a time value.
func serveEvents(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	req := &api.EventsRequest{APIKeyID: x.q["key"], User: x.q["user"], Outcome: x.q["outcome"],
		Since: x.q["since"], Until: x.q["until"], After: x.q["after"]}
	for _, v := range x.r.URL.Query()["action"] {
		req.Actions = append(req.Actions, strings.Split(v, ",")...)
	}
	if s, given := x.q["size"]; given {
		n, err := strconv.Atoi(s)
		if err != nil {
			return 0, nil, api.Errorf(api.Invalid, "Failed to parse int parameter [size] with value [%s]", s)
		}
		req.Size = n
	}
	if w, given := x.q["wait_for_events"]; given {
		d, err := api.ParseTimeValue(w, "wait_for_events")
		if err != nil {
			return 0, nil, err
		}
		req.Wait = d
	}
	return ok(h.admin.Events(ctx, req))
}
