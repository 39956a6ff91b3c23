package storetest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/query"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// This file is the contract of Reader.QueryAPIKeys: over the same keys, a
// store must give what query.Search.Apply, the in-memory evaluator, gives
// — the same total, the same keys in the same order, the same sort values
// — for hand-written requests and for random query trees.

// runQuerySuite registers the QueryAPIKeys tests.
func (s *suite) runQuerySuite(t *testing.T) {
	t.Run("Requests", s.testQueryRequests)
	t.Run("Differential", s.testQueryDifferential)
	t.Run("Matches", s.testQueryMatches)
	t.Run("MetadataFollowsWrites", s.testQueryMetadataFollowsWrites)
	t.Run("Paging", s.testQueryPaging)
	t.Run("MetadataLeaves", s.testQueryMetadataLeaves)
}

// Vocabularies of the generated keys, small so that values repeat.
var (
	genNames    = []string{"ci-deploy", "ci-build", "Ci-Deploy", "backup", "monitoring", "app-1", "app-2", "app-10", "web*star", "key[1]", "été", "ÉTÉ", "", "a", "ab"}
	genUsers    = []string{"alice", "bob", "carol", "elastic", "Alice"}
	genRealms   = []string{"default_native", "reserved", "os", "file"}
	genTypes    = []string{"rest", "cross_cluster"}
	genMDKeys   = []string{"env", "team", "tags", "owner.name", "version", "n", "flag"}
	genMDValues = []any{"prod", "staging", "dev", "Prod", "ops", "dev ops", "a.b", "x*y", "10", "9"}
)

// GenerateKeys returns n keys made from seed: names, owners, realms, types,
// times around now (epoch ms) and metadata drawn from small vocabularies,
// nested objects, arrays, numbers written in several ways, booleans and
// nulls included. The same seed gives the same keys.
func GenerateKeys(seed int64, n int, now int64) []*store.APIKey {
	r := rand.New(rand.NewPCG(uint64(seed), 0x5eed))
	keys := make([]*store.APIKey, n)
	day := int64(24 * time.Hour / time.Millisecond)
	for i := range keys {
		k := newKey(fmt.Sprintf("key-%04d-%s", i, strconv.FormatUint(r.Uint64()%1e6, 36)))
		k.Name = genNames[r.IntN(len(genNames))]
		k.Creation = now - r.Int64N(400)*day - r.Int64N(day)
		if r.IntN(3) > 0 {
			e := k.Creation + (r.Int64N(60)-5)*day
			if r.IntN(10) == 0 {
				e = now + r.Int64N(10)*day
			}
			k.Expiration = &e
		} else {
			k.Expiration = nil
		}
		k.Invalidated = r.IntN(4) == 0
		k.Invalidation = nil
		if k.Invalidated && r.IntN(5) > 0 {
			inv := k.Creation + r.Int64N(30)*day
			k.Invalidation = &inv
		}
		k.Type = genTypes[r.IntN(4)/3]
		k.Creator.Principal = genUsers[r.IntN(len(genUsers))]
		k.Creator.Realm = genRealms[r.IntN(len(genRealms))]
		k.Metadata = genMetadata(r)
		keys[i] = k
	}
	return keys
}

func genMetadata(r *rand.Rand) json.RawMessage {
	if r.IntN(6) == 0 {
		return json.RawMessage(`{}`)
	}
	var b strings.Builder
	b.WriteByte('{')
	n := 1 + r.IntN(4)
	used := map[string]bool{}
	first := true
	for range n {
		key := genMDKeys[r.IntN(len(genMDKeys))]
		if used[key] {
			continue
		}
		used[key] = true
		if !first {
			b.WriteByte(',')
		}
		first = false
		fmt.Fprintf(&b, "%q:", key)
		genMDValue(r, &b, 0)
	}
	b.WriteByte('}')
	return json.RawMessage(b.String())
}

