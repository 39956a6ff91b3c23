package output

import (
	"io"
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss/tree"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// rotateCard shows a rotation: the successor as create shows a new key,
// its secret once, then when the old key stops working. On a pipe it is
// create's rows followed by the predecessor's.
func (t *Terminal) rotateCard(r api.RotateAPIKeyResponse) error {
	if err := t.createCard(r.CreateAPIKeyResponse); err != nil {
		return err
	}
	p := r.Predecessor
	if !t.TTY {
		fields := []field{
			{key: "predecessor.id", value: p.ID},
			{key: "predecessor.expiration", value: t.when(&p.Expiration)},
		}
		if p.UntilUnusedMillis > 0 {
			fields = append(fields, field{key: "predecessor.until_unused_in_millis", value: strconv.FormatInt(p.UntilUnusedMillis, 10)})
		}
		_, err := io.WriteString(t.Out, t.fieldsString(fields, 0))
		return err
	}
	line := "\nThe old key " + clean(p.ID) + " keeps working until " + t.whenLong(&p.Expiration)
	if p.UntilUnusedMillis > 0 {
		line += ", or until it has gone unused for " + durationText(p.UntilUnusedMillis) + " once the new key is in use"
	}
	_, err := io.WriteString(t.Out, line+".\n")
	return err
}

// durationText says a whole duration in its largest exact unit ("30m",
// "2h", "1500ms").
func durationText(ms int64) string {
	for _, u := range []struct {
		ms     int64
		suffix string
	}{{86_400_000, "d"}, {3_600_000, "h"}, {60_000, "m"}, {1000, "s"}} {
		if ms%u.ms == 0 {
			return strconv.FormatInt(ms/u.ms, 10) + u.suffix
		}
	}
	return strconv.FormatInt(ms, 10) + "ms"
}

// lineageTree draws a key's family: its line of ancestors from the
// eldest, the key (marked), and every descendant below it, each with its
// relation to its parent, id, name and status coloured as the key table
// colours it. On a pipe it is one tab-separated row a key: depth, id,
// parent, relation, name, status.
func (t *Terminal) lineageTree(l api.APIKeyLineage) error {
	nodes := append(append(append([]api.LineageKey{}, l.Ancestors...), l.APIKey), l.Descendants...)
	children := map[string][]api.LineageKey{}
	for _, n := range nodes[1:] {
		children[n.Parent] = append(children[n.Parent], n)
	}
	var b strings.Builder
	if !t.TTY {
		var walk func(n api.LineageKey, depth int)
		walk = func(n api.LineageKey, depth int) {
			b.WriteString(strings.Join([]string{strconv.Itoa(depth), clean(n.ID), clean(n.Parent), n.Relation, clean(n.Name), t.lineageStatus(n)}, "\t") + "\n")
			for _, c := range children[n.ID] {
				walk(c, depth+1)
			}
		}
		walk(nodes[0], 0)
		_, err := io.WriteString(t.Out, b.String())
		return err
	}
	_, err := io.WriteString(t.Out, t.LineageTree(l))
	return err
}

// LineageTree is the family of lineageTree as a terminal draws it: a
// tree from the eldest ancestor, the key in bold.
func (t *Terminal) LineageTree(l api.APIKeyLineage) string {
	nodes := append(append(append([]api.LineageKey{}, l.Ancestors...), l.APIKey), l.Descendants...)
	children := map[string][]api.LineageKey{}
	for _, n := range nodes[1:] {
		children[n.Parent] = append(children[n.Parent], n)
	}
	label := func(n api.LineageKey) string {
		var parts []string
		if n.Relation != "" {
			parts = append(parts, t.Styles.Muted.Render(n.Relation))
		}
		id := clean(n.ID)
		if n.ID == l.APIKey.ID {
			id = t.Styles.Bold.Render(id)
		}
		status := t.lineageStatus(n)
		parts = append(parts, id, clean(n.Name), t.Styles.Status(status).Render(status))
		return strings.Join(parts, "  ")
	}
	var grow func(tr *tree.Tree, n api.LineageKey)
	grow = func(tr *tree.Tree, n api.LineageKey) {
		for _, c := range children[n.ID] {
			sub := tree.Root(label(c))
			grow(sub, c)
			tr.Child(sub)
		}
	}
	root := t.newTree(label(nodes[0])).RootStyle(t.Styles.plain())
	grow(root, nodes[0])
	return treeString(root)
}

// lineageStatus is the status of a family member, as KeyStatus says it.
func (t *Terminal) lineageStatus(n api.LineageKey) string {
	return KeyStatus(api.APIKey{Expiration: n.Expiration, Invalidated: n.Invalidated}, t.Now)
}
