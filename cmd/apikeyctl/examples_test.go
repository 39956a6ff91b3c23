package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/apikeyctl/apikeyctl/pkg/cli"
	"github.com/apikeyctl/apikeyctl/pkg/iostreams"
)

// The documented examples run as a user would type them, with bash, in a
// fresh directory, against a real apikeyd (the default socket) that also
// serves TLS on 127.0.0.1. These conventions make them runnable as
// written:
//
//   - the sample id 7Q2eJ5gBc8uQ3hY1Zk9w stands for a key's id: it is
//     replaced with the id of a key created for the example, whose
//     encoded credential is in $KEY (and in any other *KEY* variable the
//     example uses);
//   - https://localhost:9200 is apikeyd's TLS port, and http_ca.crt in the
//     directory the CA that signed its certificate (as Elasticsearch 8
//     writes it); $ELASTIC_PASSWORD is the password of elastic;
//   - other variables the example uses get a value: $NAME_PASSWORD the
//     password of the user name (alice, bob and ci-bot exist with theirs),
//     other *PASSWORD* variables and $PW a password, *ID a key id,
//     anything else "example";
//   - /var/lib/apikeyd, the packaged daemon's data directory, is an empty
//     directory of the example's own;
//   - the directory holds roles.json (role descriptors), reader-role.json
//     (a role), access.json (cross-cluster access) and ids.txt (key ids);
//   - the role key_admin and keys named ci-deploy and tmp-debug exist.
//
// Each paragraph of an Example (lines separated by a blank line) runs
// under `set -eo pipefail` and must exit 0.

// sampleID is the key id examples write for "a key's id".
const sampleID = "7Q2eJ5gBc8uQ3hY1Zk9w"

// example is one paragraph of a command's examples.
type example struct {
	name string // the command path and the paragraph's number
	text string
}

