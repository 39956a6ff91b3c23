package api

// Key types.
const (
	TypeRest         = "rest"
	TypeCrossCluster = "cross_cluster"
)

// CreateAPIKeyRequest is the body of PUT|POST /_security/api_key.
type CreateAPIKeyRequest struct {
	// Name is required; nil means the field was missing, and is sent as
	// missing so that the daemon answers it as the key service does.
	Name *string `json:"name,omitempty"`
	// Expiration is an Elasticsearch time value such as "30d"; nil never expires.
	Expiration      *string         `json:"expiration,omitempty"`
	RoleDescriptors RoleDescriptors `json:"role_descriptors,omitempty"`
	Metadata        Metadata        `json:"metadata,omitempty"`
	// Refresh is the refresh query parameter; accepted and ignored, since a
	// SQLite commit is visible at once.
	Refresh string `json:"-"`
}

// CreateAPIKeyResponse answers create, and later grant and clone.
type CreateAPIKeyResponse struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Expiration *int64 `json:"expiration,omitempty"`
	APIKey     string `json:"api_key"`
	Encoded    string `json:"encoded"`
}

// GetAPIKeysRequest holds the query parameters of GET /_security/api_key.
type GetAPIKeysRequest struct {
	ID             string
	Name           string
	Username       string
	RealmName      string
	Owner          bool
	ActiveOnly     bool
	WithLimitedBy  bool
	WithProfileUID bool
	// WithLastUsed adds apikeyd's usage fields (last_used, last_used_from,
	// usage_count) to every key: the query parameter with_last_used.
	WithLastUsed bool
	// WithRestrictions adds apikeyd's restrictions of a key
	// (allowed_networks) when it has some: the query parameter
	// with_restrictions.
	WithRestrictions bool
}

// GetAPIKeysResponse is the answer of GET /_security/api_key.
type GetAPIKeysResponse struct {
	APIKeys []APIKey `json:"api_keys"`
}

// APIKey is the API key information object of Get and Query, with
// Elasticsearch's field order and presence rules.
type APIKey struct {
	ID              string              `json:"id"`
	Name            string              `json:"name"`
	Type            string              `json:"type"`
	Creation        int64               `json:"creation"`
	Expiration      *int64              `json:"expiration,omitempty"`
	Invalidated     bool                `json:"invalidated"`
	Invalidation    *int64              `json:"invalidation,omitempty"`
	Username        string              `json:"username"`
	Realm           string              `json:"realm"`
	RealmType       string              `json:"realm_type,omitempty"`
	Metadata        Metadata            `json:"metadata"`
	RoleDescriptors RoleDescriptors     `json:"role_descriptors"`
	Access          *CrossClusterAccess `json:"access,omitempty"`
	// CertificateIdentity is the DN pattern of a cross-cluster key, present
	// only when the key has one (Elasticsearch 9.3).
	CertificateIdentity *string           `json:"certificate_identity,omitempty"`
	LimitedBy           []RoleDescriptors `json:"limited_by,omitempty"`
	ProfileUID          string            `json:"profile_uid,omitempty"`
	// LastUsed (epoch milliseconds), LastUsedFrom and UsageCount are
	// apikeyd's, present only when the request asked with_last_used:
	// UsageCount is then always present (0 for a key never used), the
	// other two only once the key was used.
	LastUsed     *int64 `json:"last_used,omitempty"`
	LastUsedFrom string `json:"last_used_from,omitempty"`
	UsageCount   *int64 `json:"usage_count,omitempty"`
	// AllowedNetworks is apikeyd's, present only when the request asked
	// with_restrictions and the key is bound to networks.
	AllowedNetworks []string `json:"allowed_networks,omitempty"`
	Sort            []any    `json:"_sort,omitempty"`
}

// Status says whether a key is usable at the instant nowMillis.
func (k APIKey) Status(nowMillis int64) string {
	switch {
	case k.Invalidated:
		return "invalidated"
	case k.Expiration != nil && *k.Expiration <= nowMillis:
		return "expired"
	}
	return "active"
}

// InvalidateAPIKeysRequest is the body of DELETE /_security/api_key.
type InvalidateAPIKeysRequest struct {
	IDs       []string `json:"ids,omitempty"`
	Name      string   `json:"name,omitempty"`
	Owner     bool     `json:"owner,omitempty"`
	RealmName string   `json:"realm_name,omitempty"`
	Username  string   `json:"username,omitempty"`
}

// InvalidateAPIKeysResponse is the answer of DELETE /_security/api_key.
type InvalidateAPIKeysResponse struct {
	InvalidatedAPIKeys           []string `json:"invalidated_api_keys"`
	PreviouslyInvalidatedAPIKeys []string `json:"previously_invalidated_api_keys"`
	ErrorCount                   int      `json:"error_count"`
	ErrorDetails                 []*Error `json:"error_details,omitempty"`
}

// Realm names a realm and its type.
type Realm struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// AuthenticateResponse is the answer of GET /_security/_authenticate.
type AuthenticateResponse struct {
	Username            string               `json:"username"`
	Roles               []string             `json:"roles"`
	FullName            *string              `json:"full_name"`
	Email               *string              `json:"email"`
	Metadata            Metadata             `json:"metadata"`
	Enabled             bool                 `json:"enabled"`
	AuthenticationRealm Realm                `json:"authentication_realm"`
	LookupRealm         Realm                `json:"lookup_realm"`
	AuthenticationType  string               `json:"authentication_type"`
	APIKey              *AuthenticatedAPIKey `json:"api_key,omitempty"`
}

// AuthenticatedAPIKey is the api_key block of an authenticate response.
type AuthenticatedAPIKey struct {
	ID        string `json:"id"`
	Name      string `json:"name,omitempty"`
	ManagedBy string `json:"managed_by,omitempty"`
}
