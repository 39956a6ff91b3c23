package api

// XPackUsageRequest is GET /_xpack/usage.
type XPackUsageRequest struct {
	// MasterTimeout is the master_timeout parameter: checked as a time
	// value; a single node has no master to wait for.
	MasterTimeout string
}

// Check refuses a master_timeout that is not a time value, as
// Elasticsearch does.
func (r *XPackUsageRequest) Check() error {
	if r.MasterTimeout != "" {
		if _, err := ParseTimeValue(r.MasterTimeout, "master_timeout"); err != nil {
			return err
		}
	}
	return nil
}

// XPackUsageResponse is the body of GET /_xpack/usage: one section per
// feature the node has, keyed by the feature's name. apikeyd has one,
// security; the features it does not have are absent.
type XPackUsageResponse struct {
	Security SecurityUsage `json:"security"`
}

// SecurityUsage is the security feature's usage, its fields in the order
// Elasticsearch's SecurityFeatureSetUsage writes them.
type SecurityUsage struct {
	Available           bool                        `json:"available"`
	Enabled             bool                        `json:"enabled"`
	Realms              map[string]RealmUsage       `json:"realms"`
	Roles               RolesUsage                  `json:"roles"`
	RoleMapping         map[string]RoleMappingUsage `json:"role_mapping"`
	SSL                 SSLUsage                    `json:"ssl"`
	TokenService        FeatureToggle               `json:"token_service"`
	APIKeyService       FeatureToggle               `json:"api_key_service"`
	Audit               AuditUsage                  `json:"audit"`
	IPFilter            IPFilterUsage               `json:"ipfilter"`
	Anonymous           FeatureToggle               `json:"anonymous"`
	FIPS140             FeatureToggle               `json:"fips_140"`
	OperatorPrivileges  FeatureAvailability         `json:"operator_privileges"`
	RemoteClusterServer RemoteClusterServerUsage    `json:"remote_cluster_server"`
}

// FeatureToggle is a sub-feature that is on or off.
type FeatureToggle struct {
	Enabled bool `json:"enabled"`
}

// FeatureAvailability is a sub-feature the license allows (available)
// and the node turns on (enabled).
type FeatureAvailability struct {
	Available bool `json:"available"`
	Enabled   bool `json:"enabled"`
}

// RealmUsage is the usage of the realms of one type; each list has one
// entry per realm of the type.
type RealmUsage struct {
	Available bool     `json:"available"`
	Enabled   bool     `json:"enabled"`
	Name      []string `json:"name,omitempty"`
}

// RolesUsage is the usage of the role stores.
type RolesUsage struct {
	Native RoleStoreUsage `json:"native"`
	File   RoleStoreUsage `json:"file"`
}

// RoleStoreUsage counts a store's roles and says whether any of them
// uses field (fls) or document (dls) level security.
type RoleStoreUsage struct {
	Size int64 `json:"size"`
	FLS  bool  `json:"fls"`
	DLS  bool  `json:"dls"`
}

// RoleMappingUsage counts a store's role mappings, and those enabled.
type RoleMappingUsage struct {
	Size    int64 `json:"size"`
	Enabled int64 `json:"enabled"`
}

// SSLUsage says whether each network layer uses TLS.
type SSLUsage struct {
	HTTP      FeatureToggle `json:"http"`
	Transport FeatureToggle `json:"transport"`
}

// AuditUsage says whether the node audits, and where to.
type AuditUsage struct {
	Enabled bool     `json:"enabled"`
	Outputs []string `json:"outputs,omitempty"`
}

// IPFilterUsage says whether each network layer filters by IP.
type IPFilterUsage struct {
	HTTP      bool `json:"http"`
	Transport bool `json:"transport"`
}

// RemoteClusterServerUsage is the remote cluster server's usage: whether
// the node serves the remote cluster port, and its active cross-cluster
// API keys by the access they grant.
type RemoteClusterServerUsage struct {
	Available bool                 `json:"available"`
	Enabled   bool                 `json:"enabled"`
	APIKeys   CrossClusterKeyUsage `json:"api_keys"`
}

// CrossClusterKeyUsage counts the active cross-cluster API keys: those
// granting search only (ccs), replication only (ccr), both (ccs_ccr),
// and all of them (total).
type CrossClusterKeyUsage struct {
	Total  int64 `json:"total"`
	CCS    int64 `json:"ccs"`
	CCR    int64 `json:"ccr"`
	CCSCCR int64 `json:"ccs_ccr"`
}
