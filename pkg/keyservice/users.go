package keyservice

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"unicode"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// minPasswordLength is Elasticsearch's shortest accepted native password.
const minPasswordLength = 6

// reservedUsers are the built-in user names of Elasticsearch that the user
// API may not create.
var reservedUsers = []string{"elastic", "kibana", "kibana_system", "logstash_system", "beats_system", "apm_system", "remote_monitoring_user"}

// validName checks Elasticsearch's rule for user and role names: 1 to 507
// printable Basic Latin characters without leading or trailing whitespace.
func validName(name string) bool {
	if len(name) == 0 || len(name) > 507 || name != strings.TrimSpace(name) {
		return false
	}
	for _, r := range name {
		if r > unicode.MaxASCII || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

const nameRule = "must be at least 1 and no more than 507 characters. They can contain alphanumeric characters (a-z, A-Z, 0-9), spaces, punctuation, and printable symbols in the Basic Latin (ASCII) block. Leading or trailing whitespace is not allowed."

// PutUser creates or updates a native user.
func (s *Service) PutUser(ctx context.Context, req *api.PutUserRequest) (*api.PutUserResponse, error) {
	sub, err := s.granted(ctx, auth.ActionPutUser)
	if err != nil {
		return nil, err
	}
	var v api.Validation
	switch {
	case !validName(req.Username):
		v.Add("Invalid username [%s]. Valid usernames %s", req.Username, nameRule)
	case slices.Contains(reservedUsers, req.Username):
		v.Add("Username [%s] is reserved and may not be used.", req.Username)
	}
	if req.Password != nil && len(*req.Password) < minPasswordLength {
		v.Add("passwords must be at least [%d] characters long", minPasswordLength)
	}
	if api.HasReservedKey(req.Metadata) {
		v.Add("metadata keys may not start with [_]")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	md, err := encodeObject(req.Metadata)
	if err != nil {
		return nil, s.internal("encode metadata", err)
	}
	hash, err := s.passwordHash(req.Password, req.PasswordHash)
	if err != nil {
		return nil, err
	}
	roles := req.Roles
	if roles == nil {
		roles = []string{}
	}
	var created bool
	err = s.store.Update(ctx, func(w store.Writer) error {
		u := &store.User{
			Username: req.Username, PasswordHash: hash, Roles: roles,
			FullName: req.FullName, Email: req.Email, Metadata: md, Enabled: true,
		}
		if req.Enabled != nil {
			u.Enabled = *req.Enabled
		}
		old, err := w.GetUser(ctx, req.Username)
		switch {
		case errors.Is(err, store.ErrNotFound):
			if hash == "" {
				var v api.Validation
				v.Add("password must be specified unless you are updating an existing user")
				return v.Err()
			}
		case err != nil:
			return err
		case hash == "":
			u.PasswordHash = old.PasswordHash
		}
		created, err = w.PutUser(ctx, u)
		return err
	})
	if err != nil {
		return nil, s.internal("put user", err)
	}
	s.audit(ctx, AuditEvent{Action: AuditPutUser, Request: auth.ActionPutUser, Subject: sub, Names: []string{req.Username}})
	return &api.PutUserResponse{Created: created}, nil
}

// passwordHash is the hash to store for a password given in clear (hashed
// here) or already hashed; "" when neither is given.
func (s *Service) passwordHash(password, hash *string) (string, error) {
	switch {
	case password != nil:
		h, err := s.pwHasher.Hash(*password)
		if err != nil {
			return "", s.internal("hash password", err)
		}
		return h, nil
	case hash != nil:
		return *hash, nil
	}
	return "", nil
}

// userInfo renders a stored user.
func userInfo(u *store.User) (api.User, error) {
	md, err := decodeObject(u.Metadata)
	if err != nil {
		return api.User{}, err
	}
	roles := u.Roles
	if roles == nil {
		roles = []string{}
	}
	return api.User{Username: u.Username, Roles: roles, FullName: u.FullName, Email: u.Email, Metadata: md, Enabled: u.Enabled}, nil
}

// GetUsers returns the named users, or all users.
func (s *Service) GetUsers(ctx context.Context, names []string) (api.GetUsersResponse, error) {
	_, err := s.granted(ctx, auth.ActionGetUser)
	if err != nil {
		return nil, err
	}
	resp := api.GetUsersResponse{}
	err = s.store.View(ctx, func(r store.Reader) error {
		users, err := r.ListUsers(ctx)
		if err != nil {
			return err
		}
		for _, u := range users {
			if len(names) > 0 && !slices.Contains(names, u.Username) {
				continue
			}
			info, err := userInfo(u)
			if err != nil {
				return err
			}
			resp[u.Username] = info
		}
		return nil
	})
	if err != nil {
		return nil, s.internal("get users", err)
	}
	return resp, nil
}

// DeleteUser removes a native user.
func (s *Service) DeleteUser(ctx context.Context, username string) (*api.DeleteResponse, error) {
	sub, err := s.granted(ctx, auth.ActionDeleteUser)
	if err != nil {
		return nil, err
	}
	if slices.Contains(reservedUsers, username) {
		return nil, api.Errorf(api.Invalid, "user [%s] is reserved and cannot be deleted", username)
	}
	if sub.Username == username && sub.Realm == auth.NativeRealm {
		return nil, api.Errorf(api.Invalid, "users may not delete the user they are authenticated as")
	}
	return s.deleteNamed(ctx, "user", store.Writer.DeleteUser, username, AuditEvent{Action: AuditDeleteUser, Request: auth.ActionDeleteUser, Subject: sub})
}

// deleteNamed removes the user or role (kind) name with del in one
// transaction and audits the removal as done; a name that does not exist
// is answered found=false.
func (s *Service) deleteNamed(ctx context.Context, kind string, del func(store.Writer, context.Context, string) error, name string, done AuditEvent) (*api.DeleteResponse, error) {
	found := true
	err := s.store.Update(ctx, func(w store.Writer) error {
		err := del(w, ctx, name)
		if errors.Is(err, store.ErrNotFound) {
			found = false
			return nil
		}
		return err
	})
	if err != nil {
		return nil, s.internal("delete "+kind, err)
	}
	if found {
		done.Names = []string{name}
		s.audit(ctx, done)
	}
	return &api.DeleteResponse{Found: found}, nil
}

// ChangePassword sets a user's password: any user may change its own,
// changing another's needs manage_security.
func (s *Service) ChangePassword(ctx context.Context, req *api.ChangePasswordRequest) error {
	sub, err := s.subject(ctx)
	if err != nil {
		return err
	}
	own := !sub.IsAPIKey() && sub.Username == req.Username && (sub.Realm == auth.NativeRealm || sub.Realm == auth.ReservedRealm)
	if !own {
		if _, err := s.require(ctx, sub, auth.ActionChangePassword, auth.Granted); err != nil {
			return err
		}
	}
	var v api.Validation
	switch {
	case req.Password != nil && len(*req.Password) < minPasswordLength:
		v.Add("passwords must be at least [%d] characters long", minPasswordLength)
	case req.Password == nil && req.PasswordHash == nil:
		v.Add("password must be specified")
	}
	if err := v.Err(); err != nil {
		return err
	}
	hash, err := s.passwordHash(req.Password, req.PasswordHash)
	if err != nil {
		return err
	}
	err = s.store.Update(ctx, func(w store.Writer) error {
		u, err := w.GetUser(ctx, req.Username)
		if errors.Is(err, store.ErrNotFound) {
			return api.Errorf(api.NotFound, "user [%s] does not exist", req.Username)
		}
		if err != nil {
			return err
		}
		u.PasswordHash = hash
		_, err = w.PutUser(ctx, u)
		return err
	})
	if err != nil {
		return s.internal("change password", err)
	}
	s.audit(ctx, AuditEvent{Action: AuditChangePassword, Request: auth.ActionChangePassword, Subject: sub, Names: []string{req.Username}})
	return nil
}

// PutRole creates or replaces a role.
func (s *Service) PutRole(ctx context.Context, req *api.PutRoleRequest) (*api.PutRoleResponse, error) {
	sub, err := s.granted(ctx, auth.ActionPutRole)
	if err != nil {
		return nil, err
	}
	if err := checkRole(req.Name, req.Descriptor); err != nil {
		return nil, err
	}
	body, err := json.Marshal(req.Descriptor)
	if err != nil {
		return nil, s.internal("encode role", err)
	}
	var created bool
	err = s.store.Update(ctx, func(w store.Writer) error {
		created, err = w.PutRole(ctx, &store.Role{Name: req.Name, Descriptor: body})
		return err
	})
	if err != nil {
		return nil, s.internal("put role", err)
	}
	s.audit(ctx, AuditEvent{Action: AuditPutRole, Request: auth.ActionPutRole, Subject: sub, Names: []string{req.Name}})
	resp := &api.PutRoleResponse{}
	resp.Role.Created = created
	return resp, nil
}

// checkRole applies the rules of a role of the native realm: a valid,
// unreserved name and a valid descriptor without restriction. Put role and
// bulk put roles answer them alike.
func checkRole(name string, d api.RoleDescriptor) error {
	var v api.Validation
	if !validName(name) {
		v.Add("Invalid role name [%s]. Valid role names %s", name, nameRule)
	} else if _, builtin := auth.BuiltinRoles().Get(name); builtin {
		v.Add("Role [%s] is reserved and may not be used.", name)
	}
	auth.ValidateDescriptor(d, &v)
	if d.Restriction != nil {
		v.Add("restriction is not supported for regular roles")
	}
	return v.Err()
}

// GetRoles returns the named roles, or all roles, built-in ones included.
func (s *Service) GetRoles(ctx context.Context, names []string) (api.GetRolesResponse, error) {
	_, err := s.granted(ctx, auth.ActionGetRole)
	if err != nil {
		return nil, err
	}
	want := func(name string) bool { return len(names) == 0 || slices.Contains(names, name) }
	resp := api.GetRolesResponse{}
	for _, nd := range auth.BuiltinRoles() {
		if want(nd.Name) {
			resp[nd.Name] = nd.Descriptor
		}
	}
	err = s.store.View(ctx, func(r store.Reader) error {
		roles, err := r.ListRoles(ctx)
		if err != nil {
			return err
		}
		for _, role := range roles {
			if !want(role.Name) {
				continue
			}
			var d api.RoleDescriptor
			if err := json.Unmarshal(role.Descriptor, &d); err != nil {
				return err
			}
			resp[role.Name] = d
		}
		return nil
	})
	if err != nil {
		return nil, s.internal("get roles", err)
	}
	return resp, nil
}

// DeleteRole removes a stored role.
func (s *Service) DeleteRole(ctx context.Context, name string) (*api.DeleteResponse, error) {
	sub, err := s.granted(ctx, auth.ActionDeleteRole)
	if err != nil {
		return nil, err
	}
	if isBuiltinRole(name) {
		return nil, reservedRoleError(name)
	}
	return s.deleteNamed(ctx, "role", store.Writer.DeleteRole, name, AuditEvent{Action: AuditDeleteRole, Request: auth.ActionDeleteRole, Subject: sub})
}
