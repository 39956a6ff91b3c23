package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The README's shell examples (its ```sh blocks) run as written, each
// block as one script, under the conventions of TestExamples (see
// examples_test.go) and these, for what a whole document shows:
//
//   - a block right after an HTML comment `<!-- not run: REASON -->` is
//     not run, for the reason given (the set-up commands, which CI runs;
//     long fuzzing loops); every other block runs;
//   - lines that install the programs (`go install ./cmd/...`) or start
//     the daemon in the background (`apikeyd &`) are left out: the
//     programs of this tree are on PATH, and the test's daemon already
//     serves the default socket;
//   - /run/apikeyd/apikeyd.sock, the packaged daemon's socket, is the test
//     daemon's socket, and /var/lib/apikeyd its data directory; /var/backups
//     is a directory of the example's own.

// readmeBlock is one shell block of the README.
type readmeBlock struct {
	line int // of its opening fence
	text string
	// notRun is the reason the block is not run, or empty.
	notRun string
}

var notRunRE = regexp.MustCompile(`^<!-- not run: (.+) -->$`)

// readmeBlocks returns the ```sh blocks of the README at path.
func readmeBlocks(t *testing.T, path string) []readmeBlock {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		blocks  []readmeBlock
		cur     *readmeBlock
		lines   []string
		pending string // a not-run reason waiting for its block
		n       int
	)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
		l := sc.Text()
		switch {
		case cur != nil && l == "```":
			cur.text = strings.Join(lines, "\n")
			blocks = append(blocks, *cur)
			cur, lines = nil, nil
		case cur != nil:
			lines = append(lines, l)
		case l == "```sh":
			cur = &readmeBlock{line: n, notRun: pending}
			pending = ""
		case notRunRE.MatchString(l):
			pending = notRunRE.FindStringSubmatch(l)[1]
		case strings.TrimSpace(l) != "" && pending != "":
			t.Fatalf("README line %d: %q is not followed by a shell block", n, pending)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if cur != nil {
		t.Fatalf("README line %d: the block is never closed", cur.line)
	}
	return blocks
}

// readmeSkippedLineRE matches the lines the conventions leave out.
var readmeSkippedLineRE = regexp.MustCompile(`^(go install \./cmd/|apikeyd &)`)

func TestREADMEExamples(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is not installed")
	}
	blocks := readmeBlocks(t, filepath.Join("..", "..", "README.md"))
	if len(blocks) < 10 {
		t.Fatalf("only %d shell blocks found in the README", len(blocks))
	}
	d := startDaemon(t)
	sockEnv := []string{"APIKEYCTL_SOCKET=" + d.Socket, "XDG_CONFIG_HOME=" + t.TempDir()}
	for _, b := range blocks {
		t.Run(fmt.Sprintf("line%d", b.line), func(t *testing.T) {
			if b.notRun != "" {
				t.Skip("not run: " + b.notRun)
			}
			var kept []string
			for _, l := range strings.Split(b.text, "\n") {
				if !readmeSkippedLineRE.MatchString(l) {
					kept = append(kept, l)
				}
			}
			runExample(t, d, sockEnv, strings.Join(kept, "\n"), func(work, script string) string {
				backups := filepath.Join(work, "var", "backups")
				if err := os.MkdirAll(backups, 0o700); err != nil {
					t.Fatal(err)
				}
				script = strings.ReplaceAll(script, "/run/apikeyd/apikeyd.sock", d.Socket)
				script = strings.ReplaceAll(script, "/var/lib/apikeyd", d.DataDir)
				return strings.ReplaceAll(script, "/var/backups", backups)
			})
		})
	}
}
