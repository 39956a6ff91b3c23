package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestBrowseNeedsATerminal(t *testing.T) {
	db := filepath.Join(t.TempDir(), "keys.db")
	for _, tty := range []bool{false, true} {
		// With a terminal on stdout only, stdin (a buffer) is still no
		// terminal to read keys from.
		code, stdout, stderr := run(t, tty, "", nil, "--db", db, "browse")
		if code != 2 || stdout != "" || !strings.Contains(stderr, "browse needs a terminal; use get or query on a pipe") {
			t.Errorf("stdout tty %v: exit %d, stdout %q, stderr %q; want 2 and the message", tty, code, stdout, stderr)
		}
	}
	code, _, stderr := run(t, false, "", nil, "--db", db, "browse", "extra")
	if code != 2 {
		t.Errorf("browse extra: exit %d (%s), want 2", code, stderr)
	}
}
