package esapi

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// The test in this file checks the route table against Elasticsearch's
// own REST specification of the security APIs (one JSON file per API),
// read from ../shared/es-rest-spec next to the module root when that
// folder is there: every path and method is routed or listed in
// notServed with its reason, every query parameter is accepted with its
// type and refused with Elasticsearch's error when its value has the
// wrong type, and unknown parameters are refused as Elasticsearch
// refuses them. The table of what it checked is testdata/restspec.golden
// (rewritten with -update-spec).

// notServed lists the APIs of the specification apikeyd deliberately
// does not route, each with its reason.
var notServed = map[string]string{
	"delete": "document API: apikeyd keeps keys, users and roles, not documents; it holds no index, so it answers as a node without this handler (400 no handler found)",
	"get":    "document API: apikeyd keeps keys, users and roles, not documents; it holds no index, so it answers as a node without this handler (400 no handler found)",
	"index":  "document API: apikeyd keeps keys, users and roles, not documents; it holds no index, so it answers as a node without this handler (400 no handler found)",
}

// specCommonParams are the parameters Elasticsearch's REST layer takes
// on every endpoint, with their types.
var specCommonParams = map[string]specParam{
	"error_trace": {Type: "boolean"},
	"filter_path": {Type: "list"},
	"format":      {Type: "string"},
	"human":       {Type: "boolean"},
	"pretty":      {Type: "boolean"},
}

// specAPI is one file of the specification.
type specAPI struct {
	URL struct {
		Paths []struct {
			Path    string   `json:"path"`
			Methods []string `json:"methods"`
		} `json:"paths"`
	} `json:"url"`
	Params map[string]specParam `json:"params"`
}

type specParam struct {
	Type    string   `json:"type"`
	Options []string `json:"options"`
}

// restSpecDir returns the specification folder (../shared/es-rest-spec
// from the module root, or $ES_REST_SPEC), skipping the test when it is
// not there.
func restSpecDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
	spec := filepath.Join(filepath.Dir(dir), "shared", "es-rest-spec")
	if env := os.Getenv("ES_REST_SPEC"); env != "" {
		spec = env
	}
	if _, err := os.Stat(spec); err != nil {
		t.Skipf("SKIPPED: Elasticsearch's REST specification is not at %s (%v): nothing checked; set ES_REST_SPEC to its folder", spec, err)
	}
	return spec
}

func readRestSpec(t *testing.T) map[string]specAPI {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(restSpecDir(t), "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	apis := map[string]specAPI{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]specAPI
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for name, a := range m {
			apis[name] = a
		}
	}
	if len(apis) == 0 {
		t.Fatal("the specification folder holds no API")
	}
	return apis
}

// fillPath gives each {part} of a spec path a sample value.
func fillPath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") {
			switch s {
			case "{user}", "{username}":
				segs[i] = "elastic"
			default:
				segs[i] = "x1"
			}
		}
	}
	return strings.Join(segs, "/")
}

// validValues are values of the parameter's type Elasticsearch accepts.
func validValues(p specParam) []string {
	switch p.Type {
	case "boolean":
		return []string{"", "true", "false"}
	case "enum":
		return p.Options
	case "list":
		if len(p.Options) > 0 {
			return []string{strings.Join(p.Options[:min(2, len(p.Options))], ",")}
		}
		return []string{"a,b"}
	case "time":
		return []string{"30s"}
	case "long", "int", "number":
		return []string{"1"}
	}
	return []string{"x"}
}

// wrongValue is a value of the wrong type and the reason Elasticsearch
// refuses it with ("" when the reason is the endpoint's own: then only
// the status is checked); value is "" when every value has the type.
func wrongValue(name string, p specParam) (value, reason string) {
	switch {
	case p.Type == "time":
		return "abc", "failed to parse setting [" + name + "] with value [abc] as a time value: unit is missing or unrecognized"
	case p.Type == "long":
		return "abc", "Failed to parse long parameter [" + name + "] with value [abc]"
	case p.Type == "boolean":
		return "maybe", "Failed to parse value [maybe] as only [true] or [false] are allowed."
	case name == "format":
		// apikeyd's own refusal: it answers in JSON only.
		return "yaml", "apikeyd answers in JSON only: [format=yaml] is not supported"
	case p.Type == "enum" && name == "refresh":
		return "maybe", "Unknown value for refresh: [maybe]."
	case p.Type == "enum":
		return "maybe", ""
	}
	return "", ""
}

