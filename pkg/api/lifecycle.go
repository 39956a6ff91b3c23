package api

import (
	"bytes"
)

// GrantTypeAccessToken is the grant type of a grant API key request that
// proves its user with an access token (GrantTypePassword with a password).
const GrantTypeAccessToken = "access_token"

// GrantCredential is how a grant request proves the identity of the user
// who will own the keys.
type GrantCredential struct {
	GrantType            string                `json:"grant_type"`
	Username             *string               `json:"username,omitempty"`
	Password             *string               `json:"password,omitempty"`
	AccessToken          *string               `json:"access_token,omitempty"`
	RunAs                *string               `json:"run_as,omitempty"`
	ClientAuthentication *ClientAuthentication `json:"client_authentication,omitempty"`
}

// ClientAuthentication is the JWT client authentication of a grant.
type ClientAuthentication struct {
	Scheme string `json:"scheme"`
	Value  string `json:"value"`
}

// GrantAPIKeyRequest is the body of POST /_security/api_key/grant.
type GrantAPIKeyRequest struct {
	GrantCredential
	// APIKey describes the key; nil means the field was missing.
	APIKey  *CreateAPIKeyRequest `json:"api_key,omitempty"`
	Refresh string               `json:"-"`
}

// BulkGrantAPIKeysRequest is the body of POST /_security/api_key/_bulk_grant:
// one credential, many keys.
type BulkGrantAPIKeysRequest struct {
	GrantCredential
	// APIKeys, when empty, is sent as missing: null is no list to the
	// parser.
	APIKeys []CreateAPIKeyRequest `json:"api_keys,omitempty"`
	Refresh string                `json:"-"`
}

// BulkGrantAPIKeysResponse lists the created keys in request order.
type BulkGrantAPIKeysResponse struct {
	Created []CreateAPIKeyResponse `json:"created"`
}

// Clearable is an optional JSON string that tells "absent" (a nil
// *Clearable) from null (Null) from a value.
type Clearable struct {
	Null  bool
	Value string
}

// MarshalJSON renders null or the string.
func (c Clearable) MarshalJSON() ([]byte, error) {
	if c.Null {
		return []byte("null"), nil
	}
	return marshalJSON(c.Value)
}

// CloneAPIKeyRequest is the body of POST /_security/api_key/clone.
type CloneAPIKeyRequest struct {
	// APIKey is the encoded credential of the source key.
	APIKey string `json:"api_key"`
	// Name defaults to the source key's name.
	Name *string `json:"name,omitempty"`
	// Expiration: nil inherits the source's expiry instant, Null means
	// none, a value is now plus that time value.
	Expiration *Clearable `json:"expiration,omitempty"`
	// Metadata: nil copies the source's metadata.
	Metadata Metadata `json:"-"`
	Refresh  string   `json:"-"`
}

// MarshalJSON renders metadata when it is set, even when empty.
func (r CloneAPIKeyRequest) MarshalJSON() ([]byte, error) {
	type plain CloneAPIKeyRequest
	return withOptionalFields(plain(r), map[string]any{"metadata": metadataOrNil(r.Metadata)})
}

// UpdateAPIKeyRequest is PUT /_security/api_key/{id}. Nil fields are
// left unchanged; an empty (non-nil) RoleDescriptors removes the assigned
// descriptors, an empty (non-nil) Metadata clears the metadata.
type UpdateAPIKeyRequest struct {
	ID              string          `json:"-"`
	RoleDescriptors RoleDescriptors `json:"-"`
	Metadata        Metadata        `json:"-"`
	Expiration      *string         `json:"expiration,omitempty"`
}

// MarshalJSON renders role_descriptors and metadata when they are set.
func (r UpdateAPIKeyRequest) MarshalJSON() ([]byte, error) {
	type plain UpdateAPIKeyRequest
	return withOptionalFields(plain(r), map[string]any{
		"role_descriptors": descriptorsOrNil(r.RoleDescriptors),
		"metadata":         metadataOrNil(r.Metadata),
	})
}

// UpdateAPIKeyResponse answers an update; Updated is false for a no-op.
type UpdateAPIKeyResponse struct {
	Updated bool `json:"updated"`
}

// BulkUpdateAPIKeysRequest is POST /_security/api_key/_bulk_update: the
// same change to many keys.
type BulkUpdateAPIKeysRequest struct {
	IDs             []string        `json:"ids"`
	RoleDescriptors RoleDescriptors `json:"-"`
	Metadata        Metadata        `json:"-"`
	Expiration      *string         `json:"expiration,omitempty"`
}

// MarshalJSON renders role_descriptors and metadata when they are set.
func (r BulkUpdateAPIKeysRequest) MarshalJSON() ([]byte, error) {
	type plain BulkUpdateAPIKeysRequest
	return withOptionalFields(plain(r), map[string]any{
		"role_descriptors": descriptorsOrNil(r.RoleDescriptors),
		"metadata":         metadataOrNil(r.Metadata),
	})
}

// BulkUpdateAPIKeysResponse lists what a bulk update did to each key.
type BulkUpdateAPIKeysResponse struct {
	Updated []string    `json:"updated"`
	Noops   []string    `json:"noops"`
	Errors  *BulkErrors `json:"errors,omitempty"`
}

