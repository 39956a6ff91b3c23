package browse

import (
	"encoding/json"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// typeQuery opens the query box, types text (a paste: every character at
// once) and runs it.
func (h *harness) typeQuery(text string) {
	h.t.Helper()
	h.keys(":")
	h.send(tea.PasteMsg{Content: text})
	h.keys("<enter>")
}

// lastQuery is the "query" of the last request, "" when it had none.
func (h *harness) lastQuery() string {
	q, ok := h.svc.queries[len(h.svc.queries)-1]["query"]
	if !ok {
		return ""
	}
	return string(q)
}

// sameJSON reports whether a and b are the same JSON value.
func sameJSON(t *testing.T, a, b string) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal([]byte(a), &x); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return reflect.DeepEqual(x, y)
}

// TestQueryReachesTheService checks the DSL the query box sends for flags
// (as apikeyctl query compiles them) and for query DSL, with the browser's
// sort and page size around it.
func TestQueryReachesTheService(t *testing.T) {
	tests := []struct {
		name, text, want string // want "": no query
	}{
		{name: "owner", text: "--owner alice",
			want: `{"bool":{"filter":[{"term":{"username":"alice"}}]}}`},
		{name: "wildcard name, metadata and active", text: `--name 'ci-*' --metadata env=prod --active`,
			want: `{"bool":{"filter":[{"wildcard":{"name":"ci-*"}},{"term":{"invalidated":false}},{"bool":{"minimum_should_match":1,"should":[{"range":{"expiration":{"gt":"now"}}},{"bool":{"must_not":{"exists":{"field":"expiration"}}}}]}},{"term":{"metadata.env":"prod"}}]}}`},
		{name: "quoted value with spaces", text: `--metadata "team=search ops" --owner=bob`,
			want: `{"bool":{"filter":[{"term":{"username":"bob"}},{"term":{"metadata.team":"search ops"}}]}}`},
		{name: "escaped space", text: `--name my\ key`,
			want: `{"bool":{"filter":[{"term":{"name":"my key"}}]}}`},
		{name: "expires within", text: "--expires-within 7d",
			want: `{"bool":{"filter":[{"term":{"invalidated":false}},{"range":{"expiration":{"gt":"now","lte":"now+7d"}}}]}}`},
		{name: "created and type", text: "--created-after now-30d --type rest",
			want: `{"bool":{"filter":[{"term":{"type":"rest"}},{"range":{"creation":{"format":"strict_date_optional_time||epoch_millis","gte":"now-30d"}}}]}}`},
		{name: "raw query", text: `{"prefix":{"name":"svc-00"}}`, want: `{"prefix":{"name":"svc-00"}}`},
		{name: "raw request body", text: ` {"query":{"term":{"username":"bob"}}}`, want: `{"term":{"username":"bob"}}`},
		{name: "empty is every key", text: "", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t, setup{keys: 5, width: 120, height: 20})
			h.typeQuery(tt.text)
			if h.m.screen != screenList {
				t.Fatalf("the box is still open: %s", h.plain())
			}
			got := h.lastQuery()
			if tt.want == "" {
				if got != "" {
					t.Errorf("query %s, want none", got)
				}
			} else if got == "" || !sameJSON(t, got, tt.want) {
				t.Errorf("query\n got %s\nwant %s", got, tt.want)
			}
			body := h.svc.queries[len(h.svc.queries)-1]
			if string(body["sort"]) != `[{"creation":{"order":"desc"}},"_doc"]` || string(body["size"]) != "100" {
				t.Errorf("sort %s, size %s: the browser's are lost", body["sort"], body["size"])
			}
			if text := strings.TrimSpace(tt.text); text != "" && !strings.Contains(h.plain(), "query "+text) {
				t.Errorf("the status line does not show the query:\n%s", h.plain())
			}
		})
	}
}