func genMDValue(r *rand.Rand, b *strings.Builder, depth int) {
	switch x := r.IntN(12); {
	case x < 5:
		v, _ := json.Marshal(genMDValues[r.IntN(len(genMDValues))])
		b.Write(v)
	case x == 5:
		b.WriteString([]string{"1.50", "42", "1e3", "-0", "7"}[r.IntN(5)])
	case x == 6:
		b.WriteString([]string{"true", "false"}[r.IntN(2)])
	case x == 7:
		b.WriteString("null")
	case x < 10 && depth < 2:
		b.WriteByte('[')
		for i := range 1 + r.IntN(3) {
			if i > 0 {
				b.WriteByte(',')
			}
			genMDValue(r, b, depth+1)
		}
		b.WriteByte(']')
	case depth < 2:
		b.WriteByte('{')
		for i := range 1 + r.IntN(2) {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(b, "%q:", []string{"name", "region", "id"}[i])
			genMDValue(r, b, depth+1)
		}
		b.WriteByte('}')
	default:
		b.WriteString(`"leaf"`)
	}
}

// fixtureNow is the clock of the query tests.
var fixtureNow = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)

// seedQueryKeys inserts the generated keys and returns them with the
// store's view of them as query docs.
func seedQueryKeys(t *testing.T, st store.Store, seed int64, n int) []*query.Doc {
	t.Helper()
	keys := GenerateKeys(seed, n, fixtureNow.UnixMilli())
	insert(t, st, keys...)
	recordUsage(t, st, generateUsage(keys)...)
	return allDocs(t, st)
}

// generateUsage reports uses of two keys in three, at instants spread
// over the 200 days before fixtureNow, some of them equal.
func generateUsage(keys []*store.APIKey) []store.KeyUsage {
	var out []store.KeyUsage
	for i, k := range keys {
		if i%3 == 0 {
			continue
		}
		at := fixtureNow.UnixMilli() - int64(i*7919%200)*86400000 - int64(i%2)*3600000
		out = append(out, store.KeyUsage{ID: k.ID, LastUsed: at, LastFrom: "10.0.0.1", Count: int64(i)})
	}
	return out
}

func allDocs(t *testing.T, st store.Store) []*query.Doc {
	t.Helper()
	var page *store.KeyPage
	view(t, st, func(r store.Reader) error {
		var err error
		page, err = r.QueryAPIKeys(t.Context(), &store.KeySearch{Search: query.Search{Size: 0}, Matches: true})
		return err
	})
	return page.Matches
}

// runSearch runs s against the store and the evaluator and fails the test
// where they differ.
func runSearch(t *testing.T, st store.Store, docs []*query.Doc, s query.Search, label string) *store.KeyPage {
	t.Helper()
	var page *store.KeyPage
	err := st.View(t.Context(), func(r store.Reader) error {
		var err error
		page, err = r.QueryAPIKeys(t.Context(), &store.KeySearch{Search: s, Matches: true, Groups: groupFields})
		return err
	})
	if err != nil {
		t.Fatalf("%s: QueryAPIKeys: %v", label, err)
	}
	checkGroups(t, page, docs, s.Query, label)
	total, hits := s.Apply(docs)
	var wantIDs, gotIDs []string
	var wantSort, gotSort [][]any
	for _, h := range hits {
		wantIDs = append(wantIDs, h.Doc.ID)
		wantSort = append(wantSort, h.Sort)
	}
	for i, k := range page.Keys {
		gotIDs = append(gotIDs, k.ID)
		gotSort = append(gotSort, page.Sort[i])
	}
	if page.Total != total || !slices.Equal(wantIDs, gotIDs) {
		t.Fatalf("%s:\nstore: total %d, keys %v\nevaluator: total %d, keys %v", label, page.Total, gotIDs, total, wantIDs)
	}
	if len(s.Sort) > 0 && !reflect.DeepEqual(normalizeSorts(wantSort), normalizeSorts(gotSort)) {
		t.Fatalf("%s: sort values:\nstore:     %v\nevaluator: %v", label, gotSort, wantSort)
	}
	var matchIDs []string
	for _, d := range page.Matches {
		matchIDs = append(matchIDs, d.ID)
	}
	var wantMatches []string
	for _, d := range docs {
		if query.Match(s.Query, d) {
			wantMatches = append(wantMatches, d.ID)
		}
	}
	if !slices.Equal(matchIDs, wantMatches) {
		t.Fatalf("%s: matches:\nstore:     %v\nevaluator: %v", label, matchIDs, wantMatches)
	}
	return page
}