// BulkErrors are the per-key failures of a bulk update.
type BulkErrors struct {
	Count   int               `json:"count"`
	Details map[string]*Error `json:"details"`
}

// CrossClusterAccess is the access of a cross-cluster API key.
type CrossClusterAccess struct {
	Search      []SearchAccess      `json:"search,omitempty"`
	Replication []ReplicationAccess `json:"replication,omitempty"`
}

// SearchAccess grants cross-cluster search on indices.
type SearchAccess struct {
	Names                  []string       `json:"names"`
	FieldSecurity          *FieldSecurity `json:"field_security,omitempty"`
	Query                  *string        `json:"query,omitempty"`
	AllowRestrictedIndices bool           `json:"allow_restricted_indices"`
}

// ReplicationAccess grants cross-cluster replication of indices.
type ReplicationAccess struct {
	Names                  []string `json:"names"`
	AllowRestrictedIndices bool     `json:"allow_restricted_indices"`
}

// CreateCrossClusterAPIKeyRequest is POST /_security/cross_cluster/api_key.
type CreateCrossClusterAPIKeyRequest struct {
	Name       *string             `json:"name"`
	Access     *CrossClusterAccess `json:"access"`
	Expiration *string             `json:"expiration,omitempty"`
	Metadata   Metadata            `json:"metadata,omitempty"`
	// CertificateIdentity is a regular expression the subject DN of the
	// remote cluster's certificate must match (Elasticsearch 9.3); nil for
	// none.
	CertificateIdentity *string `json:"certificate_identity,omitempty"`
}

// UpdateCrossClusterAPIKeyRequest is PUT /_security/cross_cluster/api_key/{id}.
type UpdateCrossClusterAPIKeyRequest struct {
	ID         string              `json:"-"`
	Access     *CrossClusterAccess `json:"access,omitempty"`
	Metadata   Metadata            `json:"-"`
	Expiration *string             `json:"expiration,omitempty"`
	// CertificateIdentity: nil keeps the key's, Null clears it, a value
	// replaces it.
	CertificateIdentity *Clearable `json:"certificate_identity,omitempty"`
}

// MarshalJSON renders metadata when it is set.
func (r UpdateCrossClusterAPIKeyRequest) MarshalJSON() ([]byte, error) {
	type plain UpdateCrossClusterAPIKeyRequest
	return withOptionalFields(plain(r), map[string]any{"metadata": metadataOrNil(r.Metadata)})
}

// ClearCacheResponse is the nodes response of the clear cache API.
type ClearCacheResponse struct {
	Nodes       NodesSummary        `json:"_nodes"`
	ClusterName string              `json:"cluster_name"`
	NodeNames   map[string]NodeName `json:"nodes"`
}

// NodesSummary counts the nodes a nodes request reached.
type NodesSummary struct {
	Total      int `json:"total"`
	Successful int `json:"successful"`
	Failed     int `json:"failed"`
	// Failures are the nodes' failures (failed_node_exception, caused by
	// what failed), when any.
	Failures []*Error `json:"failures,omitempty"`
}

// NodeName names one node.
type NodeName struct {
	Name string `json:"name"`
}

// HasPrivilegesRequest is the body of GET|POST /_security/user/_has_privileges
// and /_security/user/{user}/_has_privileges.
type HasPrivilegesRequest struct {
	// Username is the {user} of the path, when given: it must name the
	// caller.
	Username    string                       `json:"-"`
	Cluster     []string                     `json:"cluster,omitempty"`
	Index       []IndexPrivilegesCheck       `json:"index,omitempty"`
	Application []ApplicationPrivilegesCheck `json:"application,omitempty"`
}

// IndexPrivilegesCheck asks for privileges on indices.
type IndexPrivilegesCheck struct {
	Names                  []string `json:"names"`
	Privileges             []string `json:"privileges"`
	AllowRestrictedIndices *bool    `json:"allow_restricted_indices,omitempty"`
}

// ApplicationPrivilegesCheck asks for application privileges on resources.
type ApplicationPrivilegesCheck struct {
	Application string   `json:"application"`
	Privileges  []string `json:"privileges"`
	Resources   []string `json:"resources"`
}

// HasPrivilegesResponse says which of the asked privileges the caller has.
type HasPrivilegesResponse struct {
	Username        string                                `json:"username"`
	HasAllRequested bool                                  `json:"has_all_requested"`
	Cluster         map[string]bool                       `json:"cluster"`
	Index           map[string]map[string]bool            `json:"index"`
	Application     map[string]map[string]map[string]bool `json:"application"`
}

func metadataOrNil(m Metadata) any {
	if m == nil {
		return nil
	}
	return m
}

func descriptorsOrNil(r RoleDescriptors) any {
	if r == nil {
		return nil
	}
	return r
}

// withOptionalFields marshals v and adds the non-nil extra fields, which
// would otherwise be lost to omitempty (an empty object that must be sent).
func withOptionalFields(v any, extra map[string]any) ([]byte, error) {
	base, err := marshalJSON(v)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.Write(base[:len(base)-1])
	first := len(base) == 2
	for _, k := range []string{"role_descriptors", "metadata"} {
		val, ok := extra[k]
		if !ok || val == nil {
			continue
		}
		data, err := marshalJSON(val)
		if err != nil {
			return nil, err
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		writeJSON(&b, k)
		b.WriteByte(':')
		b.Write(data)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
