package cli

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// apikeyctl takes the first default socket something listens on: a
// daemon started by su, without XDG_RUNTIME_DIR, is found in its data
// directory past a missing or stale socket under the runtime directory;
// when none answers, the error names every socket tried and why.
func TestFirstAnswering(t *testing.T) {
	dir, err := os.MkdirTemp("", "aks") // short: socket paths are limited
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	missing, stale, live := filepath.Join(dir, "missing.sock"), filepath.Join(dir, "stale.sock"), filepath.Join(dir, "live.sock")

	ln, err := net.Listen("unix", stale)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	ln, err = net.Listen("unix", live)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()

	if got, err := firstAnswering([]string{missing, stale, live}); err != nil || got != live {
		t.Errorf("firstAnswering = %q, %v; want %s", got, err, live)
	}
	_, err = firstAnswering([]string{missing, stale})
	var nt *NoTargetError
	if !errors.As(err, &nt) || ExitCode(err) != ExitUnreachable {
		t.Fatalf("none answering: %v", err)
	}
	want := []string{missing + " (does not exist)", stale + " (refused: nothing listens on it)"}
	if !slices.Equal(nt.Tried, want) || !strings.Contains(err.Error(), strings.Join(want, ", ")) {
		t.Errorf("tried %q, want %q; message %q", nt.Tried, want, err)
	}
}
