package keyservice

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/query"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// QueryUsers runs a query over the native users, as Elasticsearch's query
// user API does: the body is read (parse errors), the caller authorized
// (read_security or more), the query translated for the user fields
// (username, roles, enabled, full_name, email) and resolved, and the
// search run by the query package's evaluator over every native user.
// Reserved users (the bootstrap superuser) are not native users and are
// never found, as Elasticsearch's search is filtered on the user document
// type. The default order is by username (the index order of apikeyd's
// users); each user carries _sort only when the request sorted.
func (s *Service) QueryUsers(ctx context.Context, req *api.QueryUsersRequest) (*api.QueryUsersResponse, error) {
	parsed, err := s.readSecurityQuery(ctx, query.Users, req.Body, auth.ActionQueryUser)
	if err != nil {
		return nil, err
	}
	var users []*store.User
	err = s.store.View(ctx, func(r store.Reader) error {
		var err error
		users, err = r.ListUsers(ctx)
		return err
	})
	if err != nil {
		return nil, s.internal("query users", err)
	}
	docs := make([]*query.Doc, 0, len(users))
	byDoc := make(map[*query.Doc]*store.User, len(users))
	for _, u := range users {
		if u.Reserved {
			continue
		}
		d := userDoc(u, int64(len(docs)))
		docs = append(docs, d)
		byDoc[d] = u
	}
	total, hits := parsed.Apply(docs)
	resp := &api.QueryUsersResponse{Total: total, Count: len(hits), Users: make([]api.QueriedUser, 0, len(hits))}
	for _, h := range hits {
		info, err := userInfo(byDoc[h.Doc])
		if err != nil {
			return nil, s.internal("render user", err)
		}
		resp.Users = append(resp.Users, api.QueriedUser{User: info, Sort: sortValues(parsed, h)})
	}
	return resp, nil
}

// QueryRoles runs a query over the native roles, as Elasticsearch's query
// role API does: the body is read, the caller authorized (read_security
// or more), the query translated for the role fields (name, description,
// applications.application, applications.resources,
// applications.privileges, metadata) and resolved, and the search run by
// the query package's evaluator over every native role. Built-in roles
// are not found, as Elasticsearch documents. The default order is by
// name; each role carries _sort only when the request sorted.
func (s *Service) QueryRoles(ctx context.Context, req *api.QueryRolesRequest) (*api.QueryRolesResponse, error) {
	parsed, err := s.readSecurityQuery(ctx, query.Roles, req.Body, auth.ActionQueryRole)
	if err != nil {
		return nil, err
	}
	var roles []*store.Role
	err = s.store.View(ctx, func(r store.Reader) error {
		var err error
		roles, err = r.ListRoles(ctx)
		return err
	})
	if err != nil {
		return nil, s.internal("query roles", err)
	}
	docs := make([]*query.Doc, 0, len(roles))
	byDoc := make(map[*query.Doc]*store.Role, len(roles))
	for _, role := range roles {
		doc, err := roleDoc(role, int64(len(docs)))
		if err != nil {
			return nil, s.internal("query roles", err)
		}
		docs = append(docs, doc)
		byDoc[doc] = role
	}
	total, hits := parsed.Apply(docs)
	resp := &api.QueryRolesResponse{Total: total, Count: len(hits), Roles: make([]api.QueriedRole, 0, len(hits))}
	for _, h := range hits {
		role := byDoc[h.Doc]
		var d api.RoleDescriptor
		if err := json.Unmarshal(role.Descriptor, &d); err != nil {
			return nil, s.internal("render role", fmt.Errorf("decode role %s: %w", role.Name, err))
		}
		resp.Roles = append(resp.Roles, api.QueriedRole{Name: role.Name, Descriptor: d, Sort: sortValues(parsed, h)})
	}
	return resp, nil
}

// readSecurityQuery reads a query users or roles body, authorizes the
// caller for action, and resolves the body: Elasticsearch's order, so
// that a body that does not parse is a 400 before any 403.
func (s *Service) readSecurityQuery(ctx context.Context, schema *query.Schema, raw json.RawMessage, action string) (*query.Request, error) {
	body, err := schema.Read(raw)
	if err != nil {
		return nil, err
	}
	if _, err := s.granted(ctx, action); err != nil {
		return nil, err
	}
	return body.Resolve(query.Options{Now: s.now()})
}

// sortValues are a hit's _sort values, nil when the request did not sort.
func sortValues(parsed *query.Request, h query.Hit) []any {
	if !parsed.Sorted() {
		return nil
	}
	out := make([]any, len(parsed.Sort))
	for i, c := range parsed.Sort {
		out[i] = c.Render(h.Sort[i])
	}
	return out
}

// userDoc is what the query users API can see of a user: its _id (as
// the security index has it, "user-" and the name), username, roles,
// enabled, full_name and email; seq is its index order.
func userDoc(u *store.User, seq int64) *query.Doc {
	d := query.NewDoc("user-"+u.Username, seq)
	d.Set(query.FieldUsername, u.Username)
	for _, r := range u.Roles {
		d.Set(query.FieldRoles, r)
	}
	d.Set(query.FieldEnabled, u.Enabled)
	if u.FullName != nil {
		d.Set(query.FieldFullName, *u.FullName)
	}
	if u.Email != nil {
		d.Set(query.FieldEmail, *u.Email)
	}
	return d
}

// roleDoc is what the query roles API can see of a role: its _id ("role-"
// and the name), name, description, the applications' application,
// resources and privileges, and the leaves of its metadata as stored (key
// order and numbers as written); seq is its index order. Only these
// fields of the stored descriptor are decoded.
func roleDoc(role *store.Role, seq int64) (*query.Doc, error) {
	var stored struct {
		Description  string                      `json:"description"`
		Applications []api.ApplicationPrivileges `json:"applications"`
		Metadata     json.RawMessage             `json:"metadata"`
	}
	if err := json.Unmarshal(role.Descriptor, &stored); err != nil {
		return nil, fmt.Errorf("decode role %s: %w", role.Name, err)
	}
	d := query.NewDoc("role-"+role.Name, seq)
	d.Set(query.FieldName, role.Name)
	if stored.Description != "" {
		d.Set(query.FieldDescription, stored.Description)
	}
	for _, a := range stored.Applications {
		d.Set(query.FieldApplication, a.Application)
		for _, r := range a.Resources {
			d.Set(query.FieldResources, r)
		}
		for _, p := range a.Privileges {
			d.Set(query.FieldAppPrivileges, p)
		}
	}
	leaves, err := query.Flatten(stored.Metadata)
	if err != nil {
		return nil, fmt.Errorf("role %s metadata: %w", role.Name, err)
	}
	d.Metadata = leaves
	return d, nil
}
