package output

import (
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// NoPrivilegesHint is what a terminal shows for an empty list of
// application privileges.
const NoPrivilegesHint = "No application privileges match."

// privilegeItems lists the privileges of r by application, then name.
func privilegeItems(r api.GetPrivilegesResponse) []api.ApplicationPrivilege {
	var out []api.ApplicationPrivilege
	for _, app := range sortedKeys(r) {
		for _, name := range sortedKeys(r[app]) {
			out = append(out, r[app][name])
		}
	}
	return out
}

// privilegeTable lists application privileges: APPLICATION, NAME,
// ACTIONS.
func (t *Terminal) privilegeTable(r api.GetPrivilegesResponse) error {
	items := privilegeItems(r)
	if len(items) == 0 {
		t.Hint(NoPrivilegesHint)
		return nil
	}
	cols := []column{
		{header: "APPLICATION"},
		{header: "NAME"},
		{header: "ACTIONS", flex: true},
	}
	rows := make([][]cell, 0, len(items))
	for _, p := range items {
		rows = append(rows, []cell{{text: p.Application}, {text: p.Name}, {text: orDash(strings.Join(p.Actions, ","))}})
	}
	return t.writeTable(cols, rows)
}
