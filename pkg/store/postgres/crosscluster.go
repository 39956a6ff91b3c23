package postgres

import (
	"context"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// crossClusterAccess groups the active cross-cluster keys at $1 by
// whether their one role descriptor grants cross_cluster_search and
// cross_cluster_replication.
const crossClusterAccess = `
	SELECT g.search, g.replication, count(*)
	FROM (
		SELECT
			EXISTS (SELECT 1 FROM json_each(k.role_descriptors) AS d, json_array_elements_text(d.value -> 'cluster') AS c
				WHERE c = 'cross_cluster_search') AS search,
			EXISTS (SELECT 1 FROM json_each(k.role_descriptors) AS d, json_array_elements_text(d.value -> 'cluster') AS c
				WHERE c = 'cross_cluster_replication') AS replication
		FROM api_keys AS k
		WHERE k.type = 'cross_cluster' AND k.invalidated = 0 AND (k.expiration IS NULL OR k.expiration > $1)
	) AS g
	GROUP BY g.search, g.replication`

// accessGroup is one row of crossClusterAccess.
type accessGroup struct {
	search, replication bool
	n                   int64
}

// CountCrossClusterAccess counts the active cross-cluster keys at now by
// their access.
func (r *reader) CountCrossClusterAccess(ctx context.Context, now int64) (store.CrossClusterAccessCounts, error) {
	var counts store.CrossClusterAccessCounts
	groups, err := queryAll(ctx, r.tx, "count cross-cluster api keys", func(s scanner) (accessGroup, error) {
		var g accessGroup
		err := s.Scan(&g.search, &g.replication, &g.n)
		return g, err
	}, crossClusterAccess, now)
	if err != nil {
		return counts, err
	}
	for _, g := range groups {
		counts.Add(g.search, g.replication, g.n)
	}
	return counts, nil
}
