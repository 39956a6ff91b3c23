package store

// CrossClusterAccessCounts is how many active cross-cluster keys grant
// search only (the cross_cluster_search cluster privilege), replication
// only (cross_cluster_replication), and both.
type CrossClusterAccessCounts struct {
	Search            int64
	Replication       int64
	SearchReplication int64
}

// Add counts n keys that grant search, replication, or both; a key that
// grants neither is not a cross-cluster key and counts nowhere.
func (c *CrossClusterAccessCounts) Add(search, replication bool, n int64) {
	switch {
	case search && replication:
		c.SearchReplication += n
	case search:
		c.Search += n
	case replication:
		c.Replication += n
	}
}
