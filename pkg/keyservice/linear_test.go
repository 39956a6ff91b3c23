package keyservice_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// TestCostIsLinear: every request's cost grows linearly with its size.
// Each case runs at sizes n and 4n (the input doubled twice) in the same
// run: linear work takes about 4 times as long, quadratic work 16 times;
// the bound, 8, leaves room for noise. Each cost is the processor time
// the process spent (not the wall clock, which other processes of a
// loaded machine stretch), the best of several runs taken in turns.
func TestCostIsLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("measures costs")
	}
	fx := newFixture(t)
	admin := fx.root
	const n = 1000
	const cloners = 32
	// 4n keys, then ids of keys that do not exist, for the cases so cheap
	// per item that they run at 4 times the size to be measured well.
	ids := make([]string, 16*n)
	for i := range ids {
		if i < 4*n {
			ids[i] = fx.create(admin, fmt.Sprintf("k%d", i)).ID
		} else {
			ids[i] = fmt.Sprintf("missing%013d", i)
		}
	}
	// Two families for the lineage reads: a root with n clones, and one
	// with 4n, cloned by concurrent callers so that their writes share
	// commits.
	families := map[int]string{}
	for _, size := range []int{n, 4 * n} {
		root := fx.create(admin, fmt.Sprintf("root%d", size))
		var wg sync.WaitGroup
		errs := make(chan error, cloners)
		for w := range cloners {
			wg.Go(func() {
				for i := w; i < size; i += cloners {
					if _, err := fx.svc.CloneAPIKey(admin, &api.CloneAPIKeyRequest{APIKey: root.Encoded}); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		families[size] = root.ID
	}
	round := 0
	for _, c := range []struct {
		name  string
		scale int // the sizes are scale×n and 4×scale×n; 1 when zero
		run   func(size int) error
	}{
		{name: "create with metadata leaves", run: func(size int) error {
			md := make(map[string]any, size)
			for i := range size {
				md[fmt.Sprintf("f%d", i)] = map[string]any{"v": i, "tags": []any{"a", "b"}}
			}
			_, err := fx.svc.CreateAPIKey(admin, &api.CreateAPIKeyRequest{Name: ptr("leaves"), Metadata: api.MetadataFromMap(md)})
			return err
		}},
		{name: "bulk update of ids", run: func(size int) error {
			round++
			_, err := fx.svc.BulkUpdateAPIKeys(admin, &api.BulkUpdateAPIKeysRequest{IDs: ids[:size], Metadata: api.MetadataFromMap(map[string]any{"round": round})})
			return err
		}},
		{name: "bulk update of repeated ids", run: func(size int) error {
			round++
			repeated := make([]string, 0, 4*size)
			for range 4 {
				repeated = append(repeated, ids[:size]...)
			}
			_, err := fx.svc.BulkUpdateAPIKeys(admin, &api.BulkUpdateAPIKeysRequest{IDs: repeated, Metadata: api.MetadataFromMap(map[string]any{"round": round})})
			return err
		}},
		{name: "query with terms", scale: 4, run: func(size int) error {
			body, _ := json.Marshal(map[string]any{"query": map[string]any{"ids": map[string]any{"values": ids[:size]}}, "size": 10})
			_, err := fx.svc.QueryAPIKeys(admin, &api.QueryAPIKeysRequest{Body: body})
			return err
		}},
		{name: "query with bool clauses", run: func(size int) error {
			clauses := make([]string, size/2)
			for i := range clauses {
				clauses[i] = fmt.Sprintf(`{"prefix":{"name":"k%d"}}`, i)
			}
			body := `{"query":{"bool":{"should":[` + strings.Join(clauses, ",") + `]}},"size":10}`
			_, err := fx.svc.QueryAPIKeys(admin, &api.QueryAPIKeysRequest{Body: json.RawMessage(body)})
			return err
		}},
		{name: "invalidate by query, dry run of a plan of that many keys", run: func(size int) error {
			q, _ := json.Marshal(map[string]any{"ids": map[string]any{"values": ids[:size]}})
			resp, err := fx.svc.InvalidateAPIKeysByQuery(admin, &api.InvalidateByQueryRequest{Query: q, DryRun: true})
			if err == nil && resp.Count != min(size, 4*n) {
				err = fmt.Errorf("a plan of %d keys, want %d", resp.Count, min(size, 4*n))
			}
			return err
		}},
		{name: "lineage of a family", run: func(size int) error {
			// Three reads, so that the small size is measured well too.
			for range 3 {
				l, err := fx.svc.GetAPIKeyLineage(admin, families[size])
				if err != nil {
					return err
				}
				if len(l.Descendants) != size {
					return fmt.Errorf("%d descendants, want %d", len(l.Descendants), size)
				}
			}
			return nil
		}},
		{name: "invalidate by ids", scale: 4, run: func(size int) error {
			_, err := fx.svc.InvalidateAPIKeys(admin, &api.InvalidateAPIKeysRequest{IDs: ids[:size]})
			return err
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			// The sizes alternate, so that a change in the machine's load
			// falls on both alike; each keeps its best time.
			size := n * max(c.scale, 1)
			small, large := time.Duration(1<<63-1), time.Duration(1<<63-1)
			for range 7 {
				for _, m := range []struct {
					size int
					best *time.Duration
				}{{size, &small}, {4 * size, &large}} {
					start := cpuTime()
					if err := c.run(m.size); err != nil {
						t.Fatal(err)
					}
					*m.best = min(*m.best, cpuTime()-start)
				}
			}
			ratio := float64(large) / float64(small)
			t.Logf("%d: %v, %d: %v, ratio %.2f", size, small, 4*size, large, ratio)
			if ratio > 8 {
				t.Errorf("doubling the input twice multiplied the time by %.1f (%v -> %v): not linear", ratio, small, large)
			}
		})
	}
}
