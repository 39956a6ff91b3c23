package output

import (
	"io"
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// rolesSummary writes what a bulk put or delete of roles did to each role:
// on a terminal a line per outcome, on a pipe "outcome<TAB>role" rows
// (and "error<TAB>role<TAB>type<TAB>reason").
func (t *Terminal) rolesSummary(r api.BulkRolesResponse) error {
	outcomes := []struct {
		pipe, tty string
		names     []string
		muted     bool
	}{
		{"created", "Created", r.Created, false},
		{"updated", "Updated", r.Updated, false},
		{"noop", "Unchanged", r.Noop, true},
		{"deleted", "Deleted", r.Deleted, false},
		{"not_found", "Not found", r.NotFound, true},
	}
	var b strings.Builder
	if !t.TTY {
		for _, o := range outcomes {
			for _, n := range o.names {
				b.WriteString(o.pipe + "\t" + clean(n) + "\n")
			}
		}
		for _, e := range r.Errors {
			b.WriteString("error\t" + clean(e.Name) + "\t" + clean(e.Error.ErrType()) + "\t" + clean(e.Error.Error()) + "\n")
		}
		if b.Len() == 0 {
			t.Hint("No role was given.")
		}
		_, err := io.WriteString(t.Out, b.String())
		return err
	}
	for _, o := range outcomes {
		switch {
		case len(o.names) == 0:
		case o.muted:
			b.WriteString(t.Styles.Muted.Render(o.tty+": "+cleanJoin(o.names)) + "\n")
		default:
			b.WriteString(t.Styles.Success.Render("✓") + " " + o.tty + " " + plural(len(o.names), "role", "roles") + ": " + cleanJoin(o.names) + "\n")
		}
	}
	if n := len(r.Errors); n > 0 {
		b.WriteString(t.Styles.Error.Render("✗ "+plural(n, "error", "errors")+":") + "\n")
		for _, e := range r.Errors {
			b.WriteString("  " + clean(e.Name) + ": " + clean(e.Error.ErrType()) + ": " + clean(e.Error.Error()) + "\n")
		}
	}
	if b.Len() == 0 {
		b.WriteString("No role was given.\n")
	}
	_, err := io.WriteString(t.Out, b.String())
	return err
}
