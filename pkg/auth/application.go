package auth

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// This file holds application privileges: the rules of their names and
// actions, and how a role's application entries grant the privileges a
// has privileges request asks for, as Elasticsearch's
// ApplicationPrivilege and ApplicationPermission decide it.

// Transport actions of the application privilege APIs.
const (
	ActionPutPrivileges        = "cluster:admin/xpack/security/privilege/put"
	ActionGetPrivileges        = "cluster:admin/xpack/security/privilege/get"
	ActionDeletePrivileges     = "cluster:admin/xpack/security/privilege/delete"
	ActionClearPrivilegesCache = "cluster:admin/xpack/security/privilege/cache/clear"
	ActionGetBuiltinPrivileges = "cluster:admin/xpack/security/privilege/builtin/get"
)

var (
	validApplicationPrefix = regexp.MustCompile(`^[a-z][A-Za-z0-9]*$`)
	validPrivilegeName     = regexp.MustCompile(`^[a-z][a-zA-Z0-9_.-]*$`)
	validNameOrAction      = regexp.MustCompile(`^[!-~]*$`)
	// whitespace is Java's [\v\h]: vertical and horizontal whitespace.
	whitespace = regexp.MustCompile(`[\n\x0B\f\r\x85\x{2028}\x{2029} \t\xA0\x{1680}\x{180e}\x{2000}-\x{200a}\x{202f}\x{205f}\x{3000}]`)
)

// invalidFilenameChars are the characters Elasticsearch refuses in file
// names, and so in an application name's suffix, sorted as its message
// lists them.
const invalidFilenameChars = `\/*?"<>| ,`

// invalidFilenameList is invalidFilenameChars as Elasticsearch lists them.
const invalidFilenameList = `[' ','"','*',',','/','<','>','?','\','|']`

// ValidateApplicationName returns Elasticsearch's complaint about an
// application name, or "" when it is valid: a prefix of at least three
// ASCII letters or digits starting with a lowercase letter, optionally
// followed by '-' or '_' and a suffix of file name characters, without
// whitespace. With allowWildcard a trailing '*' (or "*" alone) is
// accepted, as in role descriptors.
func ValidateApplicationName(app string, allowWildcard bool) string {
	if app == "" {
		return "Application names cannot be blank"
	}
	asterisk := strings.IndexByte(app, '*')
	if asterisk >= 0 {
		if !allowWildcard {
			return fmt.Sprintf("Application names may not contain '*' (found '%s')", app)
		}
		if app == "*" {
			return ""
		}
		if asterisk != len(app)-1 {
			return fmt.Sprintf("Application name patterns only support trailing wildcards (found '%s')", app)
		}
	}
	if whitespace.MatchString(app) {
		return fmt.Sprintf("Application names may not contain whitespace (found '%s')", app)
	}
	prefix, suffix, hasSuffix := app, "", false
	if i := strings.IndexAny(app, "_-"); i >= 0 {
		prefix, suffix, hasSuffix = app[:i], app[i+1:], true
	}
	prefix = strings.TrimSuffix(prefix, "*")
	if !validApplicationPrefix.MatchString(prefix) {
		return fmt.Sprintf("An application name prefix must match the pattern %s (found '%s')", validApplicationPrefix, prefix)
	}
	if len(prefix) < 3 && asterisk < 0 {
		return fmt.Sprintf("An application name prefix must be at least 3 characters long (found '%s')", prefix)
	}
	if hasSuffix {
		if allowWildcard {
			suffix = strings.TrimSuffix(suffix, "*")
		}
		if strings.ContainsAny(suffix, invalidFilenameChars) {
			return fmt.Sprintf("An application name suffix may not contain any of the characters %s (found '%s')", invalidFilenameList, suffix)
		}
	}
	return ""
}

// ValidatePrivilegeName returns Elasticsearch's complaint about the name
// of a stored application privilege, or "".
func ValidatePrivilegeName(name string) string {
	if !validPrivilegeName.MatchString(name) {
		return fmt.Sprintf("Application privilege names must match the pattern %s (found '%s')", validPrivilegeName, name)
	}
	return ""
}

// ValidatePrivilegeAction returns Elasticsearch's complaints about an
// action of an application privilege: it must contain '/', '*' or ':'
// (which tells it from a privilege name) and be visible ASCII characters.
func ValidatePrivilegeAction(action string) []string {
	var out []string
	if !strings.ContainsAny(action, "/*:") {
		out = append(out, fmt.Sprintf("action [%s] must contain one of [ '/' , '*' , ':' ]", action))
	}
	if msg := validateNameOrAction(action); msg != "" {
		out = append(out, msg)
	}
	return out
}

