package sqlite

import (
	"context"
	"fmt"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// crossClusterAccess groups the active cross-cluster keys at ?1 by
// whether their one role descriptor grants cross_cluster_search and
// cross_cluster_replication.
const crossClusterAccess = `
	SELECT
		EXISTS (SELECT 1 FROM json_each(k.role_descriptors) AS d, json_each(d.value, '$.cluster') AS c
			WHERE c.value = 'cross_cluster_search') AS search,
		EXISTS (SELECT 1 FROM json_each(k.role_descriptors) AS d, json_each(d.value, '$.cluster') AS c
			WHERE c.value = 'cross_cluster_replication') AS replication,
		count(*)
	FROM api_keys AS k
	WHERE k.type = 'cross_cluster' AND k.invalidated = 0 AND (k.expiration IS NULL OR k.expiration > ?1)
	GROUP BY search, replication`

// CountCrossClusterAccess counts the active cross-cluster keys at now by
// their access.
func (r *reader) CountCrossClusterAccess(ctx context.Context, now int64) (store.CrossClusterAccessCounts, error) {
	var counts store.CrossClusterAccessCounts
	rows, err := r.q.QueryContext(ctx, crossClusterAccess, now)
	if err != nil {
		return counts, fmt.Errorf("count cross-cluster api keys: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var search, replication bool
		var n int64
		if err := rows.Scan(&search, &replication, &n); err != nil {
			return counts, fmt.Errorf("count cross-cluster api keys: %w", err)
		}
		counts.Add(search, replication, n)
	}
	if err := rows.Err(); err != nil {
		return counts, fmt.Errorf("count cross-cluster api keys: %w", err)
	}
	return counts, nil
}
