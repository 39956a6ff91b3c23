package keyservice

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// This file holds the application privilege APIs. Their writes commit
// through the store, whose generation every cached authentication checks,
// and has privileges reads the stored privileges it needs at each call:
// no answer outlives a put or a delete.

// grantedApplications is the caller when it may run the application
// privilege API action on the applications named (none: every one), by a
// cluster privilege or by the global privilege to manage them; the 403
// otherwise.
func (s *Service) grantedApplications(ctx context.Context, action string, apps []string) (*auth.Subject, error) {
	sub, err := s.subject(ctx)
	if err != nil {
		return nil, err
	}
	if !auth.AuthorizeApplications(sub, action, apps) {
		return nil, s.denied(ctx, sub, action, false)
	}
	return sub, s.prepareAudit(action)
}

// validatePrivileges adds Elasticsearch's rules of a put privileges
// request to v.
func validatePrivileges(privs []api.ApplicationPrivilege, v *api.Validation) {
	if len(privs) == 0 {
		v.Add("At least one application privilege must be provided")
	}
	for _, p := range privs {
		if msg := auth.ValidateApplicationName(p.Application, false); msg != "" {
			v.Add("%s", msg)
		}
		if msg := auth.ValidatePrivilegeName(p.Name); msg != "" {
			v.Add("%s", msg)
		}
		if len(p.Actions) == 0 {
			v.Add("Application privileges must have at least one action")
		}
		for _, a := range p.Actions {
			for _, msg := range auth.ValidatePrivilegeAction(a) {
				v.Add("%s", msg)
			}
		}
		if api.HasReservedKey(p.Metadata) {
			v.Add("metadata keys may not start with [_] (in privilege %s %s)", p.Application, p.Name)
		}
	}
}