// collectExamples returns the paragraphs of every command's Example, and
// of the help topics' text after "For example:" or "Examples:".
func collectExamples(root *cobra.Command) []example {
	var out []example
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		text := c.Example
		if c.IsAdditionalHelpTopicCommand() {
			text = ""
			if i := regexp.MustCompile(`(?m)^(For example|Examples):\n`).FindStringIndex(c.Long); i != nil {
				text = c.Long[i[1]:]
			}
		}
		for i, para := range regexp.MustCompile(`\n[ \t]*\n`).Split(text, -1) {
			if !strings.Contains(para, "apikeyctl ") {
				continue
			}
			lines := strings.Split(para, "\n")
			for j, l := range lines {
				lines[j] = strings.TrimPrefix(l, "  ")
			}
			out = append(out, example{name: fmt.Sprintf("%s#%d", c.CommandPath(), i+1), text: strings.Join(lines, "\n")})
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return out
}

// seededRE matches the examples that use what seed makes.
var seededRE = regexp.MustCompile(`alice|bob|ci-bot|key_admin|ci-|tmp-`)

var varRE = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)`)

func TestExamples(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is not installed")
	}
	d := startDaemon(t)
	sockEnv := []string{"APIKEYCTL_SOCKET=" + d.Socket, "XDG_CONFIG_HOME=" + t.TempDir()}
	ios, _, _, _ := iostreams.Test()
	root := cli.NewRootCmd(&cli.Factory{IOStreams: ios, Getenv: func(string) string { return "" }, Now: time.Now})
	examples := collectExamples(root)
	if len(examples) < 20 {
		t.Fatalf("only %d examples found", len(examples))
	}
	for _, ex := range examples {
		t.Run(ex.name, func(t *testing.T) {
			runExample(t, d, sockEnv, ex.text, func(work, script string) string {
				return strings.ReplaceAll(script, "/var/lib/apikeyd", filepath.Join(work, "var", "lib", "apikeyd"))
			})
		})
	}
}

// runExample runs text as bash under `set -eo pipefail` in a fresh work
// directory, with the fixtures and variables the conventions above
// promise and the paths local rewrites (given the work directory), and
// fails the test when it exits non-zero.
func runExample(t *testing.T, d *testDaemon, sockEnv []string, text string, local func(work, script string) string) {
	t.Helper()
	// Examples may delete the fixtures, so each example gets them anew.
	if seededRE.MatchString(text) {
		seedExamples(t, sockEnv)
	}
	var key exampleKey
	out := apikeyctl(t, sockEnv, "", "create", "--name", "example-key", "-o", "json")
	if err := json.Unmarshal([]byte(out), &key); err != nil {
		t.Fatal(err)
	}
	work := exampleWorkDir(t, d, key)
	_, port, _ := strings.Cut(d.Addr, ":")
	script := strings.ReplaceAll(text, sampleID, key.ID)
	script = strings.ReplaceAll(script, "localhost:9200", "localhost:"+port)
	script = local(work, script)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", "set -eo pipefail\n"+script)
	cmd.Dir = work
	cmd.Env = exampleEnv(script, work, d, key)
	cmd.Stdin = strings.NewReader("")
	outErr, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the example fails: %v\n--- example:\n%s\n--- output:\n%s", err, text, outErr)
	}
}

// exampleKey is the key each example may use as $KEY and $ID.
type exampleKey struct {
	ID      string `json:"id"`
	Encoded string `json:"encoded"`
}

// seedExamples makes the users, role and keys the examples rely on exist.
func seedExamples(t *testing.T, sockEnv []string) {
	t.Helper()
	users := apikeyctl(t, sockEnv, "", "user", "get", "--jq", "keys[]")
	for _, u := range []string{"alice", "bob", "ci-bot"} {
		if !strings.Contains("\n"+users+"\n", "\n"+u+"\n") {
			pw := examplePassword(strings.ToUpper(strings.ReplaceAll(u, "-", "_")) + "_PASSWORD")
			apikeyctl(t, sockEnv, pw+"\n", "user", "add", u, "--roles", "ci_keys", "--new-password-stdin")
		}
	}
	apikeyctl(t, sockEnv, "", "role", "put", "key_admin", "--cluster", "manage_own_api_key")
	keys := apikeyctl(t, sockEnv, "", "get", "--active-only", "--field", "name")
	for _, name := range []string{"ci-deploy", "tmp-debug"} {
		if !strings.Contains("\n"+keys+"\n", "\n"+name+"\n") {
			apikeyctl(t, sockEnv, "", "create", "--name", name)
		}
	}
}

// exampleWorkDir is an example's working directory, with the files the
// examples name and a data directory in place of /var/lib/apikeyd.
func exampleWorkDir(t *testing.T, d *testDaemon, key exampleKey) string {
	t.Helper()
	work := t.TempDir()
	ca, err := os.ReadFile(d.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	fixtures := map[string]string{
		"roles.json":       `{"logs-reader":{"cluster":["monitor"],"indices":[{"names":["logs-*"],"privileges":["read"]}]}}`,
		"reader-role.json": `{"cluster":["monitor"],"indices":[{"names":["logs-*"],"privileges":["read"]}]}`,
		"access.json":      `{"search":[{"names":["logs-*"]}]}`,
		"ids.txt":          key.ID + "\n",
		"http_ca.crt":      string(ca),
	}
	for name, content := range fixtures {
		if err := os.WriteFile(filepath.Join(work, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(work, "var", "lib", "apikeyd"), 0o700); err != nil {
		t.Fatal(err)
	}
	return work
}

// exampleEnv is the environment of an example: the daemon's socket and
// password, and a value for every other variable the script names.
func exampleEnv(script, work string, d *testDaemon, key exampleKey) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"GORACE=" + os.Getenv("GORACE"),
		"HOME=" + work,
		"TMPDIR=" + work,
		"XDG_CONFIG_HOME=" + filepath.Join(work, ".config"),
		"XDG_RUNTIME_DIR=" + work,
		"APIKEYD_SOCKET=" + d.Socket,
		"ELASTIC_PASSWORD=" + d.Password,
		"KEY=" + key.Encoded,
		"ID=" + key.ID,
	}
	for _, m := range varRE.FindAllStringSubmatch(script, -1) {
		name := m[1]
		switch {
		case name == "HOME" || name == "PATH" || name == "ELASTIC_PASSWORD" || name == "KEY" || name == "ID":
		case strings.Contains(name, "PASSWORD") || name == "PW":
			env = append(env, name+"="+examplePassword(name))
		case strings.Contains(name, "KEY"):
			env = append(env, name+"="+key.Encoded)
		case strings.HasSuffix(name, "ID"):
			env = append(env, name+"="+key.ID)
		default:
			env = append(env, name+"=example")
		}
	}
	return env
}

// examplePassword is the value of the password variable name in the
// examples; the seeded user alice's password is examplePassword("ALICE_PASSWORD").
func examplePassword(name string) string {
	return "pw-" + strings.ToLower(name)
}
