package query

import "testing"

// TestAggregateGroups: every aggregation GroupField accepts renders from
// its groups exactly as from the docs, and the others are refused.
func TestAggregateGroups(t *testing.T) {
	exp := testNow.UnixMilli() + 86400000
	docs := append(testDocs(),
		&Doc{Seq: 4, ID: "k4", Name: "ci-test", Type: "rest", Username: "carol", Realm: "native", Creation: 4, Expiration: &exp,
			Metadata: []Leaf{{"env", "prod"}, {"tags", "critical"}, {"tags", "critical"}, {"n", "7"}}},
		&Doc{Seq: 5, ID: "k5", Name: "z", Type: "rest", Username: "alice", Realm: "native", Creation: 5})
	grouped := []string{
		`{"terms":{"field":"username"}}`,
		`{"terms":{"field":"username","size":1}}`,
		`{"terms":{"field":"username","order":{"_key":"desc"}}}`,
		`{"terms":{"field":"username","order":[{"_count":"asc"},{"_key":"desc"}]}}`,
		`{"terms":{"field":"username","min_doc_count":2}}`,
		`{"terms":{"field":"username","include":"a.*|c.*"}}`,
		`{"terms":{"field":"username","exclude":["bob"]}}`,
		`{"terms":{"field":"username","include":{"partition":0,"num_partitions":2}}}`,
		`{"terms":{"field":"realm_name"}}`,
		`{"terms":{"field":"name","size":2}}`,
		`{"terms":{"field":"type"}}`,
		`{"terms":{"field":"invalidated"}}`,
		`{"terms":{"field":"expiration"}}`,
		`{"terms":{"field":"expiration","missing":0}}`,
		`{"terms":{"field":"creation","format":"yyyy"}}`,
		`{"terms":{"field":"metadata.env"}}`,
		`{"terms":{"field":"metadata.env","missing":"prod"}}`,
		`{"terms":{"field":"metadata.env","missing":"none"}}`,
		`{"terms":{"field":"metadata.tags"}}`,
		`{"terms":{"field":"metadata"}}`,
		`{"terms":{"field":"metadata.absent"}}`,
		`{"terms":{"field":"username"},"meta":{"team":["a",1]}}`,
		`{"value_count":{"field":"metadata"}}`,
		`{"value_count":{"field":"metadata.tags"}}`,
		`{"value_count":{"field":"expiration","missing":1}}`,
		`{"cardinality":{"field":"metadata"}}`,
		`{"cardinality":{"field":"metadata.env","missing":"prod"}}`,
		`{"cardinality":{"field":"metadata.env","missing":"other"}}`,
		`{"cardinality":{"field":"username"}}`,
		`{"missing":{"field":"expiration"}}`,
		`{"missing":{"field":"metadata.tags"}}`,
	}
	for _, agg := range grouped {
		t.Run(agg, func(t *testing.T) {
			r, err := Parse([]byte(`{"aggs":{"a":`+agg+`}}`), Options{Now: testNow})
			if err != nil {
				t.Fatal(err)
			}
			f, ok := r.Aggs[0].GroupField()
			if !ok {
				t.Fatal("GroupField refuses it")
			}
			for _, typed := range []bool{false, true} {
				want := Aggregate(r.Aggs, docs, typed)
				got := AggregateGroups(r.Aggs, []*Groups{CountGroups(docs, f)}, nil, typed)
				if string(got) != string(want) {
					t.Errorf("typed_keys=%v:\nfrom groups %s\nfrom docs   %s", typed, got, want)
				}
			}
		})
	}
	for _, agg := range []string{
		`{"terms":{"field":"username"},"aggs":{"n":{"cardinality":{"field":"name"}}}}`,
		`{"terms":{"field":"username","order":{"n":"desc"}},"aggs":{"n":{"cardinality":{"field":"name"}}}}`,
		`{"composite":{"sources":[{"u":{"terms":{"field":"username"}}}]}}`,
		`{"range":{"field":"creation","ranges":[{"to":3}]}}`,
		`{"filter":{"term":{"username":"alice"}}}`,
	} {
		r, err := Parse([]byte(`{"aggs":{"a":`+agg+`}}`), Options{Now: testNow})
		if err != nil {
			t.Fatalf("%s: %v", agg, err)
		}
		if _, ok := r.Aggs[0].GroupField(); ok {
			t.Errorf("%s: GroupField accepts an aggregation that needs the docs", agg)
		}
	}
	// Grouped and in-memory aggregations side by side keep their order.
	r, err := Parse([]byte(`{"aggs":{"x":{"filter":{"term":{"type":"rest"}}},"y":{"terms":{"field":"realm_name"}}}}`), Options{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := r.Aggs[1].GroupField()
	got := AggregateGroups(r.Aggs, []*Groups{nil, CountGroups(docs, f)}, docs, false)
	if want := Aggregate(r.Aggs, docs, false); string(got) != string(want) {
		t.Errorf("mixed:\n got %s\nwant %s", got, want)
	}
}
