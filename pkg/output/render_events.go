package output

import (
	"strings"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// EventTable writes audit events (apikeyctl events) as a table: the time
// in the terminal's time zone, the action, the outcome (failures in the
// error style), the user and realm, the key (the caller's, or those acted
// on), the origin and the reason. The reason and the names shrink first
// on a narrow terminal; the origin is dropped before the key.
func (t *Terminal) EventTable(events []api.Event) error {
	cols := []column{
		{header: "TIME"},
		{header: "ACTION"},
		{header: "OUTCOME"},
		{header: "USER", flex: true, shrink: 1, min: 8},
		{header: "KEY", flex: true, shrink: 1, min: 8, drop: 2},
		{header: "ORIGIN", flex: true, shrink: 1, min: 8, drop: 1},
		{header: "REASON", flex: true, shrink: 2, min: 10},
	}
	rows := make([][]cell, 0, len(events))
	for _, e := range events {
		when := e.Timestamp
		if ts, err := time.Parse(time.RFC3339Nano, e.Timestamp); err == nil {
			when = ts.In(t.Now.Location()).Format("2006-01-02 15:04:05")
		}
		key := e.APIKeyID
		if len(e.APIKeyIDs) > 0 {
			key = strings.Join(e.APIKeyIDs, ",")
		}
		origin := e.OriginType
		if e.OriginAddress != "" {
			origin += " " + e.OriginAddress
		}
		user := e.User
		if user != "" && e.Realm != "" {
			user += " (" + e.Realm + ")"
		}
		outcome := api.EventOutcome(e.Action)
		style := t.Styles.Success
		if outcome == api.OutcomeFailure {
			style = t.Styles.Error
		}
		rows = append(rows, []cell{{text: when}, {text: e.Action}, styled(outcome, style),
			{text: orDash(user)}, {text: orDash(key)}, {text: orDash(origin)}, {text: orDash(e.Reason)}})
	}
	return t.writeTable(cols, rows)
}
