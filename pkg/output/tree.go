package output

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/lipgloss/tree"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/orderedjson"
)

// valueTree adds the members of a decoded JSON value to tr: scalars and
// lists of scalars as "key: value" leaves, objects and other lists as
// subtrees.
func (t *Terminal) valueTree(tr *tree.Tree, v any) {
	switch x := v.(type) {
	case orderedjson.Object:
		for _, m := range x {
			t.addValue(tr, clean(m.Key), m.Value)
		}
	case []any:
		for i, e := range x {
			t.addValue(tr, fmt.Sprintf("[%d]", i), e)
		}
	default:
		tr.Child(clean(scalarText(x)))
	}
}

func (t *Terminal) addValue(tr *tree.Tree, key string, v any) {
	if s, ok := inlineText(v); ok {
		tr.Child(key + ": " + clean(s))
		return
	}
	sub := tree.Root(key)
	t.valueTree(sub, v)
	tr.Child(sub)
}

// inlineText renders a scalar, an empty object or a list of scalars on one
// line.
func inlineText(v any) (string, bool) {
	switch x := v.(type) {
	case orderedjson.Object:
		if len(x) == 0 {
			return "{}", true
		}
		return "", false
	case []any:
		if len(x) == 0 {
			return "[]", true
		}
		parts := make([]string, len(x))
		for i, e := range x {
			switch e.(type) {
			case orderedjson.Object, []any:
				return "", false
			}
			parts[i] = scalarText(e)
		}
		return strings.Join(parts, ", "), true
	}
	return scalarText(v), true
}

func scalarText(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		if x {
			return "true"
		}
		return "false"
	}
	return compactJSON(v)
}

// anyTree adds a Go value (metadata, global privileges) to tr through its
// JSON.
func (t *Terminal) anyTree(tr *tree.Tree, v any) {
	b, err := marshal(v)
	if err != nil {
		tr.Child(err.Error())
		return
	}
	d, err := decodeOrdered(b)
	if err != nil {
		tr.Child(err.Error())
		return
	}
	t.valueTree(tr, d)
}

// descriptorsTree adds one subtree per role descriptor, in order.
func (t *Terminal) descriptorsTree(tr *tree.Tree, rds api.RoleDescriptors) {
	for _, nd := range rds {
		sub := tree.Root(clean(nd.Name))
		t.descriptorTree(sub, nd.Descriptor)
		tr.Child(sub)
	}
}

// descriptorTree shows what a role descriptor grants, leaving out what is
// empty.
func (t *Terminal) descriptorTree(tr *tree.Tree, d api.RoleDescriptor) {
	if d.IsEmpty() {
		tr.Child(t.Styles.Muted.Render("no privileges"))
	}
	if len(d.Cluster) > 0 {
		tr.Child("cluster: " + cleanJoin(d.Cluster))
	}
	if len(d.Indices) > 0 {
		sub := tree.Root("indices")
		for _, ip := range d.Indices {
			t.indicesNode(sub, "", ip)
		}
		tr.Child(sub)
	}
	if len(d.Applications) > 0 {
		sub := tree.Root("applications")
		for _, ap := range d.Applications {
			sub.Child(fmt.Sprintf("%s: %s (resources: %s)",
				clean(ap.Application), cleanJoin(ap.Privileges), cleanJoin(ap.Resources)))
		}
		tr.Child(sub)
	}
	if len(d.RunAs) > 0 {
		tr.Child("run_as: " + cleanJoin(d.RunAs))
	}
	if len(d.RemoteIndices) > 0 {
		sub := tree.Root("remote_indices")
		for _, ri := range d.RemoteIndices {
			t.indicesNode(sub, cleanJoin(ri.Clusters)+": ", ri.IndicesPrivileges)
		}
		tr.Child(sub)
	}
	if len(d.RemoteCluster) > 0 {
		sub := tree.Root("remote_cluster")
		for _, rc := range d.RemoteCluster {
			sub.Child(cleanJoin(rc.Clusters) + ": " + cleanJoin(rc.Privileges))
		}
		tr.Child(sub)
	}
	if len(d.Global) > 0 {
		sub := tree.Root("global")
		t.anyTree(sub, d.Global)
		tr.Child(sub)
	}
	if d.Restriction != nil {
		tr.Child("restriction: workflows " + cleanJoin(d.Restriction.Workflows))
	}
	if d.Description != "" {
		tr.Child("description: " + clean(d.Description))
	}
	if len(d.Metadata) > 0 {
		sub := tree.Root("metadata")
		t.anyTree(sub, d.Metadata)
		tr.Child(sub)
	}
}

// indicesNode adds "names: privileges" with its document and field level
// security, if any, below it.
func (t *Terminal) indicesNode(tr *tree.Tree, prefix string, ip api.IndicesPrivileges) {
	title := prefix + cleanJoin(ip.Names) + ": " + cleanJoin(ip.Privileges)
	var details []any
	if fs := ip.FieldSecurity; fs != nil {
		s := "field_security: grant " + cleanJoin(fs.Grant)
		if len(fs.Except) > 0 {
			s += "; except " + cleanJoin(fs.Except)
		}
		details = append(details, s)
	}
	if ip.Query != nil {
		details = append(details, "query: "+clean(*ip.Query))
	}
	if ip.AllowRestrictedIndices {
		details = append(details, "allow_restricted_indices: true")
	}
	if len(details) == 0 {
		tr.Child(title)
		return
	}
	tr.Child(tree.Root(title).Child(details...))
}

func cleanJoin(s []string) string {
	if len(s) == 0 {
		return "-"
	}
	c := slices.Clone(s)
	for i := range c {
		c[i] = clean(c[i])
	}
	return strings.Join(c, ", ")
}