// errorOf returns the reason and type of an error answer.
func errorOf(body []byte) (reason, typ string) {
	var e struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error == nil {
		return "", ""
	}
	var s string
	if json.Unmarshal(e.Error, &s) == nil {
		return s, ""
	}
	var obj struct {
		Type   string `json:"type"`
		Reason string `json:"reason"`
	}
	_ = json.Unmarshal(e.Error, &obj)
	return obj.Reason, obj.Type
}

// refusedParam reports whether an answer refuses a query parameter.
func refusedParam(code int, body []byte) bool {
	if code != http.StatusBadRequest {
		return false
	}
	reason, _ := errorOf(body)
	for _, s := range []string{"unrecognized parameter", "Failed to parse value", "Unknown value for"} {
		if strings.Contains(reason, s) {
			return true
		}
	}
	return false
}

func notRouted(code int, body []byte) bool {
	reason, _ := errorOf(body)
	return code == http.StatusMethodNotAllowed || strings.HasPrefix(reason, "no handler found for uri")
}

// shape is a route path with its path parameters unnamed.
func shape(p string) string {
	segs := splitPath(p)
	for i, s := range segs {
		if strings.HasPrefix(s, "{") {
			segs[i] = "{}"
		}
	}
	return "/" + strings.Join(segs, "/")
}

// findRoute returns the handler's route of the method on the spec's
// path, whatever its path parameters are called; nil when there is none.
func findRoute(h *harness, method, specPath string) *route {
	for _, r := range h.h.(*handler).routes {
		if r.method == method && shape(r.pattern) == shape(specPath) {
			return r
		}
	}
	return nil
}

// notInSpec lists the routes apikeyd serves that the specification
// folder does not describe, each with its reason.
var notInSpec = map[string]string{
	"HEAD /":                                    "Elasticsearch's ping API (ping.json is not in the folder)",
	"POST /_security/api_key/clone":             "Elasticsearch 9.4's clone API key (security.clone_api_key.json is not in the folder)",
	"PUT /_security/api_key/grant":              "Elasticsearch's RestGrantApiKeyAction routes PUT as well as POST; the spec lists POST only",
	"PUT /_security/api_key/clone":              "Elasticsearch 9.4's clone API key (security.clone_api_key.json is not in the folder)",
	"POST /_security/role":                      "Elasticsearch's bulk put roles API (security.bulk_put_role.json is not in the folder)",
	"DELETE /_security/role":                    "Elasticsearch's bulk delete roles API (security.bulk_delete_role.json is not in the folder)",
	"POST /_security/role/{}/_clear_cache":      "Elasticsearch's clear roles cache API (security.clear_cached_roles.json is not in the folder)",
	"POST /_security/realm/{}/_clear_cache":     "Elasticsearch's clear realm cache API (security.clear_cached_realms.json is not in the folder)",
	"GET /_security/_query/user":                "Elasticsearch's query user API, parameter with_profile_uid (security.query_user.json is not in the folder)",
	"POST /_security/_query/user":               "Elasticsearch's query user API, parameter with_profile_uid (security.query_user.json is not in the folder)",
	"GET /_security/privilege":                  "Elasticsearch's get application privileges (security.get_privileges.json is not in the folder)",
	"GET /_security/privilege/{}":               "Elasticsearch's get application privileges (security.get_privileges.json is not in the folder)",
	"GET /_security/privilege/{}/{}":            "Elasticsearch's get application privileges (security.get_privileges.json is not in the folder)",
	"GET /_security/privilege/_builtin":         "Elasticsearch's get builtin privileges (security.get_builtin_privileges.json is not in the folder)",
	"POST /_security/privilege/{}/_clear_cache": "Elasticsearch's clear privileges cache (security.clear_cached_privileges.json is not in the folder)",
	"GET /_xpack/usage":                         "Elasticsearch's xpack usage API, parameter master_timeout (xpack.usage.json is not in the folder)",
}

