package layers

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/apikeyctl/apikeyctl/"

// mayImport lists, for every package of the module, the packages of the
// module it may import directly. It is the picture of the design, from the
// bottom up.
var mayImport = map[string][]string{
	// The contract, over the strict reader of request JSON; the default
	// paths both programs share.
	"pkg/api":   {"pkg/strictjson"},
	"pkg/paths": {},
	// The strict reader of request bodies, and ordered JSON trees for
	// output: leaves both sides use.
	"pkg/strictjson":  {},
	"pkg/orderedjson": {},
	// Terminal plumbing for the CLI.
	"pkg/iostreams": {},
	// The modes of the files doctor looks at, judged alike by both programs.
	"pkg/filecheck": {"pkg/api"},

	// The key itself, identities and privileges, the query DSL.
	"pkg/apikey": {"pkg/api"},
	"pkg/auth":   {"pkg/api"},
	"pkg/query":  {"pkg/api", "pkg/strictjson"},

	// Storage: the interface, its contract suite, the SQLite store, the
	// PostgreSQL store, a private PostgreSQL server and the databases of
	// the tests on one. Storage knows no rules.
	"pkg/store":                   {"pkg/api", "pkg/query"},
	"pkg/store/storetest":         {"pkg/api", "pkg/query", "pkg/store"},
	"pkg/store/sqlite":            {"pkg/api", "pkg/filecheck", "pkg/query", "pkg/store"},
	"pkg/store/postgres":          {"pkg/api", "pkg/query", "pkg/store"},
	"pkg/store/postgres/pgserver": {},
	"pkg/store/postgres/pgtest":   {"pkg/store/postgres/pgserver"},

	// Copying every record of one store into another (apikeyctl
	// migrate), and verifying the copy.
	"pkg/storecopy": {"pkg/api", "pkg/store"},

	// The rules: every rule of the API, over a store.
	"pkg/keyservice": {"pkg/api", "pkg/apikey", "pkg/auth", "pkg/query", "pkg/store"},
	// The audit sink: implements keyservice's Auditor.
	"pkg/audit": {"pkg/api", "pkg/auth", "pkg/filecheck", "pkg/keyservice"},
	// The one way to open the local backend (store + audit + rules), for
	// the daemon and for apikeyctl --db.
	"pkg/backend": {"pkg/api", "pkg/audit", "pkg/auth", "pkg/filecheck", "pkg/keyservice", "pkg/store", "pkg/store/postgres", "pkg/store/sqlite"},

	// The metrics (client_golang): implements keyservice's Recorder and
	// esapi's RequestObserver, renders keyservice's snapshot. It links
	// net/http (through expfmt), so no package of the rules may import it.
	"pkg/metrics": {"pkg/api", "pkg/keyservice", "pkg/store"},

	// Transport: HTTP handlers (server side) and the HTTP client.
	"pkg/esapi":  {"pkg/api", "pkg/auth", "pkg/orderedjson"},
	"pkg/client": {"pkg/api"},

	// The two programs' packages.
	"pkg/daemon": {"pkg/api", "pkg/audit", "pkg/auth", "pkg/backend", "pkg/esapi", "pkg/keyservice", "pkg/metrics", "pkg/paths"},
	"pkg/output": {"pkg/api", "pkg/iostreams", "pkg/orderedjson"},
	// The flag syntax of query's filters, metadata pairs and time values,
	// shared by the commands and the browser's query box and update form.
	"pkg/keyflags": {"pkg/api"},
	// The key browser: the terminal renderings, in a full-screen view.
	"pkg/browse": {"pkg/api", "pkg/iostreams", "pkg/keyflags", "pkg/output"},
	"pkg/cli":    {"pkg/api", "pkg/audit", "pkg/auth", "pkg/backend", "pkg/browse", "pkg/client", "pkg/filecheck", "pkg/iostreams", "pkg/keyflags", "pkg/keyservice", "pkg/output", "pkg/paths", "pkg/storecopy"},

	// Commands.
	"cmd/apikeyctl": {"pkg/cli"},
	"cmd/apikeyd":   {"pkg/daemon"},
	"cmd/gendocs":   {"pkg/cli", "pkg/daemon"},
	// The benchmark (not shipped) runs the programs and grows their
	// database with the store, on a private PostgreSQL server for the
	// PostgreSQL rows.
	"cmd/apikeybench": {"pkg/apikey", "pkg/query", "pkg/store", "pkg/store/postgres", "pkg/store/postgres/pgserver", "pkg/store/sqlite"},

	// This package.
	"pkg/layers": {},
}

