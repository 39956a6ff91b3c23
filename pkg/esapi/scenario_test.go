package esapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The scenarios in testdata/scenarios are written as Elasticsearch writes
// its YAML REST tests: a setup section, then named tests whose steps call
// an API by its specification name (do, with catch for an expected error)
// and check the answer (match, length, is_true, is_false, contains, gt,
// lt, set). Each test runs against a fresh apikeyd (a real key service
// over a new database, bootstrap user elastic), after the setup.
//
// The subset of the runner: catch takes bad_request, unauthorized,
// forbidden, missing, conflict, request or a /regex/ of the body; match
// values that are /regex/ strings match the value's text (Elasticsearch's
// extended syntax: whitespace in the pattern is ignored); $name stands
// for a value set earlier and ${name} is replaced inside a string; a do
// without an Authorization header calls as elastic.

// scenarioAPIs maps the specification's API names to their routes: the
// paths with their parts, and the methods with and without a body. Of
// the paths whose parts are all given the one with the most parts wins,
// as in Elasticsearch's runner.
var scenarioAPIs = map[string]struct {
	paths            []string
	method, withBody string
}{
	"cluster.health":                        {[]string{"/_cluster/health", "/_cluster/health/{index}"}, "GET", "GET"},
	"security.authenticate":                 {[]string{"/_security/_authenticate"}, "GET", "GET"},
	"security.create_api_key":               {[]string{"/_security/api_key"}, "PUT", "PUT"},
	"security.get_api_key":                  {[]string{"/_security/api_key"}, "GET", "GET"},
	"security.invalidate_api_key":           {[]string{"/_security/api_key"}, "DELETE", "DELETE"},
	"security.query_api_keys":               {[]string{"/_security/_query/api_key"}, "GET", "POST"},
	"security.query_user":                   {[]string{"/_security/_query/user"}, "GET", "POST"},
	"security.query_role":                   {[]string{"/_security/_query/role"}, "GET", "POST"},
	"security.update_api_key":               {[]string{"/_security/api_key/{id}"}, "PUT", "PUT"},
	"security.bulk_update_api_keys":         {[]string{"/_security/api_key/_bulk_update"}, "POST", "POST"},
	"security.grant_api_key":                {[]string{"/_security/api_key/grant"}, "POST", "POST"},
	"security.clone_api_key":                {[]string{"/_security/api_key/clone"}, "POST", "POST"},
	"security.clear_api_key_cache":          {[]string{"/_security/api_key/{ids}/_clear_cache"}, "POST", "POST"},
	"security.create_cross_cluster_api_key": {[]string{"/_security/cross_cluster/api_key"}, "POST", "POST"},
	"security.update_cross_cluster_api_key": {[]string{"/_security/cross_cluster/api_key/{id}"}, "PUT", "PUT"},
	"security.put_user":                     {[]string{"/_security/user/{username}"}, "PUT", "PUT"},
	"security.get_user":                     {[]string{"/_security/user", "/_security/user/{username}"}, "GET", "GET"},
	"security.delete_user":                  {[]string{"/_security/user/{username}"}, "DELETE", "DELETE"},
	"security.enable_user":                  {[]string{"/_security/user/{username}/_enable"}, "PUT", "PUT"},
	"security.disable_user":                 {[]string{"/_security/user/{username}/_disable"}, "PUT", "PUT"},
	"security.change_password":              {[]string{"/_security/user/_password", "/_security/user/{username}/_password"}, "PUT", "PUT"},
	"security.put_privileges":               {[]string{"/_security/privilege"}, "PUT", "PUT"},
	"security.get_privileges":               {[]string{"/_security/privilege", "/_security/privilege/{application}", "/_security/privilege/{application}/{name}"}, "GET", "GET"},
	"security.delete_privileges":            {[]string{"/_security/privilege/{application}/{name}"}, "DELETE", "DELETE"},
	"security.get_user_privileges":          {[]string{"/_security/user/_privileges"}, "GET", "GET"},
	"security.has_privileges":               {[]string{"/_security/user/_has_privileges", "/_security/user/{user}/_has_privileges"}, "GET", "POST"},
	"security.put_role":                     {[]string{"/_security/role/{name}"}, "PUT", "PUT"},
	"security.get_role":                     {[]string{"/_security/role", "/_security/role/{name}"}, "GET", "GET"},
	"security.delete_role":                  {[]string{"/_security/role/{name}"}, "DELETE", "DELETE"},
	"security.bulk_put_role":                {[]string{"/_security/role"}, "POST", "POST"},
	"security.bulk_delete_role":             {[]string{"/_security/role"}, "DELETE", "DELETE"},
	"security.clear_cached_realms":          {[]string{"/_security/realm/{realms}/_clear_cache"}, "POST", "POST"},
	"security.clear_cached_roles":           {[]string{"/_security/role/{name}/_clear_cache"}, "POST", "POST"},
	"security.get_token":                    {[]string{"/_security/oauth2/token"}, "POST", "POST"},
	"security.invalidate_token":             {[]string{"/_security/oauth2/token"}, "DELETE", "DELETE"},
}