// TestQueryCombines checks that the active query stays with the sort, the
// live filter and the pages loaded with search_after, and that esc drops
// it.
func TestQueryCombines(t *testing.T) {
	h := start(t, setup{keys: 40, width: 120, height: 20, pageSize: 15})
	h.typeQuery("--owner bob")
	want := h.lastQuery()
	h.keys("s")
	if h.lastQuery() != want || string(h.svc.queries[len(h.svc.queries)-1]["sort"]) != `[{"name":{"order":"desc"}},"_doc"]` {
		t.Errorf("after s: query %s, sort %s", h.lastQuery(), h.svc.queries[len(h.svc.queries)-1]["sort"])
	}
	for range 5 {
		h.keys("<end>")
	}
	last := h.svc.queries[len(h.svc.queries)-1]
	if _, ok := last["search_after"]; !ok || string(last["query"]) != want {
		t.Errorf("next page: %v", last)
	}
	h.keys("/", "0", "1", "<enter>")
	if !strings.Contains(h.plain(), "query --owner bob · filter 01") {
		t.Errorf("query and filter are not both on the status line:\n%s", h.plain())
	}
	h.keys("<esc>", "<esc>")
	if h.lastQuery() != "" || strings.Contains(h.plain(), "query --owner") {
		t.Errorf("esc kept the query %s:\n%s", h.lastQuery(), h.plain())
	}
}

// TestQueryErrors checks that a bad query says what the CLI would, keeps
// the list and reopens the box with the text.
func TestQueryErrors(t *testing.T) {
	tests := []struct {
		name, text, want string
		server           error
	}{
		{name: "bad type", text: "--type x", want: `invalid --type "x": use rest or cross_cluster`},
		{name: "two states", text: "--active --expired", want: "--active, --expired and --invalidated cannot be used together"},
		{name: "unknown flag", text: "--bogus", want: "unknown flag: --bogus"},
		{name: "missing value", text: "--owner", want: "flag needs an argument: --owner"},
		{name: "not a filter", text: "--sort name", want: "--sort is not a filter: s and S choose the sort"},
		{name: "help", text: "--help", want: "the query box takes apikeyctl query's filter flags, or query DSL starting with {: ? shows them"},
		{name: "after --", text: "-- --owner bob", want: `the query box takes flags, not arguments: ["--owner" "bob"] (quote a value with spaces)`},
		{name: "argument", text: "alice", want: `the query box takes flags, not arguments: ["alice"] (quote a value with spaces)`},
		{name: "open quote", text: "--name 'ci", want: "a ' quote is not closed"},
		{name: "bad duration", text: "--expires-within 7", want: `invalid --expires-within "7": give a number and a unit (s, m, h, d, w, M, y), such as 7d`},
		{name: "not JSON", text: "{nope", want: "the query is not a JSON object: invalid character 'n' looking for beginning of object key string"},
		{name: "body with a sort", text: `{"query":{"match_all":{}},"sort":["name"]}`, want: `the browser takes only "query" from a request body, not "sort": s and S sort, pages load as you scroll`},
		{name: "refused by the server", text: `{"regexp":{"name":"a.*"}}`,
			server: api.Errorf(api.Invalid, "Query type [regexp] is not currently supported in this context"),
			want:   "Query API keys: Query type [regexp] is not currently supported in this context"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t, setup{keys: 30, width: 120, height: 20})
			h.typeQuery("--owner alice")
			h.svc.queryErr = tt.server
			before := slices.Clone(h.m.keys)
			h.typeQuery(tt.text)
			if h.m.screen != screenQuery || h.m.queryBox.Value() != tt.text {
				t.Errorf("box open %v with %q, want open with %q", h.m.screen == screenQuery, h.m.queryBox.Value(), tt.text)
			}
			if h.m.queryErr != tt.want || !strings.Contains(h.plain(), tt.want) {
				t.Errorf("error %q, want %q\n%s", h.m.queryErr, tt.want, h.plain())
			}
			if !slices.EqualFunc(h.m.keys, before, func(a, b api.APIKey) bool { return a.ID == b.ID }) || h.m.queryText() != "--owner alice" {
				t.Errorf("the list or the active query was lost")
			}
			h.keys("<esc>")
			if h.m.screen != screenList || !strings.Contains(h.plain(), "15 of 15 keys · query --owner alice") {
				t.Errorf("esc: %s", h.plain())
			}
		})
	}
}