// rules are the packages that hold the contract, the rules and storage:
// they know no transport and no terminal.
var rules = []string{
	"pkg/api", "pkg/strictjson", "pkg/filecheck", "pkg/apikey", "pkg/auth", "pkg/query",
	"pkg/store", "pkg/store/sqlite", "pkg/store/postgres", "pkg/storecopy", "pkg/keyservice", "pkg/audit", "pkg/backend",
}

// transportOrTerminal are the packages that the rules must not link: each
// with the packages below it, and a prefix ending in / names every package
// that starts with it.
var transportOrTerminal = []string{
	"net/http", "github.com/spf13/", "github.com/charmbracelet/", "golang.org/x/term",
	module + "pkg/esapi", module + "pkg/client", module + "pkg/daemon", module + "pkg/cli",
	module + "pkg/output", module + "pkg/iostreams",
}

// mustNotLink lists, for each program, the packages it must not link.
var mustNotLink = map[string][]string{
	// apikeyctl reads the daemon's metrics as text: client_golang's
	// protobuf opens the executable at init, which takes file descriptors
	// (the poller's) that --secret-out fd:N must find closed.
	"cmd/apikeyctl": {"pkg/daemon", "pkg/esapi", "pkg/metrics"},
	"cmd/apikeyd":   {"pkg/cli", "pkg/browse", "pkg/keyflags", "pkg/output", "pkg/iostreams", "pkg/client"},
}

// within reports whether the package path is prefix or below it.
func within(path, prefix string) bool {
	if strings.HasSuffix(prefix, "/") {
		return strings.HasPrefix(path, prefix)
	}
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

// listPackages is `go list -json` of the module's packages, by path
// relative to the module.
func listPackages(t *testing.T) map[string]pkg {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	cmd := exec.Command(goBin, "list", "-json", module+"...")
	out, err := cmd.Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			t.Fatalf("go list: %v\n%s", err, exit.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string]pkg{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs[strings.TrimPrefix(p.ImportPath, module)] = p
	}
	return pkgs
}

// ours is the module's packages among paths, relative to the module.
func ours(paths []string) []string {
	var rel []string
	for _, p := range paths {
		if r, ok := strings.CutPrefix(p, module); ok {
			rel = append(rel, r)
		}
	}
	return rel
}

func TestImportsPointDown(t *testing.T) {
	for name, p := range listPackages(t) {
		allowed, placed := mayImport[name]
		if !placed {
			t.Errorf("%s is not on the picture: add it to mayImport (and to the design's layers)", name)
			continue
		}
		for _, imp := range ours(p.Imports) {
			if !slices.Contains(allowed, imp) {
				t.Errorf("%s imports %s, against the design's layers", name, imp)
			}
		}
	}
}

func TestRulesKnowNoTransportOrTerminal(t *testing.T) {
	pkgs := listPackages(t)
	for _, name := range rules {
		p, ok := pkgs[name]
		if !ok {
			t.Errorf("%s: no such package", name)
			continue
		}
		for _, dep := range p.Deps {
			if slices.ContainsFunc(transportOrTerminal, func(bad string) bool { return within(dep, bad) }) {
				t.Errorf("%s links %s", name, dep)
			}
		}
	}
}

func TestProgramsLinkOnlyTheirSide(t *testing.T) {
	pkgs := listPackages(t)
	for prog, banned := range mustNotLink {
		p, ok := pkgs[prog]
		if !ok {
			t.Errorf("%s: no such package", prog)
			continue
		}
		deps := ours(p.Deps)
		for _, b := range banned {
			if slices.Contains(deps, b) {
				t.Errorf("%s links %s", prog, b)
			}
		}
	}
}

// queryAtInit are packages whose init queries the terminal: bubbletea v1's
// tea_init.go asks lipgloss for the background colour, so every command of
// a program that links it writes OSC 11 and a cursor position request at
// start-up and waits up to 5 s for a terminal that never answers (docker
// run -t, expect, script). The browser uses bubbletea v2
// (charm.land/bubbletea/v2), which asks nothing before a program runs.
// cmd/apikeyctl's TestStartupAsksTheTerminalNothing checks the behaviour
// itself on a pseudo-terminal.
var queryAtInit = []string{"github.com/charmbracelet/bubbletea", "github.com/charmbracelet/bubbles"}

func TestProgramsQueryNoTerminalAtInit(t *testing.T) {
	pkgs := listPackages(t)
	for _, prog := range []string{"cmd/apikeyctl", "cmd/apikeyd"} {
		p, ok := pkgs[prog]
		if !ok {
			t.Errorf("%s: no such package", prog)
			continue
		}
		for _, dep := range p.Deps {
			if slices.ContainsFunc(queryAtInit, func(bad string) bool { return within(dep, bad) }) {
				t.Errorf("%s links %s, whose init queries the terminal", prog, dep)
			}
		}
	}
}
