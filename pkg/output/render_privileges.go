package output

import (
	"encoding/json"
	"io"
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// userPrivileges shows the caller's privileges: cluster, run_as and global
// privileges as fields, then one line per index, remote index and
// application entry ("names  privileges", with what restricts it). On a
// pipe it is "path<TAB>value" rows of the response's JSON.
func (t *Terminal) userPrivileges(r api.GetUserPrivilegesResponse) error {
	if !t.TTY {
		return t.pipeRows(r)
	}
	var b strings.Builder
	fields := []field{
		{label: "Cluster", value: cleanJoin(r.Cluster)},
		{label: "Run as", value: cleanJoin(r.RunAs)},
	}
	for _, g := range r.Global {
		text, err := json.Marshal(g)
		if err != nil {
			return err
		}
		fields = append(fields, field{label: "Global", value: clean(string(text))})
	}
	b.WriteString(t.fieldsString(fields, 0))
	section := func(title string, lines []field) {
		if len(lines) == 0 {
			return
		}
		b.WriteString("\n" + t.Styles.Bold.Render(title) + "\n")
		b.WriteString(t.fieldsString(lines, 2))
	}
	section("Indices", t.indexLines(r.Indices))
	section("Remote indices", t.indexLines(r.RemoteIndices))
	apps := make([]field, len(r.Applications))
	for i, a := range r.Applications {
		apps[i] = field{label: clean(a.Application), value: cleanJoin(a.Privileges) + " on " + cleanJoin(a.Resources)}
	}
	section("Applications", apps)
	remote := make([]field, len(r.RemoteCluster))
	for i, rc := range r.RemoteCluster {
		remote[i] = field{label: cleanJoin(rc.Clusters), value: cleanJoin(rc.Privileges)}
	}
	section("Remote cluster", remote)
	_, err := io.WriteString(t.Out, b.String())
	return err
}

// indexLines are the lines of index privileges: names (prefixed with
// their remote clusters) and privileges, with notes on restricted
// indices, field and document level security.
func (t *Terminal) indexLines(groups []api.UserIndexPrivileges) []field {
	out := make([]field, len(groups))
	for i, g := range groups {
		names := cleanJoin(g.Names)
		if len(g.Clusters) > 0 {
			names = cleanJoin(g.Clusters) + ":" + names
		}
		value := cleanJoin(g.Privileges)
		var notes []string
		if g.AllowRestrictedIndices {
			notes = append(notes, "restricted indices too")
		}
		if len(g.FieldSecurity) > 0 {
			notes = append(notes, "field level security")
		}
		if len(g.Query) > 0 {
			notes = append(notes, "document level security")
		}
		if len(notes) > 0 {
			value += "  " + t.Styles.Muted.Render("("+strings.Join(notes, ", ")+")")
		}
		out[i] = field{label: names, value: value}
	}
	return out
}
