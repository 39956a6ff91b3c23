package output

import (
	"fmt"
	"io"
	"strings"

	"github.com/charmbracelet/lipgloss"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// NoKeysHint is written to stderr for an empty key list.
const NoKeysHint = "No API keys match."

// Owner is how a key's owner is shown: username@realm.
func Owner(k api.APIKey) string { return k.Username + "@" + k.Realm }

// keyTable lists keys: ID, NAME, TYPE, OWNER, STATUS, CREATED, EXPIRES,
// LAST USED when the answer has apikeyd's usage fields (with_last_used),
// CERT IDENTITY when a cross-cluster key among them has one, ALLOWED FROM
// when a key among them is bound to networks (with_restrictions), and with Wide
// also ROLES (role descriptor names) and METADATA. On a terminal times are
// relative, and a TYPE column that is the same for every key is left out
// when the table would not fit; when names and owners cut to their floors
// still do not fit, CERT IDENTITY, ALLOWED FROM, then CREATED, then LAST USED, then
// TYPE, then OWNER are left out, and no row is ever wider than the
// terminal. On a pipe times are RFC 3339 and every column is there.
func (t *Terminal) keyTable(keys []api.APIKey) error {
	if len(keys) == 0 {
		t.Hint(NoKeysHint)
		return nil
	}
	cols, rows := t.keyCells(keys)
	return t.writeTable(cols, rows)
}

// KeyTableLines lays out keys as keyTable does on a terminal, fitted to
// Width: the header line, then one line per key, in order. Interactive
// views (apikeyctl browse) show a window of these lines. No keys give no
// lines.
func (t *Terminal) KeyTableLines(keys []api.APIKey) []string {
	if len(keys) == 0 {
		return nil
	}
	cols, rows := t.keyCells(keys)
	return strings.Split(t.tableString(cols, rows), "\n")
}

// keyCells are the columns and cells of the key table.
func (t *Terminal) keyCells(keys []api.APIKey) ([]column, [][]cell) {
	cols := []column{
		{header: "ID"},
		{header: "NAME", flex: true, min: 12},
		{header: "TYPE", dropUniform: true, drop: 4},
		{header: "OWNER", flex: true, shrink: 1, min: 10, drop: 5},
		{header: "STATUS"},
		{header: "CREATED", drop: 2},
		{header: "EXPIRES"},
	}
	usage := hasUsage(keys)
	if usage {
		cols = append(cols, column{header: "LAST USED", drop: 3})
	}
	certs := hasCertificateIdentity(keys)
	if certs {
		cols = append(cols, column{header: "CERT IDENTITY", flex: true, shrink: 1, min: 12, drop: 1})
	}
	networks := hasAllowedNetworks(keys)
	if networks {
		cols = append(cols, column{header: "ALLOWED FROM", flex: true, shrink: 1, min: 12, drop: 1})
	}
	if t.Wide {
		cols = append(cols, column{header: "ROLES"}, column{header: "METADATA"})
	}
	rows := make([][]cell, 0, len(keys))
	for _, k := range keys {
		status := KeyStatus(k, t.Now)
		row := []cell{
			{text: k.ID},
			{text: k.Name},
			{text: k.Type},
			{text: Owner(k)},
			styled(status, t.Styles.Status(status)),
			{text: t.when(&k.Creation)},
			expiresCell(t, k, status),
		}
		if usage {
			row = append(row, cell{text: t.when(k.LastUsed)})
		}
		if certs {
			row = append(row, cell{text: orDash(certificateIdentityText(k))})
		}
		if networks {
			row = append(row, cell{text: orDash(clean(strings.Join(k.AllowedNetworks, ",")))})
		}
		if t.Wide {
			names := make([]string, len(k.RoleDescriptors))
			for i, nd := range k.RoleDescriptors {
				names[i] = nd.Name
			}
			row = append(row, cell{text: orDash(strings.Join(names, ","))}, cell{text: orDash(metadataText(k.Metadata))})
		}
		rows = append(rows, row)
	}
	return cols, rows
}

// hasUsage reports whether the keys carry apikeyd's usage fields: the
// answer of a request with with_last_used.
func hasUsage(keys []api.APIKey) bool {
	for _, k := range keys {
		if k.UsageCount != nil {
			return true
		}
	}
	return false
}

// hasCertificateIdentity reports whether a key among keys has a
// certificate identity (a cross-cluster key, Elasticsearch 9.3).
func hasCertificateIdentity(keys []api.APIKey) bool {
	for _, k := range keys {
		if k.CertificateIdentity != nil {
			return true
		}
	}
	return false
}

// hasAllowedNetworks reports whether a key among keys is bound to
// networks, which an answer says only when asked (with_restrictions).
func hasAllowedNetworks(keys []api.APIKey) bool {
	for _, k := range keys {
		if len(k.AllowedNetworks) > 0 {
			return true
		}
	}
	return false
}

// certificateIdentityText is a key's certificate identity as the table
// and the card show it: "" for none, and the empty pattern, which is one,
// as "".
func certificateIdentityText(k api.APIKey) string {
	switch {
	case k.CertificateIdentity == nil:
		return ""
	case *k.CertificateIdentity == "":
		return `""`
	}
	return clean(*k.CertificateIdentity)
}

// usageText is a key's usage on its card: "used 3 hours ago from
// 10.0.0.5 (42 times)", or "never used".
func (t *Terminal) usageText(k api.APIKey) string {
	if k.LastUsed == nil {
		return "never used"
	}
	s := "used " + t.when(k.LastUsed)
	if k.LastUsedFrom != "" {
		s += " from " + clean(k.LastUsedFrom)
	}
	if k.UsageCount != nil {
		s += " (" + plural(int(*k.UsageCount), "time", "times") + ")"
	}
	return s
}

func expiresCell(t *Terminal, k api.APIKey, status string) cell {
	text := t.when(k.Expiration)
	switch status {
	case StatusExpiring, StatusExpired:
		return styled(text, t.Styles.Status(status))
	}
	return cell{text: text}
}

// when shows a time given in epoch milliseconds: relative on a terminal,
// RFC 3339 on a pipe, "never" when nil.
func (t *Terminal) when(ms *int64) string {
	if ms == nil {
		return "never"
	}
	if !t.TTY {
		return pipeTime(Millis(*ms))
	}
	return RelativeTime(Millis(*ms), t.Now)
}

// whenLong shows a time on a card: absolute and relative on a terminal.
func (t *Terminal) whenLong(ms *int64) string {
	if ms == nil {
		return "never"
	}
	if !t.TTY {
		return pipeTime(Millis(*ms))
	}
	tm := Millis(*ms)
	return absTime(tm, t.Now) + " (" + RelativeTime(tm, t.Now) + ")"
}

// metadataText renders metadata on one line as key=value pairs, in the
// order the keys were written.
func metadataText(md api.Metadata) string {
	parts := make([]string, len(md))
	for i, m := range md {
		s, ok := m.Value.(string)
		if !ok {
			b, err := marshal(m.Value)
			if err != nil {
				s = fmt.Sprint(m.Value)
			} else {
				s = string(b)
			}
		}
		parts[i] = m.Key + "=" + s
	}
	return strings.Join(parts, ",")
}

// keyCards shows each key as a card, separated by blank lines.
func (t *Terminal) keyCards(keys []api.APIKey) error {
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('\n')
		}
		if err := t.keyCard(&b, k); err != nil {
			return err
		}
	}
	_, err := io.WriteString(t.Out, b.String())
	return err
}

