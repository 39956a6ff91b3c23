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

// userTable lists users in the order given: USERNAME, ROLES, FULL NAME,
// EMAIL, ENABLED.
func (t *Terminal) userTable(users []api.User) error {
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
	for _, u := range users {
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

// roleTable lists roles in the order given: NAME, CLUSTER, INDICES (each
// entry as "names: privileges", separated by "; ").
func (t *Terminal) roleTable(roles []api.NamedRoleDescriptor) error {
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
	for _, nd := range roles {
		name, d := nd.Name, nd.Descriptor
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

// usersByName are the users of a get users answer, by name.
func usersByName(r api.GetUsersResponse) []api.User {
	users := make([]api.User, 0, len(r))
	for _, name := range sortedKeys(r) {
		users = append(users, r[name])
	}
	return users
}

// rolesByName are the roles of a get roles answer, by name.
func rolesByName(r api.GetRolesResponse) []api.NamedRoleDescriptor {
	roles := make([]api.NamedRoleDescriptor, 0, len(r))
	for _, name := range sortedKeys(r) {
		roles = append(roles, api.NamedRoleDescriptor{Name: name, Descriptor: r[name]})
	}
	return roles
}

// queriedUsers shows a query users answer: its users as the user table,
// in the answer's order, and on a terminal a hint when the page holds
// fewer users than matched.
func (t *Terminal) queriedUsers(r api.QueryUsersResponse) error {
	users := make([]api.User, len(r.Users))
	for i, u := range r.Users {
		users[i] = u.User
	}
	if err := t.userTable(users); err != nil {
		return err
	}
	if t.TTY && r.Count < r.Total && r.Count > 0 {
		t.Hint("Showing %d of %d matching users (--limit N for more).", r.Count, r.Total)
	}
	return nil
}

// queriedRoles shows a query roles answer: its roles as the role table,
// in the answer's order, and on a terminal a hint when the page holds
// fewer roles than matched.
func (t *Terminal) queriedRoles(r api.QueryRolesResponse) error {
	roles := make([]api.NamedRoleDescriptor, len(r.Roles))
	for i, q := range r.Roles {
		roles[i] = api.NamedRoleDescriptor{Name: q.Name, Descriptor: q.Descriptor}
	}
	if err := t.roleTable(roles); err != nil {
		return err
	}
	if t.TTY && r.Count < r.Total && r.Count > 0 {
		t.Hint("Showing %d of %d matching roles (--limit N for more).", r.Count, r.Total)
	}
	return nil
}