// groupFields are the fields every differential search also groups by.
var groupFields = []query.Field{
	query.F(query.FieldUsername), query.F(query.FieldRealm), query.F(query.FieldName), query.F(query.FieldType),
	query.F(query.FieldCreation), query.F(query.FieldExpiration), query.F(query.FieldInvalidated),
	query.F(query.FieldInvalidation), query.F(query.FieldMetadata), query.F(query.FieldLastUsed),
	{Name: query.FieldMetadata, Keyed: true, Key: "env"}, {Name: query.FieldMetadata, Keyed: true, Key: "tags"},
	{Name: query.FieldMetadata, Keyed: true, Key: "version"}, {Name: query.FieldMetadata, Keyed: true, Key: "absent"},
}

// checkGroups fails the test where the store's groups of the keys q
// matches differ from query.CountGroups over the same keys.
func checkGroups(t *testing.T, page *store.KeyPage, docs []*query.Doc, q query.Query, label string) {
	t.Helper()
	var matched []*query.Doc
	for _, d := range docs {
		if query.Match(q, d) {
			matched = append(matched, d)
		}
	}
	if len(page.Groups) != len(groupFields) {
		t.Fatalf("%s: %d groups for %d fields", label, len(page.Groups), len(groupFields))
	}
	asMap := func(g *query.Groups) map[any]int64 {
		m := map[any]int64{"<missing>": g.Missing}
		for _, v := range g.Values {
			m[v.Value] += v.Count
		}
		return m
	}
	for i, f := range groupFields {
		got, want := asMap(page.Groups[i]), asMap(query.CountGroups(matched, f))
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: groups by %s:\nstore:     %v\nevaluator: %v", label, f, got, want)
		}
	}
}

func normalizeSorts(v [][]any) [][]any {
	if len(v) == 0 {
		return nil
	}
	return v
}