// catches are the named catch values and the statuses they accept.
var catches = map[string]func(int) bool{
	"bad_request":  func(s int) bool { return s == 400 },
	"unauthorized": func(s int) bool { return s == 401 },
	"forbidden":    func(s int) bool { return s == 403 },
	"missing":      func(s int) bool { return s == 404 },
	"conflict":     func(s int) bool { return s == 409 },
	"request":      func(s int) bool { return s >= 400 },
}

func TestScenarios(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "scenarios", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".yml"), func(t *testing.T) {
			setup, tests := readScenarios(t, file)
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					_, srv := newWireServer(t)
					r := &scenarioRun{t: t, srv: srv, stash: map[string]any{}}
					r.steps("setup", setup)
					r.steps(tc.name, tc.steps)
				})
			}
		})
	}
}

type scenario struct {
	name  string
	steps []*yaml.Node
}

// readScenarios reads a file of YAML documents: the optional setup and
// the named tests, in their order.
func readScenarios(t *testing.T, file string) (setup []*yaml.Node, tests []scenario) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		root := doc.Content[0]
		if root.Kind != yaml.MappingNode || len(root.Content) != 2 || root.Content[1].Kind != yaml.SequenceNode {
			t.Fatalf("%s:%d: a document is one name and its list of steps", file, root.Line)
		}
		name, steps := root.Content[0].Value, root.Content[1].Content
		if name == "setup" {
			setup = steps
			continue
		}
		tests = append(tests, scenario{name: name, steps: steps})
	}
	return setup, tests
}

// scenarioRun is one test's state: the server, the last answer, the
// values set.
type scenarioRun struct {
	t      *testing.T
	srv    string
	stash  map[string]any
	status int
	body   any
	raw    string
}

func (r *scenarioRun) steps(section string, steps []*yaml.Node) {
	for _, step := range steps {
		if step.Kind != yaml.MappingNode || len(step.Content) != 2 {
			r.t.Fatalf("%s, line %d: a step is one of do, match, set, length, is_true, is_false, contains, gt, lt", section, step.Line)
		}
		kind, arg := step.Content[0].Value, step.Content[1]
		where := fmt.Sprintf("%s, line %d (%s)", section, step.Line, kind)
		switch kind {
		case "do":
			r.do(where, arg)
		case "set":
			for path, name := range pairs(arg) {
				r.stash[name.Value] = r.lookup(where, path)
			}
		default:
			r.check(where, kind, arg)
		}
	}
}

// pairs lists a mapping's members by key.
func pairs(n *yaml.Node) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	if n.Kind == yaml.ScalarNode {
		out[n.Value] = nil
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		out[n.Content[i].Value] = n.Content[i+1]
	}
	return out
}

