package api

// User is a native user as GET /_security/user renders it.
type User struct {
	Username string   `json:"username"`
	Roles    []string `json:"roles"`
	FullName *string  `json:"full_name"`
	Email    *string  `json:"email"`
	Metadata Metadata `json:"metadata"`
	Enabled  bool     `json:"enabled"`
}

// PutUserRequest is the body of PUT|POST /_security/user/{username}.
type PutUserRequest struct {
	Username     string   `json:"-"`
	Password     *string  `json:"password,omitempty"`
	PasswordHash *string  `json:"password_hash,omitempty"`
	Roles        []string `json:"roles"`
	FullName     *string  `json:"full_name,omitempty"`
	Email        *string  `json:"email,omitempty"`
	Metadata     Metadata `json:"metadata,omitempty"`
	Enabled      *bool    `json:"enabled,omitempty"`
}

// PutUserResponse answers a put user request.
type PutUserResponse struct {
	Created bool `json:"created"`
}

// GetUsersResponse maps user names to users.
type GetUsersResponse map[string]User

// ChangePasswordRequest is the body of POST /_security/user/{username}/_password.
type ChangePasswordRequest struct {
	Username     string  `json:"-"`
	Password     *string `json:"password,omitempty"`
	PasswordHash *string `json:"password_hash,omitempty"`
}

// DeleteResponse answers the delete user and delete role requests; Found
// false is answered with HTTP 404.
type DeleteResponse struct {
	Found bool `json:"found"`
}

// PutRoleRequest is PUT|POST /_security/role/{name} with its descriptor body.
type PutRoleRequest struct {
	Name       string
	Descriptor RoleDescriptor
}

// PutRoleResponse answers a put role request.
type PutRoleResponse struct {
	Role struct {
		Created bool `json:"created"`
	} `json:"role"`
}

// GetRolesResponse maps role names to descriptors.
type GetRolesResponse map[string]RoleDescriptor

// GetUserPrivilegesResponse answers GET /_security/user/_privileges: the
// caller's privileges, merged over its roles as Elasticsearch merges them.
// RemoteIndices and RemoteCluster appear only when some role grants them.
type GetUserPrivilegesResponse struct {
	Cluster       []string                `json:"cluster"`
	Global        []map[string]any        `json:"global"`
	Indices       []UserIndexPrivileges   `json:"indices"`
	Applications  []ApplicationPrivileges `json:"applications"`
	RunAs         []string                `json:"run_as"`
	RemoteIndices []UserIndexPrivileges   `json:"remote_indices,omitempty"`
	// RemoteCluster lists the remote cluster privileges as the roles
	// grant them.
	RemoteCluster []RemoteClusterPrivileges `json:"remote_cluster,omitempty"`
}

// UserIndexPrivileges is one merged group of index privileges in a get
// user privileges answer: names and privileges sorted, every field level
// security group and every query of the merged entries, and for a
// remote_indices entry the remote clusters, last.
type UserIndexPrivileges struct {
	Names                  []string        `json:"names"`
	Privileges             []string        `json:"privileges"`
	FieldSecurity          []FieldSecurity `json:"field_security,omitempty"`
	Query                  []string        `json:"query,omitempty"`
	AllowRestrictedIndices bool            `json:"allow_restricted_indices"`
	Clusters               []string        `json:"clusters,omitempty"`
}
