package sqlite

import (
	"strings"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// TestExpiringUsesItsIndex: the scan of the keys about to expire reads a
// range of the partial index api_keys_expiring, in its order (no sort),
// on every page.
func TestExpiringUsesItsIndex(t *testing.T) {
	db := mustOpen(t, tempPath(t))
	for name, f := range map[string]store.ExpiringFilter{
		"first page": {From: 1, Until: 2, Limit: 500},
		"next page":  {From: 1, Until: 2, AfterExpiration: 1, AfterID: "x", Limit: 500},
	} {
		t.Run(name, func(t *testing.T) {
			query, args := expiringQuery(f)
			plan := explain(t, db, query, args)
			if !strings.Contains(plan, "USING INDEX api_keys_expiring") || strings.Contains(plan, "TEMP B-TREE") {
				t.Errorf("plan:\n%s", plan)
			}
		})
	}
}