// queryRequests are hand-written request bodies covering every query type,
// sort and page feature.
var queryRequests = []string{
	`{}`,
	`{"query":{"match_all":{}},"size":50}`,
	`{"query":{"term":{"name":"ci-deploy"}},"size":50}`,
	`{"query":{"term":{"name":{"value":"ci-deploy","case_insensitive":true}}},"size":50}`,
	`{"query":{"terms":{"username":["alice","carol"]}},"size":50}`,
	`{"query":{"term":{"realm_name":"os"}},"size":50}`,
	`{"query":{"term":{"realm":"reserved"}},"size":50}`,
	`{"query":{"term":{"type":"cross_cluster"}},"size":50}`,
	`{"query":{"term":{"invalidated":true}},"size":50}`,
	`{"query":{"term":{"invalidated":"false"}},"size":50}`,
	`{"query":{"range":{"creation":{"gte":"now-30d","lt":"now"}}},"size":50}`,
	`{"query":{"range":{"expiration":{"lte":"now+7d/d","gt":"now"}}},"size":50}`,
	`{"query":{"range":{"expiration":{"gte":"2025-01-01","format":"strict_date_optional_time"}}},"size":50}`,
	`{"query":{"range":{"invalidation":{"gte":1700000000000}}},"size":50}`,
	`{"query":{"range":{"name":{"gte":"app","lt":"b"}}},"size":50}`,
	`{"query":{"range":{"invalidated":{"gte":true}}},"size":50}`,
	`{"query":{"prefix":{"name":"app-"}},"size":50}`,
	`{"query":{"prefix":{"name":{"value":"CI-","case_insensitive":true}}},"size":50}`,
	`{"query":{"prefix":{"metadata.env":"pr"}},"size":50}`,
	`{"query":{"wildcard":{"name":"app-?"}},"size":50}`,
	`{"query":{"wildcard":{"name":"*deploy"}},"size":50}`,
	`{"query":{"wildcard":{"name":"web\\*s*"}},"size":50}`,
	`{"query":{"wildcard":{"name":"key[1]"}},"size":50}`,
	`{"query":{"wildcard":{"name":{"value":"ÉT?","case_insensitive":true}}},"size":50}`,
	`{"query":{"ids":{"values":["key-0001-x","nope"]}},"size":50}`,
	`{"query":{"exists":{"field":"expiration"}},"size":50}`,
	`{"query":{"bool":{"must_not":{"exists":{"field":"expiration"}}}},"size":50}`,
	`{"query":{"exists":{"field":"metadata.tags"}},"size":50}`,
	`{"query":{"exists":{"field":"metadata"}},"size":50}`,
	`{"query":{"term":{"metadata.env":"prod"}},"size":50}`,
	`{"query":{"term":{"metadata":"prod"}},"size":50}`,
	`{"query":{"term":{"metadata.version":"1.50"}},"size":50}`,
	`{"query":{"term":{"metadata.version":42}},"size":50}`,
	`{"query":{"term":{"metadata.n":true}},"size":50}`,
	`{"query":{"terms":{"metadata.tags":["prod","ops"]}},"size":50}`,
	`{"query":{"range":{"metadata.version":{"gte":"1","lt":"5"}}},"size":50}`,
	`{"query":{"term":{"metadata.owner.name":"prod"}},"size":50}`,
	`{"query":{"term":{"metadata.tags.region":"dev"}},"size":50}`,
	`{"query":{"match":{"name":"ci-deploy"}},"size":50}`,
	`{"query":{"match":{"name":{"query":"ci-deploy backup","analyzer":"whitespace"}}},"size":50}`,
	`{"query":{"match":{"name":{"query":"ci-deplyo","fuzziness":"AUTO"}}},"size":50}`,
	`{"query":{"match":{"creation":"now"}},"size":50}`,
	`{"query":{"simple_query_string":{"query":"prod -staging","fields":["metadata"]}},"size":50}`,
	`{"query":{"simple_query_string":{"query":"ci* +alice","fields":["name","username"]}},"size":50}`,
	`{"query":{"simple_query_string":{"query":"backp~1 | monitoring"}},"size":50}`,
	`{"query":{"simple_query_string":{"query":"\"dev ops\"","fields":["metadata.*","metadata.env"]}},"size":50}`,
	`{"query":{"bool":{"should":[{"term":{"name":"backup"}},{"term":{"username":"bob"}},{"term":{"type":"cross_cluster"}}],"minimum_should_match":2}},"size":50}`,
	`{"query":{"bool":{"must":{"term":{"invalidated":false}},"should":[{"range":{"expiration":{"gte":"now"}}},{"bool":{"must_not":{"exists":{"field":"expiration"}}}}],"minimum_should_match":1}},"size":50}`,
	`{"query":{"bool":{"filter":[{"prefix":{"name":"ci"}}],"must_not":[{"term":{"username":"alice"}}],"should":[{"term":{"realm_name":"os"}}]}},"size":50}`,
	`{"query":{"bool":{"must_not":[{"range":{"expiration":{"lt":"now"}}}]}},"size":50}`,
	`{"query":{"bool":{"should":[{"term":{"name":"a"}}],"minimum_should_match":"-1"}},"size":50}`,
	`{"sort":["name"],"size":50}`,
	`{"sort":[{"name":"desc"},"_doc"],"size":50}`,
	`{"sort":[{"expiration":{"order":"asc"}}],"size":50}`,
	`{"sort":[{"expiration":{"order":"desc","missing":"_first"}}],"size":50}`,
	`{"sort":[{"invalidation":{"order":"asc","missing":0}}],"size":50}`,
	`{"sort":["metadata.env","creation"],"size":50}`,
	`{"sort":[{"metadata":{"order":"desc"}}],"size":50}`,
	`{"sort":[{"metadata.tags":{"order":"asc","missing":"_first"}}],"size":50}`,
	`{"sort":[{"metadata.tags":{"order":"asc","missing":"zzz","mode":"max"}}],"size":50}`,
	`{"sort":["invalidated",{"creation":"desc"}],"size":50}`,
	`{"sort":["_doc"],"from":5,"size":7}`,
	`{"sort":["username","name","creation"],"search_after":["bob","backup",0],"size":20}`,
	`{"sort":[{"expiration":"desc"},"_doc"],"search_after":[9223372036854775807,3],"size":20}`,
	`{"sort":[{"expiration":"desc"},"_doc"],"search_after":[-9223372036854775808,3],"size":20}`,
	`{"sort":["metadata.env","_doc"],"search_after":["prod",10],"size":20}`,
	`{"sort":["metadata.env","_doc"],"search_after":[null,10],"size":20}`,
	`{"sort":[{"metadata.env":{"missing":"_first"}},"_doc"],"search_after":[null,10],"size":20}`,
	`{"query":{"term":{"username":"alice"}},"from":3,"size":4}`,
	`{"size":0}`,
}

