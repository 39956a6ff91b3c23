package storetest

import (
	"encoding/json"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// testCrossClusterAccess counts active cross-cluster keys by access: rest
// keys, invalidated keys and keys expired at now (or before) count nowhere.
func (s *suite) testCrossClusterAccess(t *testing.T) {
	st := s.open(t)
	const now = 1_750_000_000_000
	cc := func(id string, cluster string, expiration *int64) *store.APIKey {
		k := newKey(id)
		k.Type = "cross_cluster"
		k.Expiration = expiration
		k.RoleDescriptors = json.RawMessage(`{"cross_cluster":{"cluster":` + cluster + `}}`)
		return k
	}
	const (
		search = `["cross_cluster_search","monitor_enrich"]`
		repl   = `["cross_cluster_replication"]`
		both   = `["cross_cluster_search","monitor_enrich","cross_cluster_replication"]`
	)
	view(t, st, func(r store.Reader) error {
		got, err := r.CountCrossClusterAccess(t.Context(), now)
		if err == nil && got != (store.CrossClusterAccessCounts{}) {
			t.Errorf("empty store: CountCrossClusterAccess = %+v, want zeros", got)
		}
		return err
	})
	invalidated := cc("k-invalidated", search, nil)
	invalidated.Invalidated = true
	insert(t, st,
		cc("k-search-1", search, nil),
		cc("k-search-2", search, ptr(int64(now+1))),
		cc("k-repl", repl, nil),
		cc("k-both-1", both, nil),
		cc("k-both-2", both, ptr(int64(now+60_000))),
		cc("k-both-3", both, nil),
		cc("k-expired", both, ptr(int64(now))),
		cc("k-long-expired", repl, ptr(int64(now-1))),
		invalidated,
		newKey("k-rest"),
	)
	view(t, st, func(r store.Reader) error {
		got, err := r.CountCrossClusterAccess(t.Context(), now)
		want := store.CrossClusterAccessCounts{Search: 2, Replication: 1, SearchReplication: 3}
		if err == nil && got != want {
			t.Errorf("CountCrossClusterAccess(%d) = %+v, want %+v", now, got, want)
		}
		return err
	})
}
