package esapi_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v9"
	"github.com/elastic/go-elasticsearch/v9/typedapi/security/queryapikeys"
	"github.com/elastic/go-elasticsearch/v9/typedapi/types"
	"github.com/elastic/go-elasticsearch/v9/typedapi/types/enums/sortorder"
)

func ptr[T any](v T) *T { return &v }

// TestOfficialGoClientQuery proves the query API with the official Go
// client's typed API, which always sends typed_keys=true: it builds the
// request from its own types (query, sort, every aggregation type, nested
// sub-aggregations) and decodes apikeyd's answer — hits with _sort and
// every aggregation — into its own result types, against apikeyd's
// handler over each real store (SQLite, PostgreSQL) holding the 241-key
// fixture.
func TestOfficialGoClientQuery(t *testing.T) {
	for _, st := range fixtureStores {
		t.Run(st.name, func(t *testing.T) { testOfficialGoClientQuery(t, newQueryFixtureOn(t, st.open(t))) })
	}
}

func testOfficialGoClientQuery(t *testing.T, fx *queryFixture) {
	srv := httptest.NewServer(fx.handler)
	defer srv.Close()
	es := newTypedClient(t, elasticsearch.Config{
		Addresses: []string{srv.URL}, Username: "elastic", Password: elasticPassword,
	})
	ctx := t.Context()
	req := wireQueryRequest()
	resp, err := es.Security.QueryApiKeys().Request(req).Do(ctx)
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	if resp.Total == 0 || resp.Count != 5 || len(resp.ApiKeys) != 5 {
		t.Fatalf("total %d, count %d, %d keys", resp.Total, resp.Count, len(resp.ApiKeys))
	}
	checkWireHits(t, resp)
	checkWireBucketAggs(t, es, req, resp)
	checkWireOtherAggs(t, resp)

	// search_after with the last hit's _sort values, as the client types them.
	page2, err := es.Security.QueryApiKeys().Request(&queryapikeys.Request{
		Query: req.Query, Size: ptr(5), Sort: req.Sort, SearchAfter: resp.ApiKeys[4].Sort_,
	}).Do(ctx)
	if err != nil {
		t.Fatalf("search_after: %v", err)
	}
	if page2.Total != resp.Total || len(page2.ApiKeys) == 0 || page2.ApiKeys[0].Id == resp.ApiKeys[4].Id {
		t.Fatalf("search_after page: total %d, %d keys", page2.Total, len(page2.ApiKeys))
	}

	// A mistake is Elasticsearch's 400, decoded by the client.
	_, err = es.Security.QueryApiKeys().Query(&types.ApiKeyQueryContainer{
		Term: map[string]types.TermQuery{"api_key_hash": {Value: "x"}},
	}).Do(ctx)
	wantStatus(t, err, 400, "illegal_argument_exception")
	_, err = es.Security.QueryApiKeys().From(9999).Size(10).Do(ctx)
	wantStatus(t, err, 400, "search_phase_execution_exception")
}