func (s *suite) testQueryRequests(t *testing.T) {
	st := s.open(t)
	docs := seedQueryKeys(t, st, 42, 120)
	for _, body := range queryRequests {
		req, err := query.Parse([]byte(body), query.Options{Now: fixtureNow})
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		runSearch(t, st, docs, req.Search, body)
	}
}

func (s *suite) testQueryDifferential(t *testing.T) {
	st := s.open(t)
	docs := seedQueryKeys(t, st, 7, 150)
	r := rand.New(rand.NewPCG(2024, 7))
	g := &queryGen{r: r, docs: docs}
	for i := range 400 {
		search := query.Search{Query: g.query(3), Size: 1 + r.IntN(30), From: r.IntN(3) * r.IntN(10)}
		if r.IntN(3) > 0 {
			search.Sort = g.sorts()
			if r.IntN(3) == 0 {
				// search after a random key's sort values
				d := docs[r.IntN(len(docs))]
				for _, c := range search.Sort {
					search.SearchAfter = append(search.SearchAfter, c.SortValue(d))
				}
				search.From = 0
			}
		}
		runSearch(t, st, docs, search, fmt.Sprintf("random search %d: %s", i, describeSearch(search)))
	}
}

// queryGen makes random query trees over the fields of the generated keys,
// with values drawn mostly from what the keys hold.
type queryGen struct {
	r    *rand.Rand
	docs []*query.Doc
}

var genFields = []string{
	query.FieldUsername, query.FieldRealm, query.FieldName, query.FieldType, query.FieldCreation,
	query.FieldExpiration, query.FieldInvalidated, query.FieldInvalidation, query.FieldMetadata, query.FieldLastUsed,
	"metadata.env", "metadata.tags", "metadata.version", "metadata.owner.name", "metadata.tags.region", "metadata.n", "metadata.none",
}

func (g *queryGen) field() query.Field { return query.F(genFields[g.r.IntN(len(genFields))]) }

// value picks a value of f: usually one a key has, sometimes another.
func (g *queryGen) value(f query.Field) any {
	for range 5 {
		d := g.docs[g.r.IntN(len(g.docs))]
		if vs := d.Values(f); len(vs) > 0 {
			v := vs[g.r.IntN(len(vs))]
			if n, ok := v.(int64); ok && f.Kind() == query.Date && g.r.IntN(2) == 0 {
				return n + g.r.Int64N(5*86400000) - 2*86400000
			}
			return v
		}
	}
	switch f.Kind() {
	case query.Date:
		return fixtureNow.UnixMilli() - g.r.Int64N(400*86400000)
	case query.Boolean:
		return int64(g.r.IntN(2))
	}
	return []string{"zz", "", "app", "prod", "É"}[g.r.IntN(5)]
}

