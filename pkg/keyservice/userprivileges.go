package keyservice

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// SetUserEnabled enables or disables a native user. A disabled user can
// no longer authenticate with its password nor with its access tokens;
// its API keys keep working, as in Elasticsearch. The caches hold nothing
// past the write: the user cache is keyed by the store's generation.
func (s *Service) SetUserEnabled(ctx context.Context, username string, enabled bool) error {
	sub, err := s.granted(ctx, auth.ActionSetEnabled)
	if err != nil {
		return err
	}
	if !sub.IsAPIKey() && sub.Username == username && (sub.Realm == auth.NativeRealm || sub.Realm == auth.ReservedRealm) {
		return api.Errorf(api.Invalid, "users may not update the enabled status of their own account")
	}
	verb := "disabled"
	if enabled {
		verb = "enabled"
	}
	err = s.store.Update(ctx, func(w store.Writer) error {
		u, err := w.GetUser(ctx, username)
		if errors.Is(err, store.ErrNotFound) {
			// Elasticsearch's answer for a user it has no document of.
			return &api.Error{Code: api.ValidationFailed, Type: "validation_exception", Reason: "Validation Failed: 1: only existing users can be " + verb + ";"}
		}
		if err != nil {
			return err
		}
		if u.Enabled == enabled {
			return nil
		}
		u.Enabled = enabled
		_, err = w.PutUser(ctx, u)
		return err
	})
	if err != nil {
		return s.internal("set user enabled", err)
	}
	action := AuditDisableUser
	if enabled {
		action = AuditEnableUser
	}
	s.audit(ctx, AuditEvent{Action: action, Request: auth.ActionSetEnabled, Subject: sub, Names: []string{username}})
	return nil
}

// errAssignedDescriptors is Elasticsearch's refusal to list the
// privileges of an API key that has role descriptors of its own.
var errAssignedDescriptors = api.Errorf(api.Invalid, "Cannot retrieve privileges for API keys with assigned role descriptors. Please use the Get API key information API https://ela.st/es-api-get-api-key")

// GetUserPrivileges lists the caller's own privileges, which every
// authenticated caller may do: its roles merged as Elasticsearch merges
// them. An API key caller gets its owner's privileges when the key has no
// role descriptors of its own, and a 400 otherwise.
func (s *Service) GetUserPrivileges(ctx context.Context) (*api.GetUserPrivilegesResponse, error) {
	sub, err := s.subject(ctx)
	if err != nil {
		return nil, err
	}
	descs := sub.Descriptors
	if sub.IsAPIKey() {
		if len(sub.APIKey.RoleDescriptors) > 0 {
			return nil, errAssignedDescriptors
		}
		descs = sub.APIKey.LimitedBy
	}
	return mergePrivileges(descs), nil
}

// mergePrivileges merges role descriptors as Elasticsearch builds a role
// from them: cluster privileges and run_as as sorted sets; index entries
// grouped by their set of names (local and restricted apart, and remote
// ones by their clusters too) with their privileges united, field level
// security and queries united unless an entry has none (then the group
// has none); application entries grouped by application and resources.
func mergePrivileges(descs api.RoleDescriptors) *api.GetUserPrivilegesResponse {
	resp := &api.GetUserPrivilegesResponse{
		Global: []map[string]any{}, Applications: []api.ApplicationPrivileges{},
	}
	var cluster, runAs []string
	local := newIndexGroups()
	restricted := newIndexGroups()
	remote := newIndexGroups()
	apps := map[string]int{}
	seenGlobal := map[string]bool{}
	for _, nd := range descs {
		d := nd.Descriptor
		cluster = append(cluster, d.Cluster...)
		runAs = append(runAs, d.RunAs...)
		for _, g := range globalPrivileges(d.Global) {
			b, _ := json.Marshal(g)
			if !seenGlobal[string(b)] {
				seenGlobal[string(b)] = true
				resp.Global = append(resp.Global, g)
			}
		}
		for _, ip := range d.Indices {
			if ip.AllowRestrictedIndices {
				restricted.add(ip, nil)
			} else {
				local.add(ip, nil)
			}
		}
		for _, rp := range d.RemoteIndices {
			remote.add(rp.IndicesPrivileges, rp.Clusters)
		}
		for _, ap := range d.Applications {
			res := sortedSet(ap.Resources)
			key := ap.Application + "\x00" + strings.Join(res, "\x00")
			if i, ok := apps[key]; ok {
				resp.Applications[i].Privileges = sortedSet(append(resp.Applications[i].Privileges, ap.Privileges...))
				continue
			}
			apps[key] = len(resp.Applications)
			resp.Applications = append(resp.Applications, api.ApplicationPrivileges{
				Application: ap.Application, Privileges: sortedSet(ap.Privileges), Resources: res,
			})
		}
		resp.RemoteCluster = append(resp.RemoteCluster, d.RemoteCluster...)
	}
	resp.Cluster = sortedSet(cluster)
	resp.RunAs = sortedSet(runAs)
	resp.Indices = append(local.list(), restricted.list()...)
	resp.RemoteIndices = remote.list()
	return resp
}

