package api

import "context"

// Service is the Elasticsearch security API for API keys, users and roles:
// one method per endpoint. The caller's identity travels in the context
// (set by whoever authenticated the caller); keyservice implements Service
// over a store, client implements it over HTTP.
type Service interface {
	CreateAPIKey(ctx context.Context, req *CreateAPIKeyRequest) (*CreateAPIKeyResponse, error)
	GetAPIKeys(ctx context.Context, req *GetAPIKeysRequest) (*GetAPIKeysResponse, error)
	InvalidateAPIKeys(ctx context.Context, req *InvalidateAPIKeysRequest) (*InvalidateAPIKeysResponse, error)
	Authenticate(ctx context.Context) (*AuthenticateResponse, error)

	PutUser(ctx context.Context, req *PutUserRequest) (*PutUserResponse, error)
	// GetUsers returns the named users, or all users when names is empty.
	GetUsers(ctx context.Context, names []string) (GetUsersResponse, error)
	DeleteUser(ctx context.Context, username string) (*DeleteResponse, error)
	ChangePassword(ctx context.Context, req *ChangePasswordRequest) error

	PutRole(ctx context.Context, req *PutRoleRequest) (*PutRoleResponse, error)
	// GetRoles returns the named roles, or all roles when names is empty.
	GetRoles(ctx context.Context, names []string) (GetRolesResponse, error)
	DeleteRole(ctx context.Context, name string) (*DeleteResponse, error)
}