func (g *queryGen) stringField() query.Field {
	for {
		if f := g.field(); !f.Numeric() {
			return f
		}
	}
}

// query draws a query of every kind the DSL has, nesting bool queries
// at most depth deep.
func (g *queryGen) query(depth int) query.Query {
	r := g.r
	switch x := r.IntN(14); {
	case x < 3 && depth > 0:
		return g.boolQuery(depth)
	case x == 3:
		return g.termQuery()
	case x == 4:
		return g.rangeQuery()
	case x == 5:
		f := g.stringField()
		v, _ := g.value(f).(string)
		if n := len([]rune(v)); n > 0 {
			v = string([]rune(v)[:r.IntN(n+1)])
		}
		return &query.Prefix{Field: f, Value: v, CaseInsensitive: r.IntN(3) == 0}
	case x == 6:
		return g.wildcardQuery()
	case x == 7:
		var ids []string
		for range 1 + r.IntN(4) {
			ids = append(ids, g.docs[r.IntN(len(g.docs))].ID)
		}
		return &query.IDs{Values: append(ids, "no-such-id")}
	case x == 8:
		return &query.Exists{Field: g.field()}
	case x == 9:
		f := g.stringField()
		if f.Keyed {
			f = query.F(query.FieldName)
		}
		v, _ := g.value(f).(string)
		return &query.Fuzzy{Field: f, Value: v + "x", MaxEdits: 1 + r.IntN(2), PrefixLength: r.IntN(2), Transpositions: r.IntN(2) == 0}
	case x == 10:
		return query.MatchAll{}
	case x == 11:
		return query.MatchNone{}
	}
	f := g.field()
	return &query.Term{Field: f, Values: []any{g.value(f)}}
}

// boolQuery draws a bool query of clauses at most depth-1 deep.
func (g *queryGen) boolQuery(depth int) *query.Bool {
	r := g.r
	b := &query.Bool{}
	for range r.IntN(3) {
		b.Must = append(b.Must, g.query(depth-1))
	}
	for range r.IntN(2) {
		b.Filter = append(b.Filter, g.query(depth-1))
	}
	for range r.IntN(4) {
		b.Should = append(b.Should, g.query(depth-1))
	}
	for range r.IntN(3) {
		b.MustNot = append(b.MustNot, g.query(depth-1))
	}
	b.MinShould = r.IntN(len(b.Should) + 2)
	return b
}

// termQuery draws a terms query of one to three values.
func (g *queryGen) termQuery() *query.Term {
	r := g.r
	f := g.field()
	t := &query.Term{Field: f}
	for range 1 + r.IntN(3) {
		t.Values = append(t.Values, g.value(f))
	}
	if !f.Numeric() && r.IntN(3) == 0 {
		t.CaseInsensitive = true
	}
	return t
}

// rangeQuery draws a range query, each bound present three times in four.
func (g *queryGen) rangeQuery() *query.Range {
	r := g.r
	f := g.field()
	q := &query.Range{Field: f, IncludeFrom: r.IntN(2) == 0, IncludeTo: r.IntN(2) == 0}
	if r.IntN(4) > 0 {
		q.From = g.value(f)
	}
	if r.IntN(4) > 0 {
		q.To = g.value(f)
	}
	return q
}

// wildcardQuery draws a wildcard pattern from a stored value, some of its
// characters replaced by * or ?.
func (g *queryGen) wildcardQuery() *query.Wildcard {
	r := g.r
	f := g.stringField()
	v, _ := g.value(f).(string)
	rs := []rune(v)
	for i := range rs {
		switch r.IntN(6) {
		case 0:
			rs[i] = '*'
		case 1:
			rs[i] = '?'
		}
	}
	return &query.Wildcard{Field: f, Pattern: string(rs), CaseInsensitive: r.IntN(3) == 0}
}

