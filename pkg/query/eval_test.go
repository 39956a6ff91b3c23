package query

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

func TestDates(t *testing.T) {
	now := time.Date(2024, 5, 15, 10, 30, 0, 0, time.UTC) // a Wednesday
	ms := func(s string) int64 { tm, _ := time.Parse(time.RFC3339Nano, s); return tm.UnixMilli() }
	tests := []struct {
		text, format, tz string
		roundUp          bool
		want             int64
	}{
		{"now", "epoch_millis", "", false, now.UnixMilli()},
		{"now-7d", "epoch_millis", "", false, ms("2024-05-08T10:30:00Z")},
		{"now+30d/d", "epoch_millis", "", false, ms("2024-06-14T00:00:00Z")},
		{"now+30d/d", "epoch_millis", "", true, ms("2024-06-14T23:59:59.999Z")},
		{"now/w", "epoch_millis", "", false, ms("2024-05-13T00:00:00Z")},
		{"now/M", "epoch_millis", "", true, ms("2024-05-31T23:59:59.999Z")},
		{"now/y", "epoch_millis", "", false, ms("2024-01-01T00:00:00Z")},
		{"now-1h/h", "epoch_millis", "", false, ms("2024-05-15T09:00:00Z")},
		{"now/d", "epoch_millis", "+02:00", false, ms("2024-05-14T22:00:00Z")},
		{"1700000000000", "epoch_millis", "", false, 1700000000000},
		{"1700000000000.9", "epoch_millis", "", false, 1700000000000},
		{"1700000000", "epoch_second", "", true, 1700000000999},
		// Past 2262, where the count in nanoseconds overflows int64.
		{"-62135596800000", "epoch_millis", "", false, -62135596800000},
		{"10000000000000.5", "epoch_millis", "", false, 10000000000000},
		{"-10000000000.5", "epoch_second", "", false, -10000000000500},
		{"2024-01-31||+1M", "yyyy-MM-dd", "", false, ms("2024-02-29T00:00:00Z")},
		{"2024-02-29||+1y", "yyyy-MM-dd", "", false, ms("2025-02-28T00:00:00Z")},
		{"2024-01-01", "strict_date_optional_time", "", false, ms("2024-01-01T00:00:00Z")},
		{"2024-01-01", "strict_date_optional_time", "", true, ms("2024-01-01T23:59:59.999Z")},
		{"2024-01", "strict_date_optional_time", "", true, ms("2024-01-01T23:59:59.999Z")},
		{"2024-01-01T10", "strict_date_optional_time", "", true, ms("2024-01-01T10:59:59.999Z")},
		{"2024-01-01T10:11:12.5+01:00", "strict_date_optional_time", "", false, ms("2024-01-01T09:11:12.5Z")},
		{"2024-01-01T10:11:12", "strict_date_optional_time", "Europe/Paris", false, ms("2024-01-01T09:11:12Z")},
		{"2021-08-18T01:29:14.811Z", "date_time", "", false, ms("2021-08-18T01:29:14.811Z")},
		{"20240102", "basic_date", "", false, ms("2024-01-02T00:00:00Z")},
		{"15/05/2024 10:11 PM", "dd/MM/yyyy hh:mm a", "", false, ms("2024-05-15T22:11:00Z")},
		{"May 15, 2024", "MMM dd, yyyy", "", false, ms("2024-05-15T00:00:00Z")},
		{"x||+1d", "strict_date_optional_time||epoch_millis", "", false, 0},
	}
	for _, tt := range tests {
		f, err := ParseDateFormat(tt.format)
		if err != nil {
			t.Fatal(err)
		}
		var loc *time.Location
		if tt.tz != "" {
			if loc, err = ParseTimeZone(tt.tz); err != nil {
				t.Fatal(err)
			}
		}
		got, err := parseDateMath(tt.text, f, loc, now, tt.roundUp)
		if tt.want == 0 {
			if err == nil {
				t.Errorf("%s: no error", tt.text)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s (%s, round up %v): got %d %v, want %d", tt.text, tt.format, tt.roundUp, got, err, tt.want)
		}
	}
	for _, tt := range []struct{ format, want string }{
		{"epoch_millis", "1629250154811"},
		{"epoch_second", "1629250154.811"},
		{"date_time", "2021-08-18T01:29:14.811Z"},
		{"strict_date_optional_time", "2021-08-18T01:29:14.811Z"},
		{"yyyy-MM-dd HH:mm", "2021-08-18 01:29"},
		{"basic_date_time", "20210818T012914.811Z"},
	} {
		if got := mustFormat(tt.format).Format(1629250154811, nil); got != tt.want {
			t.Errorf("format %s: %q, want %q", tt.format, got, tt.want)
		}
	}
}

func TestJavaNumbers(t *testing.T) {
	for in, want := range map[string]string{
		"42": "42", "-0": "0", "1.50": "1.5", "1e3": "1000.0", "1E10": "1.0E10", "0.0001": "1.0E-4",
		"12345678901234567890": "12345678901234567890", "1234567.0": "1234567.0", "12345678.9": "1.23456789E7",
	} {
		if got := JavaNumber(in); got != want {
			t.Errorf("JavaNumber(%s) = %s, want %s", in, got, want)
		}
	}
	if got := JavaDouble(1704067200000); got != "1.7040672E12" {
		t.Errorf("JavaDouble = %s", got)
	}
}

func TestWildcardAndFuzzy(t *testing.T) {
	for _, tt := range []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true}, {"a*", "abc", true}, {"*c", "abc", true}, {"a?c", "abc", true}, {"a?c", "ac", false},
		{"a\\*", "a*", true}, {"a\\*", "ab", false}, {"é?", "éé", true}, {"*a*b*", "xxaxxbxx", true}, {"ab", "abc", false},
		{"key[1]", "key[1]", true}, {"a\\", "a\\", true},
	} {
		if got := WildcardMatch(tt.pattern, tt.s); got != tt.want {
			t.Errorf("WildcardMatch(%q, %q) = %v", tt.pattern, tt.s, got)
		}
	}
	for _, tt := range []struct {
		term, s       string
		edits, prefix int
		transpose     bool
		want          bool
	}{
		{"monitorign", "monitoring", 1, 0, true, true},
		{"monitorign", "monitoring", 1, 0, false, false},
		{"monitorign", "monitoring", 2, 0, false, true},
		{"backp", "backup", 1, 0, true, true},
		{"backup", "hackup", 1, 1, true, false},
		{"ab", "", 2, 0, true, true},
	} {
		if got := FuzzyMatch(tt.term, tt.s, tt.edits, tt.prefix, tt.transpose); got != tt.want {
			t.Errorf("FuzzyMatch(%q, %q, %d, %d, %v) = %v", tt.term, tt.s, tt.edits, tt.prefix, tt.transpose, got)
		}
	}
	if Fold("ÉtÉ Straße ſ") != "été straße s" {
		t.Errorf("Fold = %q", Fold("ÉtÉ Straße ſ"))
	}
}