// validateNameOrAction returns Elasticsearch's complaint about a
// privilege name or action that is not all visible ASCII characters, or
// "".
func validateNameOrAction(s string) string {
	if !validNameOrAction.MatchString(s) {
		return fmt.Sprintf("Application privilege names and actions must match the pattern ^\\p{Graph}*$ (found '%s')", s)
	}
	return ""
}

// ApplicationPrivilegeDef is a stored application privilege as the
// permission checks use it.
type ApplicationPrivilegeDef struct {
	Application string
	Name        string
	Actions     []string
}

// appPrivilege is a resolved application privilege: the privilege names
// asked for or granted, and the action patterns they stand for.
type appPrivilege struct {
	// application is a concrete name, or the pattern a role gave when no
	// stored privilege's application matched it.
	application string
	names       []string
	patterns    []string
}

// resolveApp resolves privilege names of one application (or pattern)
// against the stored privileges, as Elasticsearch's
// ApplicationPrivilege.get: a pattern expands to every stored application
// it matches (or stays itself when it matches none); a valid privilege
// name stands for its stored actions (nothing when it is not stored), any
// other string is an action pattern itself.
func resolveApp(app string, names []string, stored []ApplicationPrivilegeDef) []appPrivilege {
	if len(names) == 0 {
		return []appPrivilege{{application: app, names: []string{"none"}}}
	}
	if !strings.Contains(app, "*") {
		return []appPrivilege{resolveNames(app, names, stored)}
	}
	var apps []string
	for _, d := range stored {
		if wildcardMatch(app, d.Application) && !slices.Contains(apps, d.Application) {
			apps = append(apps, d.Application)
		}
	}
	if len(apps) == 0 {
		return []appPrivilege{resolveNames(app, names, nil)}
	}
	out := make([]appPrivilege, 0, len(apps))
	for _, a := range apps {
		out = append(out, resolveNames(a, names, stored))
	}
	return out
}

func resolveNames(app string, names []string, stored []ApplicationPrivilegeDef) appPrivilege {
	var patterns []string
	for _, n := range names {
		if !validPrivilegeName.MatchString(n) {
			patterns = append(patterns, n)
			continue
		}
		for _, d := range stored {
			if d.Application == app && d.Name == n {
				patterns = append(patterns, d.Actions...)
			}
		}
	}
	return appPrivilege{application: app, names: sortedUnique(names), patterns: sortedUnique(patterns)}
}

func sortedUnique(in []string) []string {
	out := append([]string{}, in...)
	slices.Sort(out)
	return slices.Compact(out)
}

// appEntry is one entry of a role's application permission: a resolved
// privilege on the union of its resource patterns.
type appEntry struct {
	privilege appPrivilege
	resources []string
}

// applicationPermission builds the application permission of role
// descriptors: their entries resolved, those of an equal privilege
// merged into one over the union of their resources.
func applicationPermission(descs api.RoleDescriptors, stored []ApplicationPrivilegeDef) []appEntry {
	var entries []appEntry
	for _, nd := range descs {
		for _, ap := range nd.Descriptor.Applications {
			for _, p := range resolveApp(ap.Application, ap.Privileges, stored) {
				i := slices.IndexFunc(entries, func(e appEntry) bool { return samePrivilege(e.privilege, p) })
				if i < 0 {
					entries = append(entries, appEntry{privilege: p})
					i = len(entries) - 1
				}
				entries[i].resources = append(entries[i].resources, ap.Resources...)
			}
		}
	}
	return entries
}

func samePrivilege(a, b appPrivilege) bool {
	return a.application == b.application && slices.Equal(a.names, b.names) && slices.Equal(a.patterns, b.patterns)
}

// grants reports whether the entry grants the privilege on the resource
// (a name or a pattern): the privilege is the entry's own, or the
// entry's application matches and its actions cover every action of the
// privilege; and the entry's resources cover every resource the resource
// names.
func (e appEntry) grants(p appPrivilege, resource string) bool {
	if !e.matchesPrivilege(p) {
		return false
	}
	return patternsSubset([]string{resource}, e.resources)
}