func TestQueryHistory(t *testing.T) {
	h := start(t, setup{keys: 5, width: 120, height: 20})
	for _, q := range []string{"--owner alice", "--owner bob", "--active", "--owner alice"} {
		h.typeQuery(q)
	}
	if want := []string{"--owner bob", "--active", "--owner alice"}; !slices.Equal(h.m.history, want) {
		t.Fatalf("history %q, want %q (once each, newest last)", h.m.history, want)
	}
	h.keys(":")
	h.send(tea.PasteMsg{Content: "--na"})
	for _, step := range []struct{ key, want string }{
		{"<up>", "--owner alice"}, {"<up>", "--active"}, {"<up>", "--owner bob"}, {"<up>", "--owner bob"},
		{"<down>", "--active"}, {"<down>", "--owner alice"}, {"<down>", "--na"}, {"<down>", "--na"},
	} {
		h.keys(step.key)
		if got := h.m.queryBox.Value(); got != step.want {
			t.Fatalf("after %s: %q, want %q", step.key, got, step.want)
		}
	}
	h.keys("<up>", "<up>", "<enter>")
	if h.m.queryText() != "--active" {
		t.Errorf("the query run from the history is %q", h.m.queryText())
	}
	// A failed query is in the history too, to be fixed.
	h.typeQuery("--type nope")
	h.keys("<esc>", ":", "<up>")
	if got := h.m.queryBox.Value(); got != "--type nope" {
		t.Errorf("up after a failed query: %q", got)
	}
}

// TestQueryBoxCursor checks that the box puts the terminal's cursor after
// the text, on the status line.
func TestQueryBoxCursor(t *testing.T) {
	h := start(t, setup{keys: 5, width: 80, height: 24})
	h.keys(":")
	h.send(tea.PasteMsg{Content: "--active"})
	c := h.m.View().Cursor
	if c == nil || c.X != len(":--active") || c.Y != 24-2 {
		t.Fatalf("cursor %+v, want at column %d of line %d", c, len(":--active"), 24-2)
	}
	h.keys("<esc>")
	if h.m.View().Cursor != nil {
		t.Errorf("a cursor on the list")
	}
}

// escRE matches the start of any escape sequence.
var escRE = regexp.MustCompile("\x1b")

// TestNoColorHasNoEscapes checks every new screen under NO_COLOR: plain
// text, the cursor being the terminal's.
func TestNoColorHasNoEscapes(t *testing.T) {
	h := start(t, setup{keys: 30, width: 80, height: 24})
	screens := map[string]func(){
		"query box":   func() { h.keys(":") },
		"query error": func() { h.send(tea.PasteMsg{Content: "--type x"}); h.keys("<enter>") },
		"list with a query": func() {
			h.keys("<esc>")
			h.typeQuery("--owner bob")
		},
		"help":   func() { h.keys("?") },
		"update": func() { h.keys("?", "e") },
		"update error": func() {
			h.send(tea.PasteMsg{Content: "env=prod"})
			h.keys("<tab>")
			h.send(tea.PasteMsg{Content: "soon"})
			h.keys("<enter>")
		},
		"confirmation": func() {
			h.m.edit.expires.SetValue("30d")
			h.keys("<enter>")
		},
	}
	for _, name := range []string{"query box", "query error", "list with a query", "help", "update", "update error", "confirmation"} {
		screens[name]()
		if v := h.view(); escRE.MatchString(v) {
			t.Errorf("%s: escape codes under NO_COLOR: %q", name, v)
		}
	}
}
