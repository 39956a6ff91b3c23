package cli

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

func TestRemovedAccess(t *testing.T) {
	cur := &api.CrossClusterAccess{
		Search:      []api.SearchAccess{{Names: []string{"a-*", "logs-*"}}},
		Replication: []api.ReplicationAccess{{Names: []string{"r-*"}}},
	}
	tests := []struct {
		name                string
		cur, next           *api.CrossClusterAccess
		search, replication []string
	}{
		{"replication only drops search", cur, &api.CrossClusterAccess{Replication: []api.ReplicationAccess{{Names: []string{"r-*", "b-*"}}}}, []string{"a-*", "logs-*"}, nil},
		{"search only drops replication", cur, &api.CrossClusterAccess{Search: []api.SearchAccess{{Names: []string{"a-*"}}, {Names: []string{"logs-*"}}}}, nil, []string{"r-*"}},
		{"a superset removes nothing", cur, &api.CrossClusterAccess{
			Search:      []api.SearchAccess{{Names: []string{"logs-*", "a-*", "m-*"}}},
			Replication: []api.ReplicationAccess{{Names: []string{"r-*"}}},
		}, nil, nil},
		{"no access before", nil, &api.CrossClusterAccess{}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, r := removedAccess(tt.cur, tt.next)
			if !slices.Equal(s, tt.search) || !slices.Equal(r, tt.replication) {
				t.Errorf("removedAccess = %q, %q; want %q, %q", s, r, tt.search, tt.replication)
			}
		})
	}
}

// cross-cluster update asks on a terminal before it takes away access,
// and does not ask with --yes or on a pipe.
func TestCrossClusterUpdateConfirmsRemovedAccess(t *testing.T) {
	db := filepath.Join(t.TempDir(), "keys.db")
	env := map[string]string{"XDG_CONFIG_HOME": t.TempDir()}
	exec := func(t *testing.T, tty bool, stdin string, args ...string) (int, string, string) {
		t.Helper()
		tio := testStreams(stdin, tty, env)
		code := Run(context.Background(), testFactory(tio.ios, env), append([]string{"--db", db}, args...))
		return code, tio.stdout.String(), tio.stderr.String()
	}
	code, id, stderr := exec(t, false, "", "cross-cluster", "create", "--name", "cc", "--search", "logs-*", "--field", "id")
	if code != 0 {
		t.Fatalf("create: %d %s", code, stderr)
	}
	id = strings.TrimSpace(id)
	access := func(t *testing.T) string {
		t.Helper()
		_, out, _ := exec(t, false, "", "get", "--id", id, "--jq", ".api_keys[0].access | keys | join(\",\")")
		return strings.TrimSpace(out)
	}

	code, _, stderr = exec(t, true, "n\n", "cross-cluster", "update", id, "--replication", "b-*")
	if code != ExitError || !strings.Contains(stderr, "would lose search on logs-*") || !strings.Contains(stderr, "Update it anyway? [y/N]") {
		t.Errorf("declined: exit %d, stderr %q", code, stderr)
	}
	if got := access(t); got != "search" {
		t.Errorf("declined update changed the access to %q", got)
	}

	code, _, stderr = exec(t, true, "\n", "cross-cluster", "update", id, "--search", "logs-*,m-*")
	if code != 0 || strings.Contains(stderr, "[y/N]") {
		t.Errorf("an update that takes nothing away asked: exit %d, stderr %q", code, stderr)
	}

	code, _, stderr = exec(t, true, "y\n", "cross-cluster", "update", id, "--replication", "b-*")
	if code != 0 || !strings.Contains(stderr, "would lose search on logs-*, m-*") {
		t.Errorf("confirmed: exit %d, stderr %q", code, stderr)
	}
	if got := access(t); got != "replication" {
		t.Errorf("after a confirmed update the access is %q", got)
	}

	code, _, stderr = exec(t, true, "", "cross-cluster", "update", id, "--search", "x-*", "--yes")
	if code != 0 || strings.Contains(stderr, "[y/N]") {
		t.Errorf("--yes: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = exec(t, false, "", "cross-cluster", "update", id, "--replication", "y-*")
	if code != 0 || stderr != "" {
		t.Errorf("on a pipe: exit %d, stderr %q", code, stderr)
	}
	if got := access(t); got != "replication" {
		t.Errorf("on a pipe the access is %q", got)
	}
}

// TestCrossClusterCertificateIdentityFlags drives --certificate-identity
// and --clear-certificate-identity over a database file: what each sends,
// the card that shows it, and the mistakes: both flags at once is a usage
// error (exit 2), a pattern that does not compile the service's 400
// (exit 1) that changes nothing.
func TestCrossClusterCertificateIdentityFlags(t *testing.T) {
	db := filepath.Join(t.TempDir(), "keys.db")
	env := map[string]string{"XDG_CONFIG_HOME": t.TempDir()}
	exec := func(t *testing.T, args ...string) (int, string, string) {
		t.Helper()
		tio := testStreams("", false, env)
		code := Run(context.Background(), testFactory(tio.ios, env), append([]string{"--db", db}, args...))
		return code, tio.stdout.String(), tio.stderr.String()
	}
	identity := func(t *testing.T, id string) string {
		t.Helper()
		_, out, _ := exec(t, "get", "--id", id, "--jq", `.api_keys[0].certificate_identity // "<none>"`)
		return strings.TrimSpace(out)
	}
	code, id, stderr := exec(t, "cross-cluster", "create", "--name", "cc", "--search", "logs-*",
		"--certificate-identity", `CN=.*\.example\.com`, "--field", "id")
	if code != 0 {
		t.Fatalf("create: %d %s", code, stderr)
	}
	id = strings.TrimSpace(id)
	if got := identity(t, id); got != `CN=.*\.example\.com` {
		t.Fatalf("after create: %q", got)
	}
	steps := []struct {
		name     string
		args     []string
		exit     int
		stderr   string
		identity string
	}{
		{"metadata only keeps it", []string{"--metadata", "team=a"}, 0, "", `CN=.*\.example\.com`},
		{"a new pattern replaces it", []string{"--certificate-identity", "CN=remote-1"}, 0, "", "CN=remote-1"},
		{"both flags", []string{"--certificate-identity", "CN=x", "--clear-certificate-identity"}, ExitUsage,
			"--clear-certificate-identity cannot be combined with --certificate-identity", "CN=remote-1"},
		{"a pattern that does not compile", []string{"--certificate-identity", "CN=(x"}, ExitError,
			"Invalid certificate_identity format: [CN=(x]. Must be a valid regex.", "CN=remote-1"},
		{"clearing it", []string{"--clear-certificate-identity"}, 0, "", "<none>"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			code, _, stderr := exec(t, append([]string{"cross-cluster", "update", id}, s.args...)...)
			if code != s.exit || !strings.Contains(stderr, s.stderr) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr, s.exit, s.stderr)
			}
			if got := identity(t, id); got != s.identity {
				t.Errorf("certificate_identity %q, want %q", got, s.identity)
			}
		})
	}
}
