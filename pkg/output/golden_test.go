package output

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/iostreams"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/output")

// goldenDir is testdata/output at the root of the repository.
var goldenDir = filepath.Join("..", "..", "testdata", "output")

// assertGolden compares got with testdata/output/name.golden, or rewrites
// the file with -update.
func assertGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join(goldenDir, name+".golden")
	if *update {
		if err := os.MkdirAll(goldenDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file: %v (run go test ./pkg/output/ -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run with -update to accept it)\n--- got:\n%s\n--- want:\n%s", path, got, want)
	}
}

// mode is how stdout looks to a rendering.
type mode struct {
	name  string
	tty   bool
	env   map[string]string
	width int // 0 is iostreams.DefaultWidth
}

var (
	modeTTY        = mode{name: "tty", tty: true}
	modeTTYNoColor = mode{name: "tty-nocolor", tty: true, env: map[string]string{"NO_COLOR": "1"}}
	modePipe       = mode{name: "pipe", tty: false}
	allModes       = []mode{modeTTY, modeTTYNoColor, modePipe}
)

// run writes v through Write with streams set up for m, at the fixed clock.
func run(t *testing.T, m mode, opts Options, v any) (stdout, stderr string, err error) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	ios.SetStdoutTTY(m.tty)
	ios.SetTerminalWidth(m.width)
	ios.SetGetenv(func(k string) string { return m.env[k] })
	opts.Now = clock
	err = Write(ios, opts, v)
	return out.String(), errOut.String(), err
}

// mustRun is run for a Write that must succeed and leave stderr empty.
func mustRun(t *testing.T, m mode, opts Options, v any) string {
	t.Helper()
	out, errOut, err := run(t, m, opts, v)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	if errOut != "" {
		t.Errorf("unexpected stderr: %q", errOut)
	}
	return out
}

func TestRenderGolden(t *testing.T) {
	tests := []struct {
		name   string
		v      any
		format Format // for the TTY modes; the pipe mode asks for table (or wide) explicitly
		detail bool
		width  int
	}{
		{name: "keys", v: keyList()},
		{name: "keys-120", v: keyList(), width: 120},
		{name: "keys-typical", v: typicalKeys()},
		{name: "keys-long-60", v: longKeys(), width: 60},
		{name: "keys-long-80", v: longKeys(), width: 80},
		{name: "keys-long-120", v: longKeys(), width: 120},
		{name: "create-60", v: createResponse(), width: 60},
		{name: "query-aggs", v: queryWithAggs(), width: 100},
		{name: "keys-wide", v: keyList(), format: Wide},
		{name: "key-card", v: singleKey(keyActive()), detail: true},
		{name: "key-cards", v: keyList(), detail: true},
		{name: "key-bare", v: keyInvalidated()},
		{name: "create", v: createResponse()},
		{name: "create-pointer", v: ptr(createResponse())},
		{name: "invalidate", v: invalidateResponse()},
		{name: "whoami", v: authenticateResponse()},
		{name: "whoami-realm", v: whoamiRealm()},
		{name: "users", v: usersResponse()},
		{name: "roles", v: rolesResponse()},
		{name: "query-users", v: queriedUsers()},
		{name: "query-roles", v: queriedRoles()},
		{name: "app-privileges", v: privilegesResponse()},
		{name: "user-privileges", v: userPrivilegesResponse()},
		{name: "generic", v: putUserResponse()},
	}
	for _, tt := range tests {
		for _, m := range allModes {
			t.Run(tt.name+"/"+m.name, func(t *testing.T) {
				m.width = tt.width
				opts := Options{Format: tt.format, Detail: tt.detail}
				if !m.tty && opts.Format == Auto {
					opts.Format = Table
				}
				got := mustRun(t, m, opts, tt.v)
				if got == "" {
					t.Fatal("empty rendering")
				}
				if m.name != modeTTY.name && strings.Contains(got, "\x1b") {
					t.Errorf("escape sequence without colour:\n%q", got)
				}
				if m.name == modeTTY.name && !strings.Contains(got, "\x1b[") && tt.name != "generic" {
					t.Errorf("no colour on a colour terminal:\n%s", got)
				}
				assertGolden(t, tt.name+"."+m.name, got)
			})
		}
	}
}

func TestMachineGolden(t *testing.T) {
	values := []struct {
		name string
		v    any
	}{
		{"keys", keyList()},
		{"create", createResponse()},
		{"invalidate", invalidateResponse()},
		{"whoami", authenticateResponse()},
		{"users", usersResponse()},
		{"roles", rolesResponse()},
		{"query-users", queriedUsers()},
		{"query-roles", queriedRoles()},
		{"app-privileges", privilegesResponse()},
	}
	for _, v := range values {
		for _, f := range []Format{JSON, YAML, JSONL} {
			t.Run(v.name+"/"+string(f), func(t *testing.T) {
				// Machine formats are the same on a terminal and on a pipe.
				got := mustRun(t, modePipe, Options{Format: f}, v.v)
				if tty := mustRun(t, modeTTY, Options{Format: f}, v.v); tty != got {
					t.Errorf("-o %s differs on a terminal:\n%s", f, tty)
				}
				assertGolden(t, v.name+"."+string(f), got)
			})
		}
	}
}