func TestRESTSpec(t *testing.T) {
	apis := readRestSpec(t)
	h := newHarness(t, nil)
	do := func(method, target string) (int, []byte) {
		w := h.do(t, req{method: method, target: target})
		return w.Code, w.Body.Bytes()
	}

	names := make([]string, 0, len(apis))
	for n := range apis {
		names = append(names, n)
	}
	sort.Strings(names)
	var table strings.Builder
	served, params := 0, 0
	inSpec := map[string]bool{}
	for _, name := range names {
		a := apis[name]
		reason, skip := notServed[name]
		for _, p := range a.URL.Paths {
			for _, m := range p.Methods {
				target := fillPath(p.Path)
				code, body := do(m, target)
				if skip {
					if findRoute(h, m, p.Path) != nil {
						t.Errorf("%s %s %s is routed but listed in notServed (%s): drop it from the list", name, m, p.Path, reason)
					}
					fmt.Fprintf(&table, "%-36s %-6s %-45s not served: %s\n", name, m, p.Path, reason)
					continue
				}
				rt := findRoute(h, m, p.Path)
				if notRouted(code, body) || rt == nil {
					t.Errorf("%s %s %s is not routed: %d %s", name, m, p.Path, code, body)
					continue
				}
				inSpec[m+" "+shape(rt.pattern)] = true
				served++
				fmt.Fprintf(&table, "%-36s %-6s %-45s routed\n", name, m, p.Path)
				params += checkSpecParams(t, &table, do, m, target, a.Params, rt.params)
			}
		}
	}
	for _, r := range h.h.(*handler).routes {
		key := r.method + " " + shape(r.pattern)
		if inSpec[key] {
			continue
		}
		reason, ok := notInSpec[key]
		if !ok {
			t.Errorf("%s is served but not in Elasticsearch's specification: list it in notInSpec with its reason", key)
		}
		fmt.Fprintf(&table, "%-36s %-6s %-45s served, not in the spec: %s\n", "-", r.method, r.pattern, reason)
	}
	t.Logf("%d routes served, %d route parameters checked (with %d common ones each)", served, params, len(specCommonParams))
	golden(t, filepath.Join("testdata", "restspec.golden"), table.String())
}

// checkSpecParams checks the spec's and the common parameters on one
// route, writes a table line for each and returns how many of the
// route's own it checked.
func checkSpecParams(t *testing.T, table *strings.Builder, do func(string, string) (int, []byte), method, target string, spec map[string]specParam, accepted []param) int {
	t.Helper()
	for _, p := range accepted {
		if _, ok := spec[p.name]; ok {
			continue
		}
		if p.kind != boolParam {
			t.Errorf("%s %s: apikeyd's own parameter %s is not a boolean: check its values here", method, target, p.name)
			continue
		}
		code, body := do(method, target+"?"+p.name+"=true")
		if refusedParam(code, body) {
			t.Errorf("%s %s ?%s=true refused: %s", method, target, p.name, body)
		}
		v, want := wrongValue(p.name, specParam{Type: "boolean"})
		code, body = do(method, target+"?"+p.name+"="+v)
		if reason, _ := errorOf(body); code != http.StatusBadRequest || reason != want {
			t.Errorf("%s %s ?%s=%s: %d %s, want 400 %q", method, target, p.name, v, code, body, want)
		}
		fmt.Fprintf(table, "    %-26s %-7s %-7s accepts \"true\", refuses %q\n", p.name, "boolean", "apikeyd", v)
	}
	all := map[string]specParam{}
	for k, v := range specCommonParams {
		all[k] = v
	}
	for k, v := range spec {
		all[k] = v
	}
	names := make([]string, 0, len(all))
	for n := range all {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := all[n]
		var valid []string
		for _, v := range validValues(p) {
			code, body := do(method, target+"?"+url.Values{n: {v}}.Encode())
			if refusedParam(code, body) {
				t.Errorf("%s %s ?%s=%s refused: %s", method, target, n, v, body)
			}
			valid = append(valid, fmt.Sprintf("%q", v))
		}
		result := "accepts " + strings.Join(valid, " ")
		if v, want := wrongValue(n, p); v != "" {
			code, body := do(method, target+"?"+url.Values{n: {v}}.Encode())
			reason, typ := errorOf(body)
			if code != http.StatusBadRequest || (want != "" && reason != want) {
				t.Errorf("%s %s ?%s=%s: %d %s, want 400 %q", method, target, n, v, code, body, want)
			}
			if typ != "" && typ != "illegal_argument_exception" {
				t.Errorf("%s %s ?%s=%s: error type %s, want illegal_argument_exception", method, target, n, v, typ)
			}
			result += fmt.Sprintf(", refuses %q", v)
		}
		kind := "common"
		if _, own := spec[n]; own {
			kind = "spec"
		}
		fmt.Fprintf(table, "    %-26s %-7s %-7s %s\n", n, p.Type, kind, result)
	}

	// An unknown parameter, and a misspelt one when the route has its own.
	path := strings.SplitN(target, "?", 2)[0]
	code, body := do(method, target+"?bogus_param=1")
	want := fmt.Sprintf("request [%s] contains unrecognized parameter: [bogus_param]", path)
	if reason, _ := errorOf(body); code != http.StatusBadRequest || reason != want {
		t.Errorf("%s %s?bogus_param=1: %d %s, want 400 %q", method, target, code, body, want)
	}
	fmt.Fprintf(table, "    %-42s refused as unrecognized\n", "bogus_param")
	own := make([]string, 0, len(spec))
	for n := range spec {
		own = append(own, n)
	}
	sort.Strings(own)
	for _, n := range own {
		typo := n + "x"
		code, body := do(method, target+"?"+typo+"=true")
		reason, _ := errorOf(body)
		if code != http.StatusBadRequest || !strings.Contains(reason, "unrecognized parameter: ["+typo+"] -> did you mean") || !strings.Contains(reason, n) {
			t.Errorf("%s %s?%s: %d %s, want a did-you-mean naming [%s]", method, target, typo, code, body, n)
		}
		fmt.Fprintf(table, "    %-42s refused with did you mean [%s]\n", typo, n)
	}
	return len(spec)
}