// KeyCard is the card of one key as `apikeyctl get --id ID` shows it.
func (t *Terminal) KeyCard(k api.APIKey) (string, error) {
	var b strings.Builder
	err := t.keyCard(&b, k)
	return b.String(), err
}

// keyCard shows one key: its name and status, then id, type, owner,
// times, the certificate identity of a cross-cluster key and the networks
// a key is bound to, then its metadata, role descriptors, limited-by descriptors and
// cross-cluster access as trees. On a pipe it is "path<TAB>value" rows of
// the key's JSON with times in RFC 3339, and its status.
func (t *Terminal) keyCard(b *strings.Builder, k api.APIKey) error {
	status := KeyStatus(k, t.Now)
	if !t.TTY {
		rows, err := flattenJSON(k)
		if err != nil {
			return err
		}
		fields := pipeFields(rows, "creation", "expiration", "invalidation", "last_used")
		fields = append(fields, field{key: "status", value: status})
		b.WriteString(t.fieldsString(fields, 0))
		return nil
	}

	b.WriteString(t.Styles.Bold.Render(clean(k.Name)) + "  " + t.Styles.Status(status).Render(status) + "\n")
	owner := Owner(k)
	if k.RealmType != "" {
		owner += " (" + k.RealmType + " realm)"
	}
	fields := []field{
		{label: "ID", value: k.ID},
		{label: "Type", value: k.Type},
		{label: "Owner", value: owner},
		{label: "Created", value: t.whenLong(&k.Creation)},
		{label: "Expires", value: t.whenLong(k.Expiration)},
	}
	if k.Invalidated {
		inv := "yes"
		if k.Invalidation != nil {
			inv = t.whenLong(k.Invalidation)
		}
		fields = append(fields, field{label: "Invalidated", value: inv})
	}
	if ci := certificateIdentityText(k); ci != "" {
		fields = append(fields, field{label: "Cert identity", value: ci})
	}
	if len(k.AllowedNetworks) > 0 {
		fields = append(fields, field{label: "Allowed from", value: clean(strings.Join(k.AllowedNetworks, ", "))})
	}
	if k.ProfileUID != "" {
		fields = append(fields, field{label: "Profile UID", value: k.ProfileUID})
	}
	if k.UsageCount != nil {
		fields = append(fields, field{label: "Usage", value: t.usageText(k)})
	}
	b.WriteString(t.fieldsString(fields, 2))

	if len(k.Metadata) > 0 {
		tr := t.newTree("Metadata")
		t.anyTree(tr, k.Metadata)
		b.WriteString("\n" + treeString(tr))
	}
	if k.Type == api.TypeCrossCluster && k.Access != nil {
		tr := t.newTree("Access")
		t.anyTree(tr, k.Access)
		b.WriteString("\n" + treeString(tr))
	}
	tr := t.newTree("Role descriptors")
	if len(k.RoleDescriptors) == 0 {
		tr.Child(t.Styles.Muted.Render("none: the key has its owner's privileges"))
	}
	t.descriptorsTree(tr, k.RoleDescriptors)
	b.WriteString("\n" + treeString(tr))
	if len(k.LimitedBy) > 0 {
		tr := t.newTree("Limited by")
		for _, rds := range k.LimitedBy {
			t.descriptorsTree(tr, rds)
		}
		b.WriteString("\n" + treeString(tr))
	}
	return nil
}

