package keyservice_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// digestOf is the documented plan digest: the hex SHA-256 of the sorted
// ids, each followed by a newline.
func digestOf(ids ...string) string {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	h := sha256.New()
	for _, id := range ids {
		h.Write([]byte(id + "\n"))
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

func TestInvalidateByQuery(t *testing.T) {
	fx := newFixture(t)
	owner, other := fx.as("owner"), fx.as("other")
	fleetA := fx.create(owner, "fleet-a")
	fleetB := fx.create(other, "fleet-b")
	fleetOld := fx.create(owner, "fleet-old")
	if _, err := fx.svc.InvalidateAPIKeys(fx.root, &api.InvalidateAPIKeysRequest{IDs: []string{fleetOld.ID}}); err != nil {
		t.Fatal(err)
	}
	fx.create(owner, "keep")
	fleet := []byte(`{"prefix":{"name":"fleet-"}}`)

	for _, tt := range []struct {
		name      string
		ctx       context.Context
		req       api.InvalidateByQueryRequest
		wantIDs   []string // the plan
		status    int      // an error's
		errType   string
		reason    string
		dryRunIDs bool // the dry run lists wantIDs
	}{
		{name: "dry run as an admin: every owner's matching keys, not the invalidated one",
			ctx: fx.as("admin"), req: api.InvalidateByQueryRequest{Query: fleet, DryRun: true},
			wantIDs: []string{fleetA.ID, fleetB.ID}, dryRunIDs: true},
		{name: "dry run with manage_own_api_key: only the caller's keys",
			ctx: owner, req: api.InvalidateByQueryRequest{Query: fleet, DryRun: true},
			wantIDs: []string{fleetA.ID}, dryRunIDs: true},
		{name: "dry run as an API key: only itself",
			ctx: fx.asKey(fleetA), req: api.InvalidateByQueryRequest{DryRun: true},
			wantIDs: []string{fleetA.ID}, dryRunIDs: true},
		{name: "a dry run checks the expectation too",
			ctx: owner, req: api.InvalidateByQueryRequest{Query: fleet, DryRun: true, ExpectCount: ptr(2)},
			status: 409, errType: "version_conflict_engine_exception", reason: "expected [2] keys, found [1] with plan [" + digestOf(fleetA.ID) + "]"},
		{name: "a real run needs an expectation",
			ctx: owner, req: api.InvalidateByQueryRequest{Query: fleet},
			status: 400, errType: "action_request_validation_exception", reason: "needs [expect_count] or [plan]"},
		{name: "a plan that is not a digest",
			ctx: owner, req: api.InvalidateByQueryRequest{Query: fleet, Plan: "abc"},
			status: 400, errType: "action_request_validation_exception", reason: "[plan] must be a plan digest"},
		{name: "a negative count",
			ctx: owner, req: api.InvalidateByQueryRequest{Query: fleet, ExpectCount: ptr(-1)},
			status: 400, errType: "action_request_validation_exception", reason: "[expect_count] cannot be negative"},
		{name: "the query API's errors: an unsupported query",
			ctx: owner, req: api.InvalidateByQueryRequest{Query: []byte(`{"match_phrase":{"name":"x"}}`), DryRun: true},
			status: 400, errType: "illegal_argument_exception", reason: "Query type [match_phrase] is not currently supported in this context"},

		{name: "the query API's field errors",
			ctx: owner, req: api.InvalidateByQueryRequest{Query: []byte(`{"term":{"hash":"x"}}`), DryRun: true},
			status: 400, errType: "illegal_argument_exception", reason: "Field [hash] is not allowed for querying"},
		{name: "more keys than max_keys",
			ctx: fx.as("admin"), req: api.InvalidateByQueryRequest{Query: fleet, DryRun: true, MaxKeys: 1},
			status: 400, errType: "illegal_argument_exception", reason: "the query matches [2] API keys that are not invalidated, more than [max_keys] [1]"},
		{name: "max_keys above the ceiling",
			ctx: fx.as("admin"), req: api.InvalidateByQueryRequest{Query: fleet, DryRun: true, MaxKeys: 2_000_000},
			status: 400, errType: "action_request_validation_exception", reason: "[max_keys] must be at most [1000000]"},
		{name: "read_security may not invalidate",
			ctx: fx.as("reader"), req: api.InvalidateByQueryRequest{Query: fleet, DryRun: true},
			status: 403, errType: "security_exception", reason: "api_key/invalidate] is unauthorized for user [reader]"},
		{name: "unauthenticated",
			ctx: context.Background(), req: api.InvalidateByQueryRequest{Query: fleet, DryRun: true},
			status: 401, errType: "security_exception", reason: "missing authentication credentials"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := fx.svc.InvalidateAPIKeysByQuery(tt.ctx, &tt.req)
			if tt.status != 0 {
				wantErr(t, err, tt.status, tt.errType, tt.reason)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !resp.DryRun || resp.Count != len(tt.wantIDs) || resp.Plan != digestOf(tt.wantIDs...) || resp.InvalidateAPIKeysResponse != nil {
				t.Fatalf("got %+v, want a dry run of %v (%s)", resp, tt.wantIDs, digestOf(tt.wantIDs...))
			}
			var listed []string
			for _, k := range resp.APIKeys {
				listed = append(listed, k.ID)
			}
			want := slices.Sorted(slices.Values(tt.wantIDs))
			if !slices.Equal(listed, want) {
				t.Fatalf("listed %v, want %v sorted by id", listed, want)
			}
		})
	}
	// Nothing was invalidated by any of them.
	got, err := fx.svc.GetAPIKeys(fx.root, &api.GetAPIKeysRequest{Name: "fleet-*", ActiveOnly: true})
	if err != nil || len(got.APIKeys) != 2 {
		t.Fatalf("after dry runs and refusals: %v %v", got, err)
	}
}

// TestInvalidateByQueryPlan: the real run invalidates the plan when it
// still holds, and refuses, changing nothing, when a key joined or left
// the set since the dry run.
func TestInvalidateByQueryPlan(t *testing.T) {
	fx := newFixture(t)
	admin := fx.as("admin")
	a := fx.create(fx.as("owner"), "fleet-a")
	b := fx.create(fx.as("other"), "fleet-b")
	fx.create(fx.as("owner"), "keep")
	q := []byte(`{"bool":{"filter":[{"prefix":{"name":"fleet-"}}]}}`)
	dry, err := fx.svc.InvalidateAPIKeysByQuery(admin, &api.InvalidateByQueryRequest{Query: q, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	// A key joins the set: the plan and the count no longer hold.
	c := fx.create(fx.as("owner"), "fleet-c")
	for _, req := range []api.InvalidateByQueryRequest{
		{Query: q, Plan: dry.Plan},
		{Query: q, ExpectCount: ptr(2)},
		{Query: q, ExpectCount: ptr(3), Plan: dry.Plan},
	} {
		_, err := fx.svc.InvalidateAPIKeysByQuery(admin, &req)
		wantErr(t, err, 409, "version_conflict_engine_exception", "nothing was invalidated")
	}
	// A key leaves it: the same count, another plan.
	if _, err := fx.svc.InvalidateAPIKeys(fx.root, &api.InvalidateAPIKeysRequest{IDs: []string{c.ID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.InvalidateAPIKeys(fx.root, &api.InvalidateAPIKeysRequest{IDs: []string{b.ID}}); err != nil {
		t.Fatal(err)
	}
	d := fx.create(fx.as("other"), "fleet-d")
	_, err = fx.svc.InvalidateAPIKeysByQuery(admin, &api.InvalidateByQueryRequest{Query: q, ExpectCount: ptr(2), Plan: dry.Plan})
	wantErr(t, err, 409, "version_conflict_engine_exception", "found [2] with plan ["+digestOf(a.ID, d.ID)+"]")
	if got, _ := fx.svc.GetAPIKeys(fx.root, &api.GetAPIKeysRequest{ID: a.ID}); got.APIKeys[0].Invalidated {
		t.Fatal("a refused run invalidated a key")
	}

	// The plan as it stands now is carried out whole.
	dry, err = fx.svc.InvalidateAPIKeysByQuery(admin, &api.InvalidateByQueryRequest{Query: q, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := fx.svc.InvalidateAPIKeysByQuery(admin, &api.InvalidateByQueryRequest{Query: q, Plan: dry.Plan, ExpectCount: ptr(2)})
	if err != nil {
		t.Fatal(err)
	}
	got := slices.Sorted(slices.Values(resp.InvalidatedAPIKeys))
	if resp.DryRun || resp.Plan != dry.Plan || resp.Count != 2 || !slices.Equal(got, slices.Sorted(slices.Values([]string{a.ID, d.ID}))) ||
		resp.ErrorCount != 0 || resp.PreviouslyInvalidatedAPIKeys == nil {
		t.Fatalf("got %+v %+v", resp, resp.InvalidateAPIKeysResponse)
	}
	// The keys no longer authenticate.
	if _, err := fx.authKey(a.Encoded); err == nil {
		t.Fatal("an invalidated key still authenticates")
	}
	// Run again, the plan is empty: its digest is that of no key.
	_, err = fx.svc.InvalidateAPIKeysByQuery(admin, &api.InvalidateByQueryRequest{Query: q, Plan: dry.Plan})
	wantErr(t, err, 409, "version_conflict_engine_exception", "found [0] with plan ["+digestOf()+"]")
	resp, err = fx.svc.InvalidateAPIKeysByQuery(admin, &api.InvalidateByQueryRequest{Query: q, ExpectCount: ptr(0)})
	if err != nil || resp.Count != 0 || resp.InvalidatedAPIKeys == nil || len(resp.InvalidatedAPIKeys) != 0 {
		t.Fatalf("an empty plan: %+v %v", resp, err)
	}
}

// TestInvalidateByQueryCrossCluster: cross-cluster keys need
// manage_security; without it the matching ones are errors, left out of
// the plan.
func TestInvalidateByQueryCrossCluster(t *testing.T) {
	fx := newFixture(t)
	rest := fx.create(fx.root, "fleet-rest")
	cc, err := fx.svc.CreateCrossClusterAPIKey(fx.root, &api.CreateCrossClusterAPIKeyRequest{Name: ptr("fleet-cc"),
		Access: &api.CrossClusterAccess{Search: []api.SearchAccess{{Names: []string{"logs-*"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	q := []byte(`{"prefix":{"name":"fleet-"}}`)
	resp, err := fx.svc.InvalidateAPIKeysByQuery(fx.as("admin"), &api.InvalidateByQueryRequest{Query: q, ExpectCount: ptr(1)})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(resp.InvalidatedAPIKeys, []string{rest.ID}) || resp.ErrorCount != 1 || !strings.Contains(resp.ErrorDetails[0].Reason, cc.ID) {
		t.Fatalf("got %+v", resp.InvalidateAPIKeysResponse)
	}
	resp, err = fx.svc.InvalidateAPIKeysByQuery(fx.as("secadmin"), &api.InvalidateByQueryRequest{Query: q, Plan: digestOf(cc.ID)})
	if err != nil || !slices.Equal(resp.InvalidatedAPIKeys, []string{cc.ID}) || resp.ErrorCount != 0 {
		t.Fatalf("with manage_security: %+v %v", resp, err)
	}
}

// TestInvalidateByQuerySameQueryErrors: a query is refused as the query
// API refuses it in its "query" member.
func TestInvalidateByQuerySameQueryErrors(t *testing.T) {
	fx := newFixture(t)
	for _, tt := range []struct{ name, query string }{
		{"unsupported query", `{"match_phrase":{"name":"x"}}`},
		{"unknown query", `{"nope":{}}`},
		{"field not allowed", `{"term":{"hash":"x"}}`},
		{"date that does not parse", `{"range":{"creation":{"gt":"yesterday"}}}`},
		{"bad bool", `{"bool":{"must":[{"term":{"name":"a"}}],"minimum_should_match":"x%"}}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, want := fx.svc.QueryAPIKeys(fx.root, &api.QueryAPIKeysRequest{Body: []byte(`{"query":` + tt.query + `}`)})
			_, got := fx.svc.InvalidateAPIKeysByQuery(fx.root, &api.InvalidateByQueryRequest{Query: []byte(tt.query), DryRun: true})
			we, ok1 := api.AsError(want)
			ge, ok2 := api.AsError(got)
			if !ok1 || !ok2 || we.Code != ge.Code || we.ErrType() != ge.ErrType() || we.Error() != ge.Error() {
				t.Fatalf("query API: %v\ninvalidate by query: %v", want, got)
			}
		})
	}
}

// TestInvalidateByQueryErrorPositions: a query read from the endpoint's
// body is refused at the position the caller wrote it, as the query API
// refuses the same query at the same place of its body.
func TestInvalidateByQueryErrorPositions(t *testing.T) {
	fx := newFixture(t)
	for _, tt := range []struct{ name, body, queryAPIBody string }{
		{"after another member", `{"dry_run":true,"query":{"bogus":{}}}`, `{"size":10,     "query":{"bogus":{}}}`},
		{"over lines", "{\n  \"plan\": \"sha256:" + strings.Repeat("0", 64) + "\",\n  \"query\": {\"term\": {\"name\": {\"valeu\": 1}}}\n}",
			"{\n  \"size\": 10" + strings.Repeat(" ", 65) + ",\n  \"query\": {\"term\": {\"name\": {\"valeu\": 1}}}\n}"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, err := api.DecodeInvalidateByQueryRequest([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.DryRun = true
			_, got := fx.svc.InvalidateAPIKeysByQuery(fx.root, req)
			_, want := fx.svc.QueryAPIKeys(fx.root, &api.QueryAPIKeysRequest{Body: []byte(tt.queryAPIBody)})
			if got == nil || want == nil || got.Error() != want.Error() || !strings.Contains(got.Error(), "[") {
				t.Fatalf("invalidate by query: %v\nquery API:           %v", got, want)
			}
		})
	}
}
