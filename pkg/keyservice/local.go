package keyservice

import (
	"context"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
)

// AsSubject returns the service acting for a fixed, already authenticated
// subject: apikeyctl --db uses it with the OS user's superuser identity, so
// every call carries the same caller without an HTTP request around it.
func AsSubject(svc api.Service, sub *auth.Subject) api.Service {
	return &boundService{svc: svc, sub: sub}
}

type boundService struct {
	svc api.Service
	sub *auth.Subject
}

var _ api.Service = (*boundService)(nil)

func (b *boundService) ctx(ctx context.Context) context.Context { return auth.WithSubject(ctx, b.sub) }

func (b *boundService) CreateAPIKey(ctx context.Context, req *api.CreateAPIKeyRequest) (*api.CreateAPIKeyResponse, error) {
	return b.svc.CreateAPIKey(b.ctx(ctx), req)
}

func (b *boundService) GetAPIKeys(ctx context.Context, req *api.GetAPIKeysRequest) (*api.GetAPIKeysResponse, error) {
	return b.svc.GetAPIKeys(b.ctx(ctx), req)
}

func (b *boundService) InvalidateAPIKeys(ctx context.Context, req *api.InvalidateAPIKeysRequest) (*api.InvalidateAPIKeysResponse, error) {
	return b.svc.InvalidateAPIKeys(b.ctx(ctx), req)
}

func (b *boundService) Authenticate(ctx context.Context) (*api.AuthenticateResponse, error) {
	return b.svc.Authenticate(b.ctx(ctx))
}

func (b *boundService) PutUser(ctx context.Context, req *api.PutUserRequest) (*api.PutUserResponse, error) {
	return b.svc.PutUser(b.ctx(ctx), req)
}

func (b *boundService) GetUsers(ctx context.Context, names []string) (api.GetUsersResponse, error) {
	return b.svc.GetUsers(b.ctx(ctx), names)
}

func (b *boundService) DeleteUser(ctx context.Context, username string) (*api.DeleteResponse, error) {
	return b.svc.DeleteUser(b.ctx(ctx), username)
}

func (b *boundService) ChangePassword(ctx context.Context, req *api.ChangePasswordRequest) error {
	return b.svc.ChangePassword(b.ctx(ctx), req)
}

func (b *boundService) PutRole(ctx context.Context, req *api.PutRoleRequest) (*api.PutRoleResponse, error) {
	return b.svc.PutRole(b.ctx(ctx), req)
}

func (b *boundService) GetRoles(ctx context.Context, names []string) (api.GetRolesResponse, error) {
	return b.svc.GetRoles(b.ctx(ctx), names)
}

func (b *boundService) DeleteRole(ctx context.Context, name string) (*api.DeleteResponse, error) {
	return b.svc.DeleteRole(b.ctx(ctx), name)
}