var updateSpec = flag.Bool("update-spec", false, "rewrite testdata/restspec.golden")

// golden compares got with the file, or rewrites it under -update.
func golden(t *testing.T, file, got string) {
	t.Helper()
	if *updateSpec {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run with -update-spec to write it)", err)
	}
	if string(want) != got {
		t.Errorf("%s is stale: run go test -run TestRESTSpec ./pkg/esapi -update-spec\n--- got\n%s", file, got)
	}
}

// TestCommonParamValues checks, without the specification, the values of
// the parameters every route takes: a bad pretty or human is refused
// before anything else, as if the request had no parameter (so not
// pretty), a format apikeyd cannot answer in is refused, and an unknown
// parameter's did-you-mean keeps its "->" unescaped, as Elasticsearch
// writes it.
func TestCommonParamValues(t *testing.T) {
	const badBool = `{"error":{"root_cause":[{"type":"illegal_argument_exception","reason":"Failed to parse value [maybe] as only [true] or [false] are allowed."}],"type":"illegal_argument_exception","reason":"Failed to parse value [maybe] as only [true] or [false] are allowed."},"status":400}`
	tests := []struct {
		name   string
		target string
		status int
		body   string
	}{
		{name: "bad pretty", target: "/_security/_authenticate?pretty=maybe", status: 400, body: badBool},
		{name: "bad human, pretty", target: "/_security/_authenticate?human=maybe&pretty", status: 400, body: badBool},
		{name: "bad pretty on no route", target: "/nowhere?pretty=maybe", status: 400, body: badBool},
		{name: "format yaml", target: "/_security/_authenticate?format=yaml", status: 400,
			body: `{"error":{"root_cause":[{"type":"illegal_argument_exception","reason":"apikeyd answers in JSON only: [format=yaml] is not supported"}],"type":"illegal_argument_exception","reason":"apikeyd answers in JSON only: [format=yaml] is not supported"},"status":400}`},
		{name: "misspelt, with > written as is", target: "/_security/api_key?active_onyl=true", status: 400,
			body: `{"error":{"root_cause":[{"type":"illegal_argument_exception","reason":"request [/_security/api_key] contains unrecognized parameter: [active_onyl] -> did you mean [active_only]?"}],"type":"illegal_argument_exception","reason":"request [/_security/api_key] contains unrecognized parameter: [active_onyl] -> did you mean [active_only]?"},"status":400}`},
		{name: "format json", target: "/?format=json", status: 200},
		{name: "unknown format answers JSON", target: "/?format=txt", status: 200},
		{name: "pretty false", target: "/?pretty=false&human=false", status: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			w := h.do(t, req{method: http.MethodGet, target: tt.target})
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if tt.body != "" && w.Body.String() != tt.body {
				t.Errorf("body = %s\nwant   %s", w.Body, tt.body)
			}
			if tt.body == "" && !json.Valid(w.Body.Bytes()) {
				t.Errorf("body is not JSON: %s", w.Body)
			}
		})
	}
}

// TestHasPrivilegesOfNamedUser checks that the {user} of the path reaches
// the service, which decides.
func TestHasPrivilegesOfNamedUser(t *testing.T) {
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		t.Run(method, func(t *testing.T) {
			h, _ := serve(t, nil, req{method: method, target: "/_security/user/elastic/_has_privileges", body: `{"cluster":["monitor"]}`}, http.StatusOK)
			h.checkCall(t, "HasPrivileges", &api.HasPrivilegesRequest{Username: "elastic", Cluster: []string{"monitor"}})
		})
	}
}
