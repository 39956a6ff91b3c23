package esapi_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden responses in testdata/query")

// goldenDir holds the query golden files: NAME.request.json, a request to
// run against the query fixture, and NAME.response.json, the expected
// status and body.
const goldenDir = "../../testdata/query"

// goldenRequest is a NAME.request.json file.
type goldenRequest struct {
	// Caller names one of fixtureCallers; elastic when empty.
	Caller string `json:"caller"`
	// Method is GET or POST (default).
	Method string `json:"method"`
	// Path is the request target; the query API when empty.
	Path string `json:"path"`
	// Body is the request body; BodyText a body that is not JSON.
	Body     json.RawMessage `json:"body"`
	BodyText *string         `json:"body_text"`
}

// TestQueryGolden runs every request of testdata/query against the
// 241-key fixture, on each of fixtureStores, and compares the answers,
// status and body, with the golden responses: the stores must answer
// alike to the byte. go test -run TestQueryGolden -update rewrites them
// from the SQLite store's answers.
func TestQueryGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(goldenDir, "*.request.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no golden requests in " + goldenDir)
	}
	for i, st := range fixtureStores {
		t.Run(st.name, func(t *testing.T) {
			fx := newQueryFixtureOn(t, st.open(t))
			for _, file := range files {
				name := strings.TrimSuffix(filepath.Base(file), ".request.json")
				t.Run(name, func(t *testing.T) {
					fx.checkGolden(t, file, filepath.Join(goldenDir, name+".response.json"), *update && i == 0)
				})
			}
		})
	}
}

// checkGolden runs the golden request in file and compares the answer
// with the golden response want, or rewrites want when write is set.
func (fx *queryFixture) checkGolden(t *testing.T, file, want string, write bool) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var gr goldenRequest
	if err := json.Unmarshal(data, &gr); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	got := fx.run(t, gr)
	if write {
		if err := os.WriteFile(want, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	expected, err := os.ReadFile(want)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(expected, got) {
		t.Errorf("response differs from %s (run with -update to accept):\n%s", want, diffLines(string(expected), string(got)))
	}
}

// run sends a golden request and renders the answer as a golden response.
func (fx *queryFixture) run(t *testing.T, gr goldenRequest) []byte {
	t.Helper()
	method, path := gr.Method, gr.Path
	if method == "" {
		method = "POST"
	}
	if path == "" {
		path = "/_security/_query/api_key"
	}
	var body string
	switch {
	case gr.BodyText != nil:
		body = *gr.BodyText
	case len(gr.Body) > 0:
		body = string(gr.Body)
	}
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	caller := gr.Caller
	if caller == "" {
		caller = "elastic"
	}
	header, ok := fixtureCallers[caller]
	if !ok {
		t.Fatalf("unknown caller %q", caller)
	}
	r.Header.Set("Authorization", header)
	w := httptest.NewRecorder()
	fx.handler.ServeHTTP(w, r)
	var out bytes.Buffer
	raw := []byte(`{"status":` + strconv.Itoa(w.Code) + `,"body":` + w.Body.String() + `}`)
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		t.Fatalf("response is not JSON: %v\n%s", err, w.Body.String())
	}
	out.WriteByte('\n')
	return out.Bytes()
}

// diffLines shows the first lines where two texts differ.
func diffLines(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(wl), len(gl)) && shown < 20; i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			b.WriteString("line " + strconv.Itoa(i+1) + ":\n  want: " + w + "\n  got:  " + g + "\n")
			shown++
		}
	}
	return b.String()
}