// uniqueInOrder drops the repeats of in, keeping first occurrences.
func uniqueInOrder(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// privilegeKey names an application privilege in audit records.
func privilegeKey(app, name string) string { return app + "/" + name }

// PutPrivileges creates or replaces application privileges, all in one
// transaction, and says of each whether it was created.
func (s *Service) PutPrivileges(ctx context.Context, req *api.PutPrivilegesRequest) (api.PutPrivilegesResponse, error) {
	var v api.Validation
	validatePrivileges(req.Privileges, &v)
	if err := v.Err(); err != nil {
		return nil, err
	}
	var apps []string
	for _, p := range req.Privileges {
		apps = append(apps, p.Application)
	}
	sub, err := s.grantedApplications(ctx, auth.ActionPutPrivileges, uniqueInOrder(apps))
	if err != nil {
		return nil, err
	}
	records := make([]*store.ApplicationPrivilege, len(req.Privileges))
	for i, p := range req.Privileges {
		md := p.Metadata
		if md == nil {
			md = api.Metadata{}
		}
		raw, err := json.Marshal(md)
		if err != nil {
			return nil, s.internal("encode privilege metadata", err)
		}
		records[i] = &store.ApplicationPrivilege{Application: p.Application, Name: p.Name, Actions: uniqueInOrder(p.Actions), Metadata: raw}
	}
	var resp api.PutPrivilegesResponse
	err = s.store.Update(ctx, func(w store.Writer) error {
		resp = api.PutPrivilegesResponse{}
		for _, r := range records {
			created, err := w.PutApplicationPrivilege(ctx, r)
			if err != nil {
				return err
			}
			if resp[r.Application] == nil {
				resp[r.Application] = map[string]api.CreatedStatus{}
			}
			resp[r.Application][r.Name] = api.CreatedStatus{Created: created}
		}
		return nil
	})
	if err != nil {
		return nil, s.internal("put privileges", err)
	}
	names := make([]string, len(records))
	for i, r := range records {
		names[i] = privilegeKey(r.Application, r.Name)
	}
	s.audit(ctx, AuditEvent{Action: AuditPutPrivileges, Request: auth.ActionPutPrivileges, Subject: sub, Names: names})
	return resp, nil
}

// GetPrivileges returns the privileges of application (every application
// when it is empty or "*"; a trailing '*' matches a prefix) with the
// names given (every name when none is).
func (s *Service) GetPrivileges(ctx context.Context, application string, names []string) (api.GetPrivilegesResponse, error) {
	var apps []string
	if application != "" {
		apps = []string{application}
	}
	if _, err := s.grantedApplications(ctx, auth.ActionGetPrivileges, apps); err != nil {
		return nil, err
	}
	if slices.Contains(names, "") {
		var v api.Validation
		v.Add("privileges cannot contain empty string")
		return nil, v.Err()
	}
	var filter []string
	if application != "" && !strings.Contains(application, "*") {
		filter = apps
	}
	resp := api.GetPrivilegesResponse{}
	err := s.store.View(ctx, func(r store.Reader) error {
		stored, err := r.ListApplicationPrivileges(ctx, filter)
		if err != nil {
			return err
		}
		for _, p := range stored {
			if application != "" && !auth.ApplicationMatches(application, p.Application) {
				continue
			}
			if len(names) > 0 && !slices.Contains(names, p.Name) {
				continue
			}
			out, err := privilegeInfo(p)
			if err != nil {
				return err
			}
			if resp[p.Application] == nil {
				resp[p.Application] = map[string]api.ApplicationPrivilege{}
			}
			resp[p.Application][p.Name] = out
		}
		return nil
	})
	if err != nil {
		return nil, s.internal("get privileges", err)
	}
	return resp, nil
}

func privilegeInfo(p *store.ApplicationPrivilege) (api.ApplicationPrivilege, error) {
	md := api.Metadata{}
	if len(p.Metadata) > 0 {
		if err := json.Unmarshal(p.Metadata, &md); err != nil {
			return api.ApplicationPrivilege{}, err
		}
	}
	return api.ApplicationPrivilege{Application: p.Application, Name: p.Name, Actions: p.Actions, Metadata: md}, nil
}

// DeletePrivileges removes the named privileges of application in one
// transaction and says of each whether it was there.
func (s *Service) DeletePrivileges(ctx context.Context, application string, names []string) (api.DeletePrivilegesResponse, error) {
	var v api.Validation
	if application == "" {
		v.Add("application name is missing")
	}
	if !slices.ContainsFunc(names, func(n string) bool { return n != "" }) {
		v.Add("privileges are missing")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	sub, err := s.grantedApplications(ctx, auth.ActionDeletePrivileges, []string{application})
	if err != nil {
		return nil, err
	}
	names = uniqueInOrder(names)
	var found map[string]bool
	err = s.store.Update(ctx, func(w store.Writer) error {
		found = map[string]bool{}
		for _, n := range names {
			err := w.DeleteApplicationPrivilege(ctx, application, n)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			found[n] = true
		}
		return nil
	})
	if err != nil {
		return nil, s.internal("delete privileges", err)
	}
	resp := api.DeletePrivilegesResponse{application: {}}
	var deleted []string
	for _, n := range names {
		resp[application][n] = api.DeleteResponse{Found: found[n]}
		if found[n] {
			deleted = append(deleted, privilegeKey(application, n))
		}
	}
	if len(deleted) > 0 {
		s.audit(ctx, AuditEvent{Action: AuditDeletePrivileges, Request: auth.ActionDeletePrivileges, Subject: sub, Names: deleted})
	}
	return resp, nil
}

// ClearPrivilegesCache answers the clear privileges cache API. apikeyd
// keeps no application privilege in memory (has privileges reads them
// from the store, and the role caches follow the store's generation), so
// there is nothing stale to drop: the call is authorized, audited and
// answered as Elasticsearch answers it.
func (s *Service) ClearPrivilegesCache(ctx context.Context, applications []string) (*api.ClearCacheResponse, error) {
	sub, err := s.granted(ctx, auth.ActionClearPrivilegesCache)
	if err != nil {
		return nil, err
	}
	s.audit(ctx, AuditEvent{Action: AuditClearPrivilegesCache, Request: auth.ActionClearPrivilegesCache, Subject: sub, Names: applications})
	return s.nodesAnswer(nil), nil
}

// GetBuiltinPrivileges lists the cluster, index and remote cluster
// privilege names apikeyd knows, as Elasticsearch lists its own.
func (s *Service) GetBuiltinPrivileges(ctx context.Context) (*api.BuiltinPrivilegesResponse, error) {
	if _, err := s.granted(ctx, auth.ActionGetBuiltinPrivileges); err != nil {
		return nil, err
	}
	return auth.BuiltinPrivileges(), nil
}

// storedPrivilegesFor reads the application privileges a has privileges
// request needs: those of the applications the subject's roles and the
// request name (all of them when a role names a pattern).
func (s *Service) storedPrivilegesFor(ctx context.Context, sub *auth.Subject, req *api.HasPrivilegesRequest) ([]auth.ApplicationPrivilegeDef, error) {
	apps := auth.ApplicationsOf(sub, req)
	if slices.ContainsFunc(apps, func(a string) bool { return strings.Contains(a, "*") }) {
		apps = nil
	}
	var out []auth.ApplicationPrivilegeDef
	err := s.store.View(ctx, func(r store.Reader) error {
		stored, err := r.ListApplicationPrivileges(ctx, apps)
		if err != nil {
			return err
		}
		out = make([]auth.ApplicationPrivilegeDef, len(stored))
		for i, p := range stored {
			out[i] = auth.ApplicationPrivilegeDef{Application: p.Application, Name: p.Name, Actions: p.Actions}
		}
		return nil
	})
	if err != nil {
		return nil, s.internal("read application privileges", err)
	}
	return out, nil
}