var sortFields = []string{
	"_doc", query.FieldUsername, query.FieldRealm, query.FieldName, query.FieldType, query.FieldCreation,
	query.FieldExpiration, query.FieldInvalidated, query.FieldInvalidation, query.FieldMetadata, "metadata.env", "metadata.tags",
	query.FieldLastUsed,
}

func (g *queryGen) sorts() []query.Sort {
	r := g.r
	var out []query.Sort
	for range 1 + r.IntN(3) {
		name := sortFields[r.IntN(len(sortFields))]
		var s query.Sort
		if name == "_doc" {
			s = query.Sort{Doc: true, Desc: r.IntN(2) == 0}
		} else {
			s = query.Sort{Field: query.F(name), Desc: r.IntN(2) == 0}
			s.Max = s.Desc
			if r.IntN(4) == 0 {
				s.Max = !s.Max
			}
			switch r.IntN(4) {
			case 0:
				s.MissingFirst = true
			case 1:
				if s.Field.Numeric() {
					s.Missing = fixtureNow.UnixMilli() - r.Int64N(100*86400000)
				} else {
					s.Missing = "m"
				}
			}
		}
		out = append(out, s)
	}
	return out
}

func describeSearch(s query.Search) string {
	b, _ := json.Marshal(struct {
		Query       string
		Sort        string
		SearchAfter []any
		From, Size  int
	}{fmt.Sprintf("%#v", s.Query), fmt.Sprintf("%+v", s.Sort), s.SearchAfter, s.From, s.Size})
	return string(b)
}

func (s *suite) testQueryMatches(t *testing.T) {
	st := s.open(t)
	keys := GenerateKeys(3, 30, fixtureNow.UnixMilli())
	insert(t, st, keys...)
	docs := allDocs(t, st)
	if len(docs) != len(keys) {
		t.Fatalf("got %d docs, want %d", len(docs), len(keys))
	}
	for i, d := range docs {
		k := keys[i]
		leaves, err := query.Flatten(k.Metadata)
		if err != nil {
			t.Fatal(err)
		}
		want := &query.Doc{Seq: d.Seq, ID: k.ID, Name: k.Name, Type: k.Type, Username: k.Creator.Principal, Realm: k.Creator.Realm,
			Creation: k.Creation, Expiration: k.Expiration, Invalidated: k.Invalidated, Invalidation: k.Invalidation, Metadata: leaves}
		if !reflect.DeepEqual(d, want) {
			t.Errorf("doc %d:\ngot  %+v\nwant %+v", i, d, want)
		}
		if i > 0 && d.Seq <= docs[i-1].Seq {
			t.Errorf("docs are not in index order: seq %d after %d", d.Seq, docs[i-1].Seq)
		}
	}
}

func (s *suite) testQueryMetadataFollowsWrites(t *testing.T) {
	st := s.open(t)
	k := newKey("md-1")
	k.Metadata = json.RawMessage(`{"env":"prod","n":1.50}`)
	insert(t, st, k)
	find := func(body string) []string {
		t.Helper()
		req, err := query.Parse([]byte(body), query.Options{Now: fixtureNow})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		view(t, st, func(r store.Reader) error {
			page, err := r.QueryAPIKeys(t.Context(), &store.KeySearch{Search: req.Search})
			for _, k := range page.Keys {
				ids = append(ids, k.ID)
			}
			return err
		})
		return ids
	}
	if got := find(`{"query":{"term":{"metadata.n":"1.50"}}}`); !slices.Equal(got, []string{"md-1"}) {
		t.Fatalf("metadata number as written: %v", got)
	}
	if got := find(`{"query":{"term":{"metadata.n":1.50}}}`); len(got) != 0 {
		t.Fatalf("a JSON number term is Java's text (1.5), not the text written: %v", got)
	}
	update(t, st, func(w store.Writer) error {
		got, err := w.GetAPIKey(t.Context(), "md-1")
		if err != nil {
			return err
		}
		got.Metadata = json.RawMessage(`{"env":"staging","tags":["a",{"b":true}]}`)
		return w.UpdateAPIKey(t.Context(), got)
	})
	if got := find(`{"query":{"term":{"metadata.env":"prod"}}}`); len(got) != 0 {
		t.Fatalf("old metadata still found: %v", got)
	}
	if got := find(`{"query":{"term":{"metadata.tags.b":"true"}}}`); !slices.Equal(got, []string{"md-1"}) {
		t.Fatalf("new metadata not found: %v", got)
	}
	if got := find(`{"query":{"bool":{"must_not":{"exists":{"field":"metadata.n"}}}}}`); !slices.Equal(got, []string{"md-1"}) {
		t.Fatalf("replaced metadata leaf still exists: %v", got)
	}
}

