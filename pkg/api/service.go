package api

import "context"

// Service is the Elasticsearch security API for API keys, users and roles:
// one method per endpoint. The caller's identity travels in the context
// (set by whoever authenticated the caller); keyservice implements Service
// over a store, client implements it over HTTP.
type Service interface {
	CreateAPIKey(ctx context.Context, req *CreateAPIKeyRequest) (*CreateAPIKeyResponse, error)
	GetAPIKeys(ctx context.Context, req *GetAPIKeysRequest) (*GetAPIKeysResponse, error)
	QueryAPIKeys(ctx context.Context, req *QueryAPIKeysRequest) (*QueryAPIKeysResponse, error)
	InvalidateAPIKeys(ctx context.Context, req *InvalidateAPIKeysRequest) (*InvalidateAPIKeysResponse, error)
	Authenticate(ctx context.Context) (*AuthenticateResponse, error)

	GrantAPIKey(ctx context.Context, req *GrantAPIKeyRequest) (*CreateAPIKeyResponse, error)
	BulkGrantAPIKeys(ctx context.Context, req *BulkGrantAPIKeysRequest) (*BulkGrantAPIKeysResponse, error)
	CloneAPIKey(ctx context.Context, req *CloneAPIKeyRequest) (*CreateAPIKeyResponse, error)
	UpdateAPIKey(ctx context.Context, req *UpdateAPIKeyRequest) (*UpdateAPIKeyResponse, error)
	BulkUpdateAPIKeys(ctx context.Context, req *BulkUpdateAPIKeysRequest) (*BulkUpdateAPIKeysResponse, error)
	CreateCrossClusterAPIKey(ctx context.Context, req *CreateCrossClusterAPIKeyRequest) (*CreateAPIKeyResponse, error)
	UpdateCrossClusterAPIKey(ctx context.Context, req *UpdateCrossClusterAPIKeyRequest) (*UpdateAPIKeyResponse, error)
	// ClearAPIKeyCache evicts the given keys ("*" for all) from the
	// authentication cache.
	ClearAPIKeyCache(ctx context.Context, ids []string) (*ClearCacheResponse, error)
	HasPrivileges(ctx context.Context, req *HasPrivilegesRequest) (*HasPrivilegesResponse, error)

	// GetToken creates an OAuth2 access token (POST /_security/oauth2/token).
	GetToken(ctx context.Context, req *GetTokenRequest) (*GetTokenResponse, error)
	// InvalidateToken invalidates access or refresh tokens
	// (DELETE /_security/oauth2/token).
	InvalidateToken(ctx context.Context, req *InvalidateTokenRequest) (*InvalidateTokenResponse, error)

	PutUser(ctx context.Context, req *PutUserRequest) (*PutUserResponse, error)
	// GetUsers returns the named users, or all users when names is empty.
	GetUsers(ctx context.Context, names []string) (GetUsersResponse, error)
	DeleteUser(ctx context.Context, username string) (*DeleteResponse, error)
	// QueryUsers searches the native users with the query DSL
	// (GET|POST /_security/_query/user).
	QueryUsers(ctx context.Context, req *QueryUsersRequest) (*QueryUsersResponse, error)
	ChangePassword(ctx context.Context, req *ChangePasswordRequest) error
	// SetUserEnabled enables or disables a native user
	// (PUT /_security/user/{username}/_enable or _disable).
	SetUserEnabled(ctx context.Context, username string, enabled bool) error
	// GetUserPrivileges lists the caller's own privileges
	// (GET /_security/user/_privileges).
	GetUserPrivileges(ctx context.Context) (*GetUserPrivilegesResponse, error)

	PutRole(ctx context.Context, req *PutRoleRequest) (*PutRoleResponse, error)
	// GetRoles returns the named roles, or all roles when names is empty.
	GetRoles(ctx context.Context, names []string) (GetRolesResponse, error)
	DeleteRole(ctx context.Context, name string) (*DeleteResponse, error)
	// QueryRoles searches the native roles with the query DSL
	// (GET|POST /_security/_query/role).
	QueryRoles(ctx context.Context, req *QueryRolesRequest) (*QueryRolesResponse, error)
	// BulkPutRoles creates or replaces several roles (POST
	// /_security/role), each succeeding or failing alone.
	BulkPutRoles(ctx context.Context, req *BulkPutRolesRequest) (*BulkRolesResponse, error)
	// BulkDeleteRoles deletes several roles (DELETE /_security/role).
	BulkDeleteRoles(ctx context.Context, req *BulkDeleteRolesRequest) (*BulkRolesResponse, error)

	// ClearRealmCache evicts users from the realms' caches
	// (POST /_security/realm/{realms}/_clear_cache).
	ClearRealmCache(ctx context.Context, req *ClearRealmCacheRequest) (*ClearCacheResponse, error)
	// ClearRolesCache evicts the named roles ("*" for all) from the role
	// cache (POST /_security/role/{name}/_clear_cache).
	ClearRolesCache(ctx context.Context, names []string) (*ClearCacheResponse, error)

	// PutPrivileges creates or replaces application privileges
	// (PUT|POST /_security/privilege).
	PutPrivileges(ctx context.Context, req *PutPrivilegesRequest) (PutPrivilegesResponse, error)
	// GetPrivileges returns the application privileges of application
	// (every application when empty) with the names given (every name
	// when none is): GET /_security/privilege[/{application}[/{name}]].
	GetPrivileges(ctx context.Context, application string, names []string) (GetPrivilegesResponse, error)
	// DeletePrivileges removes application privileges
	// (DELETE /_security/privilege/{application}/{name}).
	DeletePrivileges(ctx context.Context, application string, names []string) (DeletePrivilegesResponse, error)
	// ClearPrivilegesCache answers
	// POST /_security/privilege/{application}/_clear_cache.
	ClearPrivilegesCache(ctx context.Context, applications []string) (*ClearCacheResponse, error)
	// GetBuiltinPrivileges lists the predefined privilege names
	// (GET /_security/privilege/_builtin).
	GetBuiltinPrivileges(ctx context.Context) (*BuiltinPrivilegesResponse, error)

	// ClusterHealth answers GET /_cluster/health for the one node, with
	// no index, that apikeyd is.
	ClusterHealth(ctx context.Context, req *ClusterHealthRequest) (*ClusterHealthResponse, error)
	// XPackUsage answers GET /_xpack/usage: the security feature's usage,
	// with the active cross-cluster API keys counted by access.
	XPackUsage(ctx context.Context, req *XPackUsageRequest) (*XPackUsageResponse, error)
}
