package cli

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/iostreams"
	"github.com/apikeyctl/apikeyctl/pkg/keyflags"
)

// TestQueryBody pins how the query flags compile to a request body.
func TestQueryBody(t *testing.T) {
	tests := []struct {
		name  string
		opts  queryOptions
		stdin string
		want  string // "" means no body
	}{
		{name: "nothing", want: ""},
		{name: "query json alone is sent as written", opts: queryOptions{queryJSON: "-"}, stdin: `{"size": 1, "bogus": true}`, want: `{"size": 1, "bogus": true}`},
		{name: "name pattern and owner", opts: queryOptions{filters: keyflags.Filters{Name: "ci-*", Owner: "alice"}},
			want: `{"query":{"bool":{"filter":[{"wildcard":{"name":"ci-*"}},{"term":{"username":"alice"}}]}}}`},
		{name: "exact name, realm and type", opts: queryOptions{filters: keyflags.Filters{Name: "ci", Realm: "native", Type: "cross_cluster"}},
			want: `{"query":{"bool":{"filter":[{"term":{"name":"ci"}},{"term":{"realm_name":"native"}},{"term":{"type":"cross_cluster"}}]}}}`},
		{name: "expires within", opts: queryOptions{filters: keyflags.Filters{ExpiresWithin: "7d"}},
			want: `{"query":{"bool":{"filter":[{"term":{"invalidated":false}},{"range":{"expiration":{"gt":"now","lte":"now+7d"}}}]}}}`},
		{name: "active", opts: queryOptions{filters: keyflags.Filters{Active: true}},
			want: `{"query":{"bool":{"filter":[{"term":{"invalidated":false}},{"bool":{"minimum_should_match":1,"should":[{"range":{"expiration":{"gt":"now"}}},{"bool":{"must_not":{"exists":{"field":"expiration"}}}}]}}]}}}`},
		{name: "expired", opts: queryOptions{filters: keyflags.Filters{Expired: true}},
			want: `{"query":{"bool":{"filter":[{"term":{"invalidated":false}},{"range":{"expiration":{"lte":"now"}}}]}}}`},
		{name: "invalidated", opts: queryOptions{filters: keyflags.Filters{Invalidated: true}}, want: `{"query":{"bool":{"filter":[{"term":{"invalidated":true}}]}}}`},
		{name: "created between", opts: queryOptions{filters: keyflags.Filters{CreatedAfter: "2025-01-01", CreatedBefore: "now-1d"}},
			want: `{"query":{"bool":{"filter":[{"range":{"creation":{"format":"strict_date_optional_time||epoch_millis","lt":"now-1d"}}},{"range":{"creation":{"format":"strict_date_optional_time||epoch_millis","gte":"2025-01-01"}}}]}}}`},
		{name: "metadata", opts: queryOptions{filters: keyflags.Filters{Metadata: []string{"env=prod", "owner.team=a=b"}}},
			want: `{"query":{"bool":{"filter":[{"term":{"metadata.env":"prod"}},{"term":{"metadata.owner.team":"a=b"}}]}}}`},
		{name: "sort and limit", opts: queryOptions{sorts: []string{"creation:desc", "name"}, limit: 5},
			want: `{"size":5,"sort":[{"creation":{"order":"desc"}},"name"]}`},
		{name: "aggs ask for no keys", opts: queryOptions{aggs: `{"a":{"terms":{"field":"name"}}}`},
			want: `{"aggs":{"a":{"terms":{"field":"name"}}},"size":0}`},
		{name: "flags add to a body", opts: queryOptions{queryJSON: "-", limit: 3, filters: keyflags.Filters{Owner: "bob"}}, stdin: `{"query":{"prefix":{"name":"x"}},"from":2}`,
			want: `{"from":2,"query":{"bool":{"filter":[{"term":{"username":"bob"}}],"must":[{"prefix":{"name":"x"}}]}},"size":3}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, in, _, _ := iostreams.Test()
			in.WriteString(tt.stdin)
			tt.opts.f = &Factory{IOStreams: ios}
			raw, _, err := tt.opts.body()
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == "" || !json.Valid([]byte(tt.want)) || strings.Contains(tt.name, "as written") {
				if string(raw) != tt.want {
					t.Fatalf("got %s, want %s", raw, tt.want)
				}
				return
			}
			var got, want any
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatalf("%s: %v", raw, err)
			}
			_ = json.Unmarshal([]byte(tt.want), &want)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got  %s\nwant %s", raw, tt.want)
			}
		})
	}
}

// TestQueryCommand runs the command in --db mode: exit codes, usage
// errors, the aggregations table.
func TestQueryCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "keys.db")
	for _, name := range []string{"a-1", "a-2", "b-1"} {
		if code, _, errOut := run(t, false, "", nil, "--db", db, "create", "--name", name, "--metadata", "group="+name[:1]); code != 0 {
			t.Fatalf("create: %d %s", code, errOut)
		}
	}
	code, out, errOut := run(t, false, "", nil, "--db", db, "query", "--name", "a-*", "--field", "name")
	if code != 0 || out != "a-1\na-2\n" {
		t.Fatalf("query --name: %d %q %s", code, out, errOut)
	}
	code, out, _ = run(t, true, "", nil, "--db", db, "query", "--aggs", `{"groups":{"terms":{"field":"metadata.group"}}}`, "--no-color")
	if code != 0 || !strings.Contains(out, "AGGREGATION") || !strings.Contains(out, "groups") || !strings.Contains(out, "2") {
		t.Fatalf("aggregations table:\n%s", out)
	}
	// --aggs with --limit on a terminal: the keys, then the buckets, a
	// date_range's bounds as dates.
	code, out, errOut = run(t, true, "", nil, "--db", db, "query", "--limit", "2", "--no-color",
		"--aggs", `{"made":{"date_range":{"field":"creation","ranges":[{"to":"now+1d"}]}}}`)
	if code != 0 || !strings.Contains(out, "ID ") || strings.Count(out, " a-") != 2 || !strings.Contains(out, "AGGREGATION") ||
		!strings.Contains(out, "made         * to 2026-11-25 12:00:00 UTC  3") {
		t.Fatalf("aggregations with --limit on a terminal: %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = run(t, true, "", nil, "--db", db, "query", "--limit", "1", "--no-color")
	if code != 0 || strings.Count(out, "\n") != 2 || !strings.Contains(errOut, "Showing 1 of 3 matching API keys") {
		t.Fatalf("limit on a terminal: %d\n%s\n%s", code, out, errOut)
	}
	for _, args := range [][]string{
		{"query", "--sort", "name:up"},
		{"query", "--metadata", "novalue"},
		{"query", "--all", "--limit", "3"},
		{"query", "--all", "--page-size", "0"},
		{"query", "extra-arg"},
	} {
		if code, _, _ := run(t, false, "", nil, append([]string{"--db", db}, args...)...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	if code, _, errOut := run(t, false, `{"query":{"regexp":{"name":"a.*"}}}`, nil, "--db", db, "query", "--query-json", "-"); code != 1 ||
		!strings.Contains(errOut, "Query type [regexp] is not currently supported in this context") {
		t.Errorf("unsupported query: %d %s", code, errOut)
	}
}
