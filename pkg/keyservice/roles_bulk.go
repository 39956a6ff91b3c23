package keyservice

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// BulkPutRoles creates or replaces the roles of the request in one
// transaction. As in Elasticsearch each role succeeds or fails alone: a
// role that breaks a rule is reported under errors and the others are
// written; a role whose descriptor equals the stored one is a noop.
func (s *Service) BulkPutRoles(ctx context.Context, req *api.BulkPutRolesRequest) (*api.BulkRolesResponse, error) {
	sub, err := s.granted(ctx, auth.ActionBulkPutRole)
	if err != nil {
		return nil, err
	}
	resp := &api.BulkRolesResponse{}
	bodies := make([][]byte, len(req.Roles))
	failed := make([]error, len(req.Roles))
	for i, role := range req.Roles {
		if failed[i] = checkRole(role.Name, role.Descriptor); failed[i] != nil {
			continue
		}
		if bodies[i], err = json.Marshal(role.Descriptor); err != nil {
			return nil, s.internal("encode role", err)
		}
	}
	type outcome int
	const (
		failedRole outcome = iota
		created
		updated
		noop
	)
	outcomes := make([]outcome, len(req.Roles))
	err = s.store.Update(ctx, func(w store.Writer) error {
		for i, role := range req.Roles {
			outcomes[i] = failedRole
			if failed[i] != nil {
				continue
			}
			old, err := w.GetRole(ctx, role.Name)
			switch {
			case err == nil && sameJSON(old.Descriptor, bodies[i]):
				outcomes[i] = noop
				continue
			case err != nil && !errors.Is(err, store.ErrNotFound):
				return err
			}
			isNew, err := w.PutRole(ctx, &store.Role{Name: role.Name, Descriptor: bodies[i]})
			if err != nil {
				return err
			}
			outcomes[i] = updated
			if isNew {
				outcomes[i] = created
			}
		}
		return nil
	})
	if err != nil {
		return nil, s.internal("put roles", err)
	}
	var written []string
	for i, role := range req.Roles {
		switch outcomes[i] {
		case created:
			resp.Created = append(resp.Created, role.Name)
		case updated:
			resp.Updated = append(resp.Updated, role.Name)
		case noop:
			resp.Noop = append(resp.Noop, role.Name)
		default:
			resp.Errors = append(resp.Errors, api.RoleError{Name: role.Name, Error: asAPIError(failed[i])})
			continue
		}
		if outcomes[i] != noop {
			written = append(written, role.Name)
		}
	}
	if len(written) > 0 {
		s.audit(ctx, AuditEvent{Action: AuditPutRole, Request: auth.ActionBulkPutRole, Subject: sub, Names: written})
	}
	return resp, nil
}

// BulkDeleteRoles deletes the named roles in one transaction: each is
// deleted, not found, or refused (a built-in role) alone.
func (s *Service) BulkDeleteRoles(ctx context.Context, req *api.BulkDeleteRolesRequest) (*api.BulkRolesResponse, error) {
	sub, err := s.granted(ctx, auth.ActionBulkDeleteRole)
	if err != nil {
		return nil, err
	}
	resp := &api.BulkRolesResponse{}
	found := make([]bool, len(req.Names))
	err = s.store.Update(ctx, func(w store.Writer) error {
		for i, name := range req.Names {
			found[i] = false
			if _, builtin := auth.BuiltinRoles().Get(name); builtin {
				continue
			}
			err := w.DeleteRole(ctx, name)
			switch {
			case err == nil:
				found[i] = true
			case !errors.Is(err, store.ErrNotFound):
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, s.internal("delete roles", err)
	}
	for i, name := range req.Names {
		switch {
		case found[i]:
			resp.Deleted = append(resp.Deleted, name)
		case isBuiltinRole(name):
			resp.Errors = append(resp.Errors, api.RoleError{Name: name, Error: reservedRoleError(name)})
		default:
			resp.NotFound = append(resp.NotFound, name)
		}
	}
	if len(resp.Deleted) > 0 {
		s.audit(ctx, AuditEvent{Action: AuditDeleteRole, Request: auth.ActionBulkDeleteRole, Subject: sub, Names: resp.Deleted})
	}
	return resp, nil
}

func isBuiltinRole(name string) bool {
	_, builtin := auth.BuiltinRoles().Get(name)
	return builtin
}

// reservedRoleError is the refusal to delete a built-in role, by the
// delete role API and the bulk one alike.
func reservedRoleError(name string) *api.Error {
	return api.Errorf(api.Invalid, "role [%s] is reserved and cannot be deleted", name)
}

// asAPIError returns err as the domain error it is.
func asAPIError(err error) *api.Error {
	if e, ok := api.AsError(err); ok {
		return e
	}
	return api.Errorf(api.Internal, "%v", err)
}
