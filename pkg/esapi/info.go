package esapi

import "os"

// ClusterInfo is the body of GET /: the node and cluster the daemon
// presents itself as, in Elasticsearch's field order.
type ClusterInfo struct {
	Name        string      `json:"name"`
	ClusterName string      `json:"cluster_name"`
	ClusterUUID string      `json:"cluster_uuid"`
	Version     VersionInfo `json:"version"`
	Tagline     string      `json:"tagline"`
}

// VersionInfo is the version block of ClusterInfo.
type VersionInfo struct {
	Number                           string `json:"number"`
	BuildFlavor                      string `json:"build_flavor"`
	BuildType                        string `json:"build_type"`
	BuildHash                        string `json:"build_hash"`
	BuildDate                        string `json:"build_date"`
	BuildSnapshot                    bool   `json:"build_snapshot"`
	LuceneVersion                    string `json:"lucene_version"`
	MinimumWireCompatibilityVersion  string `json:"minimum_wire_compatibility_version"`
	MinimumIndexCompatibilityVersion string `json:"minimum_index_compatibility_version"`
}

// The Elasticsearch release apikeyd presents itself as, with the facts that
// go with it.
const (
	ESVersion                        = "9.3.0"
	LuceneVersion                    = "10.3.2"
	MinimumWireCompatibilityVersion  = "8.19.0"
	MinimumIndexCompatibilityVersion = "8.0.0"
	Tagline                          = "You Know, for Search"
)

// withDefaults fills the fields that were left empty.
func (c ClusterInfo) withDefaults() ClusterInfo {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "apikeyd"
	}
	def(&c.Name, host)
	def(&c.ClusterName, "apikeyd")
	def(&c.ClusterUUID, "_na_")
	def(&c.Tagline, Tagline)
	v := &c.Version
	def(&v.Number, ESVersion)
	def(&v.BuildFlavor, "default")
	def(&v.BuildType, "tar")
	def(&v.BuildHash, "unknown")
	def(&v.BuildDate, "1970-01-01T00:00:00.000Z")
	def(&v.LuceneVersion, LuceneVersion)
	def(&v.MinimumWireCompatibilityVersion, MinimumWireCompatibilityVersion)
	def(&v.MinimumIndexCompatibilityVersion, MinimumIndexCompatibilityVersion)
	return c
}