func (e appEntry) matchesPrivilege(p appPrivilege) bool {
	if samePrivilege(e.privilege, p) {
		return true
	}
	if !wildcardMatch(e.privilege.application, p.application) {
		return false
	}
	if slices.ContainsFunc(e.privilege.patterns, isTotalPattern) {
		return true
	}
	return len(e.privilege.patterns) > 0 && len(p.patterns) > 0 && patternsSubset(p.patterns, e.privilege.patterns)
}

// checkApplication answers one application check of has privileges
// against role descriptors.
func checkApplication(descs api.RoleDescriptors, stored []ApplicationPrivilegeDef, app, resource, privilege string) bool {
	want := resolveNames(app, []string{privilege}, stored)
	for _, e := range applicationPermission(descs, stored) {
		if e.grants(want, resource) {
			return true
		}
	}
	return false
}

// ApplicationsOf lists the application names and patterns the subject's
// descriptors and the request name: the stored privileges a has
// privileges request needs are theirs.
func ApplicationsOf(s *Subject, req *api.HasPrivilegesRequest) []string {
	var apps []string
	add := func(descs api.RoleDescriptors) {
		for _, nd := range descs {
			for _, ap := range nd.Descriptor.Applications {
				apps = append(apps, ap.Application)
			}
		}
	}
	add(s.Descriptors)
	if s.APIKey != nil {
		add(s.APIKey.RoleDescriptors)
		add(s.APIKey.LimitedBy)
	}
	for _, ac := range req.Application {
		apps = append(apps, ac.Application)
	}
	return sortedUnique(apps)
}

// manageApplications lists the application patterns of the descriptors'
// configurable global privilege
// {"application": {"manage": {"applications": [...]}}}.
func manageApplications(descs api.RoleDescriptors) []string {
	var out []string
	for _, nd := range descs {
		app, _ := nd.Descriptor.Global["application"].(map[string]any)
		manage, _ := app["manage"].(map[string]any)
		list, _ := manage["applications"].([]any)
		for _, v := range list {
			if s, ok := v.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

// managesApplications reports whether the descriptors grant an
// application privilege API (put, get or delete) on the applications
// named: by a cluster privilege that grants action, or by the global
// privilege to manage applications when its patterns match every name —
// or, for a request that names none (get every privilege), when one of
// them is "*", as Elasticsearch's ManageApplicationPrivileges decides.
func managesApplications(descs api.RoleDescriptors, action string, apps []string) bool {
	if descriptorsLevel(descs, action) == Granted {
		return true
	}
	patterns := manageApplications(descs)
	if len(patterns) == 0 {
		return false
	}
	if len(apps) == 0 {
		return slices.Contains(patterns, "*")
	}
	for _, a := range apps {
		if !slices.ContainsFunc(patterns, func(p string) bool { return wildcardMatch(p, a) }) {
			return false
		}
	}
	return true
}

// AuthorizeApplications reports whether the subject may run the
// application privilege API action (put, get or delete) on the
// applications named (none: every application). An API key caller needs
// the grant from both its own descriptors (when it has any) and its
// owner's.
func AuthorizeApplications(s *Subject, action string, apps []string) bool {
	return effective(s, func(d api.RoleDescriptors) bool { return managesApplications(d, action, apps) })
}

// ApplicationMatches reports whether an application name or pattern (a
// trailing '*') matches the application app.
func ApplicationMatches(pattern, app string) bool { return wildcardMatch(pattern, app) }

// failureStorePrivileges are index privileges Elasticsearch leaves out of
// its list of built-in privileges.
var failureStorePrivileges = []string{"read_failure_store", "manage_failure_store"}

// remoteClusterPrivilegeNames are the privileges a role may grant on
// remote clusters.
var remoteClusterPrivilegeNames = []string{"monitor_enrich", "monitor_stats"}

// BuiltinPrivileges lists the predefined cluster, index and remote
// cluster privilege names, sorted, as the get builtin privileges API
// answers.
func BuiltinPrivileges() *api.BuiltinPrivilegesResponse {
	index := slices.DeleteFunc(slices.Clone(IndexPrivilegeNames), func(p string) bool { return slices.Contains(failureStorePrivileges, p) })
	return &api.BuiltinPrivilegesResponse{
		Cluster:       slices.Sorted(slices.Values(ClusterPrivilegeNames)),
		Index:         slices.Sorted(slices.Values(index)),
		RemoteCluster: slices.Clone(remoteClusterPrivilegeNames),
	}
}