// wireQueryRequest is the query of TestOfficialGoClientQuery, in the
// client's own types: a bool query, a sort, and every aggregation type,
// some with sub-aggregations.
func wireQueryRequest() *queryapikeys.Request {
	return &queryapikeys.Request{
		Query: &types.ApiKeyQueryContainer{Bool: &types.BoolQuery{
			Filter: []types.Query{{Term: map[string]types.TermQuery{"invalidated": {Value: false}}}},
			Should: []types.Query{
				{Prefix: map[string]types.PrefixQuery{"name": {Value: "ci-"}}},
				{Term: map[string]types.TermQuery{"metadata.env": {Value: "prod"}}},
			},
			MinimumShouldMatch: 1,
		}},
		Size: ptr(5),
		Sort: []types.SortCombinations{
			types.SortOptions{SortOptions: map[string]types.FieldSort{"creation": {Order: &sortorder.Desc, Format: ptr("date_time")}}},
			"name",
		},
		Aggregations: map[string]types.ApiKeyAggregationContainer{
			"users": {Terms: &types.TermsAggregation{Field: ptr("username"), Size: ptr(3)},
				Aggregations: map[string]types.ApiKeyAggregationContainer{
					"names": {Cardinality: &types.CardinalityAggregation{Field: ptr("name")}},
				}},
			"states": {Terms: &types.TermsAggregation{Field: ptr("invalidated")}},
			"pairs": {Composite: &types.CompositeAggregation{Size: ptr(2), Sources: []map[string]types.CompositeAggregationSource{
				{"type": {Terms: &types.CompositeTermsAggregation{Field: ptr("type")}}},
				{"env": {Terms: &types.CompositeTermsAggregation{Field: ptr("metadata.env"), MissingBucket: ptr(true)}}},
			}}},
			"age": {Range: &types.RangeAggregation{Field: ptr("creation"), Ranges: []types.AggregationRange{
				{To: ptr(types.Float64(1735689600000))}, {From: ptr(types.Float64(1735689600000)), Key: ptr("2025")},
			}}},
			"expiry": {DateRange: &types.DateRangeAggregation{Field: ptr("expiration"), Format: ptr("yyyy-MM-dd"),
				Ranges: []types.DateRangeExpression{{To: "now"}, {From: "now", To: "now+7d/d"}}},
				Aggregations: map[string]types.ApiKeyAggregationContainer{
					"owners": {ValueCount: &types.ValueCountAggregation{Field: ptr("username")}},
				}},
			"cross": {Filter: &types.ApiKeyQueryContainer{Term: map[string]types.TermQuery{"type": {Value: "cross_cluster"}}},
				Aggregations: map[string]types.ApiKeyAggregationContainer{
					"no_expiry": {Missing: &types.MissingAggregation{Field: ptr("expiration")}},
				}},
			"kinds": {Filters: &types.ApiKeyFiltersAggregation{
				Filters: map[string]types.ApiKeyQueryContainer{
					"ci":  {Prefix: map[string]types.PrefixQuery{"name": {Value: "ci-"}}},
					"app": {Wildcard: map[string]types.WildcardQuery{"name": {Value: ptr("app-*")}}},
				},
				OtherBucket: ptr(true),
			}},
			"unexpiring": {Missing: &types.MissingAggregation{Field: ptr("expiration")}},
			"leaves":     {ValueCount: &types.ValueCountAggregation{Field: ptr("metadata")}},
			"teams":      {Cardinality: &types.CardinalityAggregation{Field: ptr("metadata.team")}},
		},
	}
}

// checkWireHits checks the hits of the first page: valid keys, each with a
// date_time _sort.
func checkWireHits(t *testing.T, resp *queryapikeys.Response) {
	t.Helper()
	for i, k := range resp.ApiKeys {
		if k.Invalidated || len(k.Sort_) != 2 || k.Id == "" || k.Name == "" {
			t.Fatalf("key %d: %+v", i, k)
		}
		if s, ok := k.Sort_[0].(string); !ok || !strings.HasSuffix(s, "Z") {
			t.Fatalf("key %d: _sort[0] = %#v, want a date_time string", i, k.Sort_[0])
		}
	}
}

