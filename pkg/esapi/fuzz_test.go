package esapi

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/orderedjson"
)

// FuzzQueryParams feeds the query string reader and the parameter checks
// of the get API keys route arbitrary query strings: a refusal is a 400
// illegal_argument_exception, and what they let through is only known
// parameters with values of their kind.
func FuzzQueryParams(f *testing.F) {
	for _, s := range []string{"", "owner=true&active_only", "id=VuaCfGcBCdbkQm-e5aOx&with_limited_by=false&pretty",
		"owner=yes", "ownr=true", "a=1&b=2&owner", "filter_path=api_keys.*.name,-**.metadata&error_trace",
		"%zz", "owner=true;id=x", "owner=true&owner=nope&owner=false", "refresh=wait_for"} {
		f.Add(s)
	}
	var getAPIKeys *route
	for _, r := range routeTable() {
		if r.method == http.MethodGet && r.pattern == "/_security/api_key" {
			getAPIKeys = r
		}
	}
	known := map[string]paramKind{}
	for _, p := range append(append([]param{}, commonParams...), getAPIKeys.params...) {
		known[p.name] = p.kind
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := parseQuery(raw)
		if err == nil {
			err = checkParams("/_security/api_key", q, getAPIKeys.params)
		}
		if err != nil {
			if e, ok := api.AsError(err); !ok || e.Code != api.Invalid {
				t.Fatalf("%q: %v is not an illegal_argument_exception", raw, err)
			}
			return
		}
		for name, value := range q {
			kind, ok := known[name]
			if !ok {
				t.Fatalf("%q: unknown parameter [%s] let through", raw, name)
			}
			if _, err := parseBool(value); kind == boolParam && err != nil {
				t.Fatalf("%q: [%s=%s] let through", raw, name, value)
			}
		}
	})
}

// FuzzFilterPath applies arbitrary filter_path values to arbitrary
// documents: the result keeps members of the document only, in its order,
// and filtering with includes only or excludes only changes nothing the
// second time.
func FuzzFilterPath(f *testing.F) {
	doc := `{"api_keys":[{"id":"VuaCfGcBCdbkQm-e5aOx","name":"k","metadata":{"a":{"b":1}},"role_descriptors":{}}],"total":1,"count":1}`
	for _, s := range []string{"api_keys.id", "-api_keys.metadata", "**.b", "api_keys.*", "*,-*", "a..b", "-", ",,", "**", "api_keys.**.b,-total", "*e*s"} {
		f.Add(s, []byte(doc))
	}
	f.Add("a", []byte(`[1,{"a":2}]`))
	f.Add("a.b", []byte(`{"a":[[{"b":1}],null]}`))
	f.Fuzz(func(t *testing.T, filter string, data []byte) {
		root, err := orderedjson.Decode(data)
		if err != nil {
			return
		}
		fp := parseFilterPath(filter)
		if fp == nil {
			return
		}
		out := fp.apply(root)
		if !within(out, root) {
			t.Fatalf("%q on %s: %s is not part of the document", filter, data, orderedjson.Encode(out, orderedjson.Format{}))
		}
		if len(fp.include) > 0 && len(fp.exclude) > 0 {
			return
		}
		again := orderedjson.Encode(fp.apply(out), orderedjson.Format{})
		if once := orderedjson.Encode(out, orderedjson.Format{}); string(again) != string(once) {
			t.Fatalf("%q on %s: %s, filtered again %s", filter, data, once, again)
		}
	})
}

// within reports whether part is doc with some object members left out,
// at any depth, the others in their order.
func within(part, doc any) bool {
	switch p := part.(type) {
	case orderedjson.Object:
		d, ok := doc.(orderedjson.Object)
		if !ok {
			return false
		}
		j := 0
		for _, m := range p {
			for j < len(d) && d[j].Key != m.Key {
				j++
			}
			if j == len(d) || !within(m.Value, d[j].Value) {
				return false
			}
			j++
		}
		return true
	case []any:
		// An include filter also drops the array elements it selects
		// nothing in, so the elements are a subsequence too.
		d, ok := doc.([]any)
		if !ok {
			return false
		}
		j := 0
		for _, e := range p {
			for j < len(d) && !within(e, d[j]) {
				j++
			}
			if j == len(d) {
				return false
			}
			j++
		}
		return true
	}
	return string(orderedjson.Encode(part, orderedjson.Format{})) == string(orderedjson.Encode(doc, orderedjson.Format{}))
}

// FuzzGlobMatch checks the segment matcher of filter_path against a
// regular expression in which each '*' is ".*".
func FuzzGlobMatch(f *testing.F) {
	for _, s := range [][2]string{{"api_*", "api_keys"}, {"*a*a", "aaa"}, {"ab*ba", "aba"}, {"*", ""}, {"a*b*c", "abcbc"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		got := globMatch(pattern, name)
		if !utf8.ValidString(pattern) || !utf8.ValidString(name) {
			return
		}
		parts := strings.Split(pattern, "*")
		for i, p := range parts {
			parts[i] = regexp.QuoteMeta(p)
		}
		want := regexp.MustCompile(`\A(?s:` + strings.Join(parts, ".*") + `)\z`).MatchString(name)
		if got != want {
			t.Fatalf("globMatch(%q, %q) = %v, want %v", pattern, name, got, want)
		}
	})
}