func (s *suite) testQueryPaging(t *testing.T) {
	st := s.open(t)
	docs := seedQueryKeys(t, st, 11, 60)
	// Page through every key with search_after on a unique tiebreaker:
	// each key exactly once, in order.
	var seen []string
	var after []any
	sorts := []query.Sort{{Field: query.F(query.FieldName)}, {Doc: true}}
	for range 100 {
		page := runSearch(t, st, docs, query.Search{Sort: sorts, SearchAfter: after, Size: 7}, "paging")
		if len(page.Keys) == 0 {
			break
		}
		for _, k := range page.Keys {
			seen = append(seen, k.ID)
		}
		after = page.Sort[len(page.Sort)-1]
	}
	if len(seen) != len(docs) {
		t.Fatalf("paged through %d keys, want %d", len(seen), len(docs))
	}
	unique := map[string]bool{}
	for _, id := range seen {
		unique[id] = true
	}
	if len(unique) != len(docs) {
		t.Fatalf("paging repeated keys: %d unique of %d", len(unique), len(seen))
	}
	// from past the total: an empty page, the total still counted.
	page := runSearch(t, st, docs, query.Search{From: 1000, Size: 10}, "from past the end")
	if page.Total != len(docs) || len(page.Keys) != 0 {
		t.Fatalf("from past the end: total %d, %d keys", page.Total, len(page.Keys))
	}
}

// testQueryMetadataLeaves checks that the store finds every leaf
// query.Flatten finds, by its path and by value alone, for metadata that
// exercises the flattened field's rules: escapes, numbers as written,
// arrays of arrays and of objects, keys with dots, nulls.
func (s *suite) testQueryMetadataLeaves(t *testing.T) {
	st := s.open(t)
	docs := []string{
		`{"s":"caf\u00e9 \"q\" \\ \n","n":[1e5,-0,1.50,12345678901234567890,0.1E-3],"b":[true,false,null]}`,
		`{"a":{"b":[{"c":"x"},{"c":["y",{"d":"z"}]}],"e":{}},"a.b":{"c":"dotted"},"arr":[[["deep"]]],"":"empty key"}`,
		`{"u":"\ud83d\ude00 emoji","k":{"with space":"v","with.dot":"w"}}`,
	}
	for i, md := range docs {
		k := newKey(fmt.Sprintf("leaf-%d", i))
		k.Metadata = json.RawMessage(md)
		insert(t, st, k)
	}
	for i, md := range docs {
		id := fmt.Sprintf("leaf-%d", i)
		leaves, err := query.Flatten([]byte(md))
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range leaves {
			for _, f := range []query.Field{{Name: query.FieldMetadata, Keyed: true, Key: l.Path}, {Name: query.FieldMetadata}} {
				var page *store.KeyPage
				view(t, st, func(r store.Reader) error {
					var err error
					page, err = r.QueryAPIKeys(t.Context(), &store.KeySearch{Search: query.Search{
						Query: &query.Term{Field: f, Values: []any{l.Value}}, Size: 10}})
					return err
				})
				found := false
				for _, k := range page.Keys {
					found = found || k.ID == id
				}
				if !found {
					t.Errorf("%s: leaf %q = %q not found through %s", id, l.Path, l.Value, f)
				}
			}
		}
	}
}
