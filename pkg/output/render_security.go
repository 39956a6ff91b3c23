package output

import (
	"io"
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// Hints written to stderr for empty lists.
const (
	NoUsersHint = "No users match."
	NoRolesHint = "No roles match."
)

// whoami shows who the caller is: user, realms, authentication type, roles
// and, when authenticated with an API key, that key. On a pipe it is
// "path<TAB>value" rows of the response's JSON.
func (t *Terminal) whoami(r api.AuthenticateResponse) error {
	if !t.TTY {
		return t.pipeRows(r)
	}
	var b strings.Builder
	b.WriteString(t.Styles.Bold.Render(clean(r.Username)) + "\n")
	realm := func(rl api.Realm) string { return rl.Name + " (" + rl.Type + ")" }
	fields := []field{
		{label: "Realm", value: realm(r.AuthenticationRealm)},
	}
	if r.LookupRealm != r.AuthenticationRealm && r.LookupRealm.Name != "" {
		fields = append(fields, field{label: "Lookup realm", value: realm(r.LookupRealm)})
	}
	fields = append(fields,
		field{label: "Auth type", value: r.AuthenticationType},
		field{label: "Roles", value: cleanJoin(r.Roles)},
	)
	if r.FullName != nil && *r.FullName != "" {
		fields = append(fields, field{label: "Full name", value: *r.FullName})
	}
	if r.Email != nil && *r.Email != "" {
		fields = append(fields, field{label: "Email", value: *r.Email})
	}
	enabled := field{label: "Enabled", value: "yes"}
	if !r.Enabled {
		enabled = field{label: "Enabled", value: "no", style: &t.Styles.Error}
	}
	fields = append(fields, enabled)
	b.WriteString(t.fieldsString(fields, 2))
	if k := r.APIKey; k != nil {
		b.WriteString("\n" + t.Styles.Bold.Render("API key") + "\n")
		kf := []field{{label: "ID", value: k.ID}}
		if k.Name != "" {
			kf = append(kf, field{label: "Name", value: k.Name})
		}
		if k.ManagedBy != "" {
			kf = append(kf, field{label: "Managed by", value: k.ManagedBy})
		}
		b.WriteString(t.fieldsString(kf, 2))
	}
	_, err := io.WriteString(t.Out, b.String())
	return err
}

// userTable lists users by name: USERNAME, ROLES, FULL NAME, EMAIL,
// ENABLED.
func (t *Terminal) userTable(users api.GetUsersResponse) error {
	if len(users) == 0 {
		t.Hint(NoUsersHint)
		return nil
	}
	cols := []column{
		{header: "USERNAME"},
		{header: "ROLES", flex: true},
		{header: "FULL NAME", flex: true},
		{header: "EMAIL", flex: true},
		{header: "ENABLED"},
	}
	rows := make([][]cell, 0, len(users))
	for _, name := range sortedKeys(users) {
		u := users[name]
		enabled := cell{text: "true"}
		if t.TTY {
			enabled = cell{text: "yes"}
		}
		if !u.Enabled {
			enabled = styled("false", t.Styles.Error)
			if t.TTY {
				enabled = styled("no", t.Styles.Error)
			}
		}
		rows = append(rows, []cell{
			{text: u.Username},
			{text: orDash(strings.Join(u.Roles, ","))},
			{text: orDash(strOf(u.FullName))},
			{text: orDash(strOf(u.Email))},
			enabled,
		})
	}
	return t.writeTable(cols, rows)
}

// roleTable lists roles by name: NAME, CLUSTER, INDICES (each entry as
// "names: privileges", separated by "; ").
func (t *Terminal) roleTable(roles api.GetRolesResponse) error {
	if len(roles) == 0 {
		t.Hint(NoRolesHint)
		return nil
	}
	cols := []column{
		{header: "NAME"},
		{header: "CLUSTER", flex: true},
		{header: "INDICES", flex: true},
	}
	rows := make([][]cell, 0, len(roles))
	for _, name := range sortedKeys(roles) {
		d := roles[name]
		indices := make([]string, len(d.Indices))
		for i, ip := range d.Indices {
			indices[i] = strings.Join(ip.Names, ",") + ": " + strings.Join(ip.Privileges, ",")
		}
		rows = append(rows, []cell{
			{text: name},
			{text: orDash(strings.Join(d.Cluster, ","))},
			{text: orDash(strings.Join(indices, "; "))},
		})
	}
	return t.writeTable(cols, rows)
}

func strOf(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