// globalPrivileges splits a descriptor's global privileges into one
// object per configurable privilege, {category: {privilege: value}}, as
// Elasticsearch lists them.
func globalPrivileges(global map[string]any) []map[string]any {
	var out []map[string]any
	for _, cat := range sortedKeys(global) {
		inner, ok := global[cat].(map[string]any)
		if !ok {
			continue
		}
		for _, name := range sortedKeys(inner) {
			out = append(out, map[string]any{cat: map[string]any{name: inner[name]}})
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// sortedSet returns the distinct strings of in, sorted, never nil.
func sortedSet(in []string) []string {
	out := append([]string{}, in...)
	slices.Sort(out)
	return slices.Compact(out)
}

// indexGroups merges index entries by their names (and clusters), in the
// order the groups first appear.
type indexGroups struct {
	order []string
	byKey map[string]*indexGroup
}

type indexGroup struct {
	out api.UserIndexPrivileges
	// unrestrictedFields and unrestrictedDocs record that an entry of
	// the group had no field level or no document level security.
	unrestrictedFields, unrestrictedDocs bool
}

func newIndexGroups() *indexGroups { return &indexGroups{byKey: map[string]*indexGroup{}} }

func (gs *indexGroups) add(ip api.IndicesPrivileges, clusters []string) {
	names := sortedSet(ip.Names)
	key := fmt.Sprint(ip.AllowRestrictedIndices, "\x01", strings.Join(names, "\x00"), "\x01", strings.Join(sortedSet(clusters), "\x00"))
	g, ok := gs.byKey[key]
	if !ok {
		g = &indexGroup{out: api.UserIndexPrivileges{Names: names, AllowRestrictedIndices: ip.AllowRestrictedIndices}}
		if clusters != nil {
			g.out.Clusters = sortedSet(clusters)
		}
		gs.byKey[key] = g
		gs.order = append(gs.order, key)
	}
	g.out.Privileges = sortedSet(append(g.out.Privileges, ip.Privileges...))
	if ip.FieldSecurity == nil || (len(ip.FieldSecurity.Grant) == 0 && len(ip.FieldSecurity.Except) == 0) {
		g.unrestrictedFields = true
	} else if !slices.ContainsFunc(g.out.FieldSecurity, func(f api.FieldSecurity) bool { return sameFields(f, *ip.FieldSecurity) }) {
		g.out.FieldSecurity = append(g.out.FieldSecurity, *ip.FieldSecurity)
	}
	if ip.Query == nil {
		g.unrestrictedDocs = true
	} else if !slices.Contains(g.out.Query, *ip.Query) {
		g.out.Query = append(g.out.Query, *ip.Query)
	}
}

func sameFields(a, b api.FieldSecurity) bool {
	return slices.Equal(a.Grant, b.Grant) && slices.Equal(a.Except, b.Except)
}

func (gs *indexGroups) list() []api.UserIndexPrivileges {
	out := []api.UserIndexPrivileges{}
	for _, key := range gs.order {
		g := gs.byKey[key]
		if g.unrestrictedFields {
			g.out.FieldSecurity = nil
		}
		if g.unrestrictedDocs {
			g.out.Query = nil
		}
		slices.SortFunc(g.out.FieldSecurity, func(a, b api.FieldSecurity) int {
			if c := slices.Compare(a.Grant, b.Grant); c != 0 {
				return c
			}
			return slices.Compare(a.Except, b.Except)
		})
		out = append(out, g.out)
	}
	return out
}