func (r *scenarioRun) do(where string, n *yaml.Node) {
	t := r.t
	t.Helper()
	var catch, api string
	var args *yaml.Node
	headers := map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("elastic:wire-password"))}
	for key, v := range pairs(n) {
		switch key {
		case "catch":
			catch = v.Value
		case "headers":
			for h, hv := range pairs(v) {
				headers[h] = r.interpolate(hv.Value)
			}
		default:
			api, args = key, v
		}
	}
	spec, ok := scenarioAPIs[api]
	if !ok {
		t.Fatalf("%s: unknown API [%s]", where, api)
	}
	parts, query := map[string]string{}, url.Values{}
	var body []byte
	for key, v := range pairs(args) {
		if key == "body" {
			body = r.bodyJSON(where, v)
			continue
		}
		value := r.scalarText(v)
		if strings.Contains(strings.Join(spec.paths, ""), "{"+key+"}") {
			parts[key] = value
		} else {
			query.Set(key, value)
		}
	}
	path, best := "", -1
	for _, p := range spec.paths {
		n, ok := strings.Count(p, "{"), true
		for part := range strings.SplitSeq(p, "/") {
			if strings.HasPrefix(part, "{") {
				if _, given := parts[strings.Trim(part, "{}")]; !given {
					ok = false
				}
			}
		}
		if ok && n > best {
			path, best = p, n
		}
	}
	if best < 0 {
		t.Fatalf("%s: [%s] needs the parts of one of %v", where, api, spec.paths)
	}
	for k, v := range parts {
		path = strings.ReplaceAll(path, "{"+k+"}", url.PathEscape(v))
	}
	method := spec.method
	if body != nil {
		method = spec.withBody
	}
	target := r.srv + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(context.Background(), method, target, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for h, v := range headers {
		if v != "" {
			req.Header.Set(h, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r.status, r.raw, r.body = resp.StatusCode, string(data), nil
	if len(bytes.TrimSpace(data)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&r.body); err != nil {
			t.Fatalf("%s: %s %s answered %d with a body that is not JSON: %q", where, method, path, r.status, data)
		}
	}
	switch {
	case catch == "" && r.status >= 400:
		t.Fatalf("%s: %s %s answered %d: %s", where, method, path, r.status, data)
	case catch == "":
	case isRegex(catch):
		if r.status < 400 || !regexMatch(catch, r.raw) {
			t.Fatalf("%s: want an error matching %s, got %d %s", where, catch, r.status, data)
		}
	default:
		accept, ok := catches[catch]
		if !ok {
			t.Fatalf("%s: unknown catch [%s]", where, catch)
		}
		if !accept(r.status) {
			t.Fatalf("%s: want %s, got %d %s", where, catch, r.status, data)
		}
	}
}

// bodyJSON renders a body: a string is sent as it is, anything else as
// its JSON, members in the order written, with $name values put in.
func (r *scenarioRun) bodyJSON(where string, n *yaml.Node) []byte {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
		return []byte(r.interpolate(n.Value))
	}
	var b bytes.Buffer
	if err := r.writeJSON(&b, n); err != nil {
		r.t.Fatalf("%s: body: %v", where, err)
	}
	return b.Bytes()
}

func (r *scenarioRun) writeJSON(b *bytes.Buffer, n *yaml.Node) error {
	switch n.Kind {
	case yaml.MappingNode:
		b.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(r.interpolate(n.Content[i].Value))
			b.Write(k)
			b.WriteByte(':')
			if err := r.writeJSON(b, n.Content[i+1]); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case yaml.SequenceNode:
		b.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := r.writeJSON(b, c); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case yaml.ScalarNode:
		v, err := r.scalar(n)
		if err != nil {
			return err
		}
		data, err := json.Marshal(v)
		if err != nil {
			return err
		}
		b.Write(data)
	default:
		return fmt.Errorf("line %d: unsupported YAML node", n.Line)
	}
	return nil
}

// scalar decodes a YAML scalar, a $name standing for its stashed value.
func (r *scenarioRun) scalar(n *yaml.Node) (any, error) {
	if n.Tag == "!!str" && strings.HasPrefix(n.Value, "$") && !strings.HasPrefix(n.Value, "${") {
		v, ok := r.stash[n.Value[1:]]
		if !ok {
			return nil, fmt.Errorf("line %d: nothing was set as %s", n.Line, n.Value)
		}
		return v, nil
	}
	if n.Tag == "!!str" {
		return r.interpolate(n.Value), nil
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// scalarText is a parameter's text: lists are joined with commas.
func (r *scenarioRun) scalarText(n *yaml.Node) string {
	if n.Kind == yaml.SequenceNode {
		parts := make([]string, len(n.Content))
		for i, c := range n.Content {
			parts[i] = r.scalarText(c)
		}
		return strings.Join(parts, ",")
	}
	v, err := r.scalar(n)
	if err != nil {
		r.t.Fatal(err)
	}
	return fmt.Sprint(v)
}

var stashRef = regexp.MustCompile(`\$\{(\w+)\}`)

func (r *scenarioRun) interpolate(s string) string {
	return stashRef.ReplaceAllStringFunc(s, func(ref string) string {
		v, ok := r.stash[ref[2:len(ref)-1]]
		if !ok {
			r.t.Fatalf("nothing was set as %s", ref)
		}
		return fmt.Sprint(v)
	})
}

// lookup finds a dotted path in the last answer ($body is all of it); a
// path that leads nowhere is nil.
func (r *scenarioRun) lookup(where, path string) any {
	if path == "$body" {
		return r.body
	}
	cur := r.body
	for _, seg := range splitDotted(r.interpolate(path)) {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[seg]
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
	}
	return cur
}

// splitDotted splits a path at dots not escaped with a backslash.
func splitDotted(path string) []string {
	var segs []string
	var cur strings.Builder
	for i := 0; i < len(path); i++ {
		switch {
		case path[i] == '\\' && i+1 < len(path) && path[i+1] == '.':
			cur.WriteByte('.')
			i++
		case path[i] == '.':
			segs = append(segs, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(path[i])
		}
	}
	return append(segs, cur.String())
}

func (r *scenarioRun) check(where, kind string, arg *yaml.Node) {
	t := r.t
	t.Helper()
	for path, wantNode := range pairs(arg) {
		got := r.lookup(where, path)
		fail := func(format string, args ...any) {
			t.Fatalf("%s: %s: "+format+"\nanswer: %d %s", append(append([]any{where, path}, args...), r.status, r.raw)...)
		}
		switch kind {
		case "is_true":
			if !truthy(got) {
				fail("is %v, want a true value", got)
			}
		case "is_false":
			if truthy(got) {
				fail("is %v, want a false value", got)
			}
		case "match":
			want := r.yamlValue(wantNode)
			if s, ok := want.(string); ok && isRegex(s) {
				if !regexMatch(s, text(got)) {
					fail("%q does not match %s", text(got), s)
				}
			} else if !sameValue(got, want) {
				fail("is %s, want %s", jsonText(got), jsonText(want))
			}
		case "length":
			want, _ := strconv.Atoi(wantNode.Value)
			n := -1
			switch g := got.(type) {
			case []any:
				n = len(g)
			case map[string]any:
				n = len(g)
			case string:
				n = len(g)
			}
			if n != want {
				fail("has length %d, want %d", n, want)
			}
		case "contains":
			want := r.yamlValue(wantNode)
			list, _ := got.([]any)
			if !containsValue(list, want) {
				fail("%s does not contain %s", jsonText(got), jsonText(want))
			}
		case "gt", "lt":
			g, err1 := strconv.ParseFloat(text(got), 64)
			w, err2 := strconv.ParseFloat(r.scalarText(wantNode), 64)
			if err1 != nil || err2 != nil || (kind == "gt" && g <= w) || (kind == "lt" && g >= w) {
				fail("%s is not %s %s", text(got), kind, wantNode.Value)
			}
		default:
			t.Fatalf("%s: unknown step", where)
		}
	}
}

// yamlValue decodes an expected value, with $name values put in.
func (r *scenarioRun) yamlValue(n *yaml.Node) any {
	var b bytes.Buffer
	if n.Kind == yaml.ScalarNode {
		v, err := r.scalar(n)
		if err != nil {
			r.t.Fatal(err)
		}
		if s, ok := v.(string); ok {
			return s
		}
	}
	if err := r.writeJSON(&b, n); err != nil {
		r.t.Fatal(err)
	}
	dec := json.NewDecoder(&b)
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		r.t.Fatal(err)
	}
	return v
}

func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != "" && x != "false"
	case json.Number:
		return x.String() != "0"
	}
	return true
}

func isRegex(s string) bool {
	return len(s) > 2 && strings.HasPrefix(s, "/") && strings.HasSuffix(s, "/")
}

// regexMatch applies a /pattern/ with Elasticsearch's extended syntax: the
// pattern's unescaped whitespace is ignored, and it may match anywhere.
func regexMatch(pattern, s string) bool {
	re, err := regexp.Compile("(?s)" + stripWhitespace(pattern[1:len(pattern)-1]))
	return err == nil && re.MatchString(s)
}

func stripWhitespace(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		switch {
		case p[i] == '\\' && i+1 < len(p):
			b.WriteString(p[i : i+2])
			i++
		case p[i] == ' ' || p[i] == '\n' || p[i] == '\t':
		default:
			b.WriteByte(p[i])
		}
	}
	return b.String()
}

func text(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return jsonText(v)
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// sameValue compares JSON values, numbers by value.
func sameValue(a, b any) bool {
	if na, ok := a.(json.Number); ok {
		nb, ok := b.(json.Number)
		if !ok {
			return false
		}
		fa, ea := na.Float64()
		fb, eb := nb.Float64()
		return ea == nil && eb == nil && fa == fb
	}
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !sameValue(x[k], y[k]) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

func containsValue(list []any, want any) bool {
	for _, v := range list {
		if sameValue(v, want) {
			return true
		}
		if m, ok := v.(map[string]any); ok {
			if w, ok := want.(map[string]any); ok && subset(w, m) {
				return true
			}
		}
	}
	return false
}

// subset reports whether every member of want is in got with its value.
func subset(want, got map[string]any) bool {
	for k, v := range want {
		if !sameValue(got[k], v) {
			return false
		}
	}
	return true
}