// checkWireBucketAggs checks the bucket aggregations of resp (terms,
// composite and its next page, range, date_range) as the client decodes
// them.
func checkWireBucketAggs(t *testing.T, es *elasticsearch.TypedClient, req *queryapikeys.Request, resp *queryapikeys.Response) {
	t.Helper()
	ctx := t.Context()
	users, ok := resp.Aggregations["users"].(*types.StringTermsAggregate)
	if !ok {
		t.Fatalf("users: %T", resp.Aggregations["users"])
	}
	ub := users.Buckets.([]types.StringTermsBucket)
	if len(ub) != 3 || ub[0].DocCount == 0 || users.SumOtherDocCount == nil {
		t.Fatalf("users buckets: %+v", users)
	}
	if names, ok := ub[0].Aggregations["names"].(*types.CardinalityAggregate); !ok || names.Value == 0 {
		t.Fatalf("users>names: %#v", ub[0].Aggregations["names"])
	}
	states, ok := resp.Aggregations["states"].(*types.LongTermsAggregate)
	if !ok {
		t.Fatalf("states: %T", resp.Aggregations["states"])
	}
	sb := states.Buckets.([]types.LongTermsBucket)
	if len(sb) != 1 || sb[0].Key != 0 || sb[0].KeyAsString == nil || *sb[0].KeyAsString != "false" {
		t.Fatalf("states buckets: %+v", sb)
	}
	pairs, ok := resp.Aggregations["pairs"].(*types.CompositeAggregate)
	if !ok {
		t.Fatalf("pairs: %T", resp.Aggregations["pairs"])
	}
	pb := pairs.Buckets.([]types.CompositeBucket)
	if len(pb) != 2 || pairs.AfterKey["type"] == nil || pb[0].Key["type"] == nil {
		t.Fatalf("pairs: %+v", pairs)
	}
	// The next page of the composite, after the last key.
	after := map[string]types.FieldValue{}
	for k, v := range pairs.AfterKey {
		after[k] = v
	}
	next, err := es.Security.QueryApiKeys().Size(0).Aggregations(map[string]types.ApiKeyAggregationContainer{
		"pairs": {Composite: &types.CompositeAggregation{Size: ptr(2), After: after, Sources: req.Aggregations["pairs"].Composite.Sources}},
	}).Do(ctx)
	if err != nil {
		t.Fatalf("composite next page: %v", err)
	}
	if np := next.Aggregations["pairs"].(*types.CompositeAggregate).Buckets.([]types.CompositeBucket); len(np) == 0 {
		t.Fatal("composite next page is empty")
	}
	age, ok := resp.Aggregations["age"].(*types.RangeAggregate)
	if !ok {
		t.Fatalf("age: %T", resp.Aggregations["age"])
	}
	ab := age.Buckets.([]types.RangeBucket)
	if len(ab) != 2 || ab[0].To == nil || float64(*ab[0].To) != 1735689600000 || ab[1].Key == nil || *ab[1].Key != "2025" {
		t.Fatalf("age buckets: %+v", ab)
	}
	expiry, ok := resp.Aggregations["expiry"].(*types.DateRangeAggregate)
	if !ok {
		t.Fatalf("expiry: %T", resp.Aggregations["expiry"])
	}
	eb := expiry.Buckets.([]types.RangeBucket)
	if len(eb) != 2 || eb[1].FromAsString == nil || *eb[1].FromAsString != "2025-06-01" {
		t.Fatalf("expiry buckets: %+v", eb)
	}
	if owners, ok := eb[1].Aggregations["owners"].(*types.ValueCountAggregate); !ok || owners.Value == nil || int64(*owners.Value) != eb[1].DocCount {
		t.Fatalf("expiry>owners: %#v", eb[1].Aggregations["owners"])
	}
}

// checkWireOtherAggs checks the filter, filters, missing, value_count and
// cardinality aggregations of resp as the client decodes them.
func checkWireOtherAggs(t *testing.T, resp *queryapikeys.Response) {
	t.Helper()
	cross, ok := resp.Aggregations["cross"].(*types.FilterAggregate)
	if !ok || cross.DocCount == 0 {
		t.Fatalf("cross: %#v", resp.Aggregations["cross"])
	}
	if _, ok := cross.Aggregations["no_expiry"].(*types.MissingAggregate); !ok {
		t.Fatalf("cross>no_expiry: %#v", cross.Aggregations["no_expiry"])
	}
	kinds, ok := resp.Aggregations["kinds"].(*types.FiltersAggregate)
	if !ok {
		t.Fatalf("kinds: %T", resp.Aggregations["kinds"])
	}
	kb := kinds.Buckets.(map[string]types.FiltersBucket)
	if len(kb) != 3 || kb["ci"].DocCount == 0 || kb["app"].DocCount == 0 {
		t.Fatalf("kinds buckets: %+v", kb)
	}
	if _, ok := kb["_other_"]; !ok {
		t.Fatalf("kinds: no _other_ bucket: %+v", kb)
	}
	if m, ok := resp.Aggregations["unexpiring"].(*types.MissingAggregate); !ok || m.DocCount == 0 {
		t.Fatalf("unexpiring: %#v", resp.Aggregations["unexpiring"])
	}
	if v, ok := resp.Aggregations["leaves"].(*types.ValueCountAggregate); !ok || v.Value == nil || *v.Value == 0 {
		t.Fatalf("leaves: %#v", resp.Aggregations["leaves"])
	}
	if c, ok := resp.Aggregations["teams"].(*types.CardinalityAggregate); !ok || c.Value != 4 {
		t.Fatalf("teams: %#v", resp.Aggregations["teams"])
	}

}