// createCard shows a new key with its secret in a box, once, and the HTTP
// header that uses it. On a pipe it is "path<TAB>value" rows.
func (t *Terminal) createCard(r api.CreateAPIKeyResponse) error {
	if !t.TTY {
		rows, err := flattenJSON(r)
		if err != nil {
			return err
		}
		_, err = io.WriteString(t.Out, t.fieldsString(pipeFields(rows, "expiration"), 0))
		return err
	}
	var b strings.Builder
	b.WriteString(t.Styles.Success.Render("✓") + " Created API key " + t.Styles.Bold.Render(clean(r.Name)) + "\n")
	b.WriteString(t.fieldsString([]field{
		{label: "ID", value: r.ID},
		{label: "Name", value: r.Name},
		{label: "Expires", value: t.whenLong(r.Expiration)},
	}, 2))
	b.WriteByte('\n')

	warning := t.Styles.Warning.Render("⚠ Save the secret now: it will not be shown again.")
	secret := t.fieldsString([]field{
		{label: "Encoded", value: r.Encoded},
		{label: "API key", value: r.APIKey},
	}, 0)
	inner := warning + "\n\n" + strings.TrimSuffix(secret, "\n")
	box := t.Styles.Box.Render(inner)
	if maxLineWidth(box) <= t.Width {
		b.WriteString(box + "\n")
	} else {
		// A box wider than the terminal would break the secret's line.
		b.WriteString(inner + "\n")
	}
	b.WriteString("\nAuthorization: ApiKey " + r.Encoded + "\n")
	_, err := io.WriteString(t.Out, b.String())
	return err
}

func maxLineWidth(s string) int {
	w := 0
	for _, l := range strings.Split(s, "\n") {
		w = max(w, lipgloss.Width(l))
	}
	return w
}

// invalidateSummary says which keys were invalidated, which already were,
// and the errors. On a pipe it is rows of "invalidated<TAB>id",
// "previously_invalidated<TAB>id" and "error<TAB>type<TAB>reason".
func (t *Terminal) invalidateSummary(r api.InvalidateAPIKeysResponse) error {
	var b strings.Builder
	if !t.TTY {
		for _, id := range r.InvalidatedAPIKeys {
			b.WriteString("invalidated\t" + clean(id) + "\n")
		}
		for _, id := range r.PreviouslyInvalidatedAPIKeys {
			b.WriteString("previously_invalidated\t" + clean(id) + "\n")
		}
		for _, e := range r.ErrorDetails {
			b.WriteString("error\t" + clean(e.ErrType()) + "\t" + clean(e.Error()) + "\n")
		}
		if b.Len() == 0 {
			t.Hint("No API key was invalidated.")
		}
		_, err := io.WriteString(t.Out, b.String())
		return err
	}
	if n := len(r.InvalidatedAPIKeys); n > 0 {
		b.WriteString(t.Styles.Success.Render("✓") + " Invalidated " + plural(n, "API key", "API keys") + ": " + cleanJoin(r.InvalidatedAPIKeys) + "\n")
	} else {
		b.WriteString("No API key was invalidated.\n")
	}
	if len(r.PreviouslyInvalidatedAPIKeys) > 0 {
		b.WriteString(t.Styles.Muted.Render("Already invalidated: "+cleanJoin(r.PreviouslyInvalidatedAPIKeys)) + "\n")
	}
	if n := max(r.ErrorCount, len(r.ErrorDetails)); n > 0 {
		b.WriteString(t.Styles.Error.Render("✗ "+plural(n, "error", "errors")+":") + "\n")
		for _, e := range r.ErrorDetails {
			b.WriteString("  " + clean(e.ErrType()) + ": " + clean(e.Error()) + "\n")
		}
	}
	_, err := io.WriteString(t.Out, b.String())
	return err
}