func TestMinShouldMatch(t *testing.T) {
	for _, tt := range []struct {
		n    int
		spec string
		want int
	}{
		{4, "2", 2}, {4, "-1", 3}, {4, "75%", 3}, {4, "-25%", 3}, {3, "50%", 1}, {5, "2<-25%", 4}, {2, "2<-25%", 2},
		{10, "3<-1 5<50%", 5}, {4, "6", 6}, {4, "-6", 0},
	} {
		got, err := minShouldMatch(tt.n, tt.spec)
		if err != nil || got != tt.want {
			t.Errorf("minShouldMatch(%d, %q) = %d %v, want %d", tt.n, tt.spec, got, err, tt.want)
		}
	}
}

func TestFlatten(t *testing.T) {
	leaves, err := Flatten([]byte(`{"a":{"b":[1.50,{"c":true}],"d":null,"e":{}},"a.b":"x","n":[[1,2]],"z":"\u00e9"}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []Leaf{{"a.b", "1.50"}, {"a.b.c", "true"}, {"a.b", "x"}, {"n", "1"}, {"n", "2"}, {"z", "é"}}
	if !reflect.DeepEqual(leaves, want) {
		t.Fatalf("got %v, want %v", leaves, want)
	}
}

// testDocs are a few keys for the evaluator tests.
func testDocs() []*Doc {
	exp := testNow.UnixMilli() + 86400000
	return []*Doc{
		{Seq: 1, ID: "k1", Name: "ci-deploy", Type: "rest", Username: "alice", Realm: "native", Creation: 1, Expiration: &exp,
			Metadata: []Leaf{{"env", "prod"}, {"team", "payments"}, {"tags", "critical"}}},
		{Seq: 2, ID: "k2", Name: "backup", Type: "rest", Username: "bob", Realm: "native", Creation: 2, Invalidated: true,
			Metadata: []Leaf{{"env", "dev"}, {"version", "1.50"}}},
		{Seq: 3, ID: "k3", Name: "monitoring", Type: "cross_cluster", Username: "alice", Realm: "file", Creation: 3,
			Metadata: []Leaf{{"env", "prod"}, {"tags", "batch"}}},
	}
}

func matchIDs(t *testing.T, body string) []string {
	t.Helper()
	r, err := Parse([]byte(body), Options{Now: testNow})
	if err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	var ids []string
	for _, d := range testDocs() {
		if Match(r.Query, d) {
			ids = append(ids, d.ID)
		}
	}
	return ids
}

func TestQuerySemantics(t *testing.T) {
	for _, tt := range []struct {
		body string
		want []string
	}{
		{`{"query":{"term":{"metadata":"prod"}}}`, []string{"k1", "k3"}},
		{`{"query":{"term":{"metadata.version":"1.50"}}}`, []string{"k2"}},
		{`{"query":{"term":{"metadata.version":1.50}}}`, nil},
		{`{"query":{"bool":{"must_not":{"exists":{"field":"expiration"}}}}}`, []string{"k2", "k3"}},
		{`{"query":{"bool":{"must_not":{"range":{"expiration":{"lt":"now+2d"}}}}}}`, []string{"k2", "k3"}},
		{`{"query":{"bool":{"should":[{"term":{"username":"bob"}}],"must":[{"term":{"realm_name":"native"}}]}}}`, []string{"k1", "k2"}},
		{`{"query":{"bool":{"should":[{"term":{"username":"bob"}},{"term":{"metadata.env":"dev"}}],"minimum_should_match":2}}}`, []string{"k2"}},
		{`{"query":{"bool":{"should":[{"term":{"username":"bob"}}],"minimum_should_match":2}}}`, nil},
		{`{"query":{"bool":{"must_not":[{"term":{"username":"bob"}}]}}}`, []string{"k1", "k3"}},
		{`{"query":{"bool":{}}}`, []string{"k1", "k2", "k3"}},
		{`{"query":{"match":{"name":{"query":"backup ci-deploy","analyzer":"whitespace"}}}}`, []string{"k1", "k2"}},
		{`{"query":{"match":{"name":{"query":"backup ci-deploy","analyzer":"whitespace","operator":"and"}}}}`, nil},
		{`{"query":{"match":{"name":"ci deploy"}}}`, nil},
		{`{"query":{"match":{"name":{"query":"  ","analyzer":"standard","zero_terms_query":"all"}}}}`, []string{"k1", "k2", "k3"}},
		{`{"query":{"match":{"invalidated":"true"}}}`, []string{"k2"}},
		{`{"query":{"match":{"creation":{"query":"soon","lenient":true}}}}`, nil},
		{`{"query":{"term":{"creation":2}}}`, []string{"k2"}},
		{`{"query":{"range":{"invalidated":{"gt":false}}}}`, []string{"k2"}},
		{`{"query":{"simple_query_string":{"query":"prod -critical","fields":["metadata"]}}}`, []string{"k1", "k2", "k3"}},
		{`{"query":{"simple_query_string":{"query":"-critical","fields":["metadata"]}}}`, []string{"k2", "k3"}},
		{`{"query":{"simple_query_string":{"query":"prod -critical","fields":["metadata"],"default_operator":"and"}}}`, []string{"k3"}},
		{`{"query":{"simple_query_string":{"query":"ci* | backp~1","fields":["name"]}}}`, []string{"k1", "k2"}},
		{`{"query":{"simple_query_string":{"query":"+alice +file"}}}`, []string{"k3"}},
		{`{"query":{"simple_query_string":{"query":"\"cross_cluster\"","fields":["ty*"]}}}`, []string{"k3"}},
		{`{"query":{"simple_query_string":{"query":"(prod | dev) +payments","fields":["metadata.*","metadata"]}}}`, []string{"k1"}},
		{`{"query":{"simple_query_string":{"query":"alice","fields":["nope*"]}}}`, nil},
		{`{"query":{"simple_query_string":{"query":"true","fields":["invalidated"]}}}`, []string{"k2"}},
		{`{"query":{"ids":{"values":["k3","k9"]}}}`, []string{"k3"}},
		{`{"query":{"prefix":{"metadata.tags":"crit"}}}`, []string{"k1"}},
		{`{"query":{"wildcard":{"type":{"value":"CROSS*","case_insensitive":true}}}}`, []string{"k3"}},
	} {
		if got := matchIDs(t, tt.body); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.body, got, tt.want)
		}
	}
}

func TestAggregate(t *testing.T) {
	r, err := Parse([]byte(`{"aggs":{
		"users":{"terms":{"field":"username"},"aggs":{"envs":{"cardinality":{"field":"metadata.env"}}}},
		"c":{"composite":{"size":2,"sources":[{"t":{"terms":{"field":"type"}}},{"i":{"terms":{"field":"invalidated"}}}]}},
		"exp":{"date_range":{"field":"expiration","ranges":[{"to":"now"},{"from":"now"}]}},
		"f":{"filters":{"other_bucket":true,"filters":{"prod":{"term":{"metadata.env":"prod"}}}}},
		"m":{"missing":{"field":"expiration"}},
		"v":{"value_count":{"field":"metadata"}}}}`), Options{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	got := Aggregate(r.Aggs, testDocs(), true)
	want := `{"sterms#users":{"doc_count_error_upper_bound":0,"sum_other_doc_count":0,"buckets":[` +
		`{"key":"alice","doc_count":2,"cardinality#envs":{"value":1}},{"key":"bob","doc_count":1,"cardinality#envs":{"value":1}}]},` +
		`"composite#c":{"after_key":{"t":"rest","i":false},"buckets":[{"key":{"t":"cross_cluster","i":false},"doc_count":1},{"key":{"t":"rest","i":false},"doc_count":1}]},` +
		`"date_range#exp":{"buckets":[{"key":"*-1748779200000","to":1.7487792E12,"to_as_string":"1748779200000","doc_count":0},` +
		`{"key":"1748779200000-*","from":1.7487792E12,"from_as_string":"1748779200000","doc_count":1}]},` +
		`"filters#f":{"buckets":{"prod":{"doc_count":2},"_other_":{"doc_count":1}}},` +
		`"missing#m":{"doc_count":2},"value_count#v":{"value":7}}`
	if string(got) != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if !json.Valid(got) {
		t.Fatal("not JSON")
	}
}

func TestSearchApply(t *testing.T) {
	r, err := Parse([]byte(`{"sort":[{"metadata.tags":"asc"},{"creation":"desc"}],"size":2}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	total, hits := r.Apply(testDocs())
	if total != 3 || len(hits) != 2 || hits[0].Doc.ID != "k3" || hits[1].Doc.ID != "k1" {
		t.Fatalf("total %d hits %+v", total, hits)
	}
	if !reflect.DeepEqual(hits[0].Sort, []any{"batch", int64(3)}) {
		t.Fatalf("sort values %v", hits[0].Sort)
	}
	r.SearchAfter = hits[1].Sort
	_, hits = r.Apply(testDocs())
	if len(hits) != 1 || hits[0].Doc.ID != "k2" || hits[0].Sort[0] != nil {
		t.Fatalf("after: %+v", hits)
	}
}

// FuzzParse feeds the parser arbitrary bodies: it must never panic, every
// error must be a 400 api.Error, and whatever it accepts must evaluate and
// aggregate.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		``, `{}`, `{"query":{"match_all":{}}}`,
		`{"query":{"bool":{"must":[{"term":{"name":"a"}}],"should":[{"prefix":{"metadata.x":"p"}}],"minimum_should_match":"50%"}}}`,
		`{"query":{"range":{"creation":{"gte":"now-7d/d","lt":"2025-01-01","format":"yyyy-MM-dd||epoch_millis"}}}}`,
		`{"query":{"simple_query_string":{"query":"a* +(b | \"c d\") -e~1","fields":["*"]}}}`,
		`{"query":{"match":{"name":{"query":"a b","analyzer":"standard","fuzziness":"AUTO:2,4"}}}}`,
		`{"sort":["name",{"expiration":{"order":"desc","missing":"_first","format":"date_time"}}],"search_after":["a",1],"size":3}`,
		`{"aggs":{"a":{"terms":{"field":"metadata","include":"a.*","order":{"_key":"asc"}},"aggs":{"b":{"filter":{"exists":{"field":"expiration"}}}}},` +
			`"c":{"composite":{"sources":[{"s":{"terms":{"field":"type","missing_bucket":true}}}],"after":{"s":"rest"}}},` +
			`"d":{"date_range":{"field":"creation","ranges":[{"from":"now-1y","to":"now"}]}},"e":{"filters":{"filters":[{"match_all":{}}]}}}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := Parse(body, Options{Now: testNow})
		if err != nil {
			var e *api.Error
			if !errors.As(err, &e) || e.Code.Status() != 400 {
				t.Fatalf("%q: error %v is not a 400 api.Error", body, err)
			}
			_ = api.Envelope(e)
			return
		}
		docs := testDocs()
		r.Apply(docs)
		if out := Aggregate(r.Aggs, docs, true); !json.Valid(out) {
			t.Fatalf("%q: aggregations are not JSON: %s", body, out)
		}
	})
}
