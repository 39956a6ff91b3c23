package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/store/sqlite"
)

// TestEventsGolden pins apikeyctl events on a terminal (a table of time,
// action, outcome, user, key, origin and reason) and on a pipe (the API's
// JSON, and tab-separated rows with -o table), over an audit log written
// beside a --db database.
func TestEventsGolden(t *testing.T) {
	dir := t.TempDir()
	lines := []string{
		`{"@timestamp":"2026-11-24T09:00:00.000Z","event.type":"security_config_change","event.action":"create_apikey","authentication.type":"REALM","user.name":"operator","user.realm":"os","origin.type":"local","origin.address":"uid=1000","request.name":"cluster:admin/xpack/security/api_key/create","apikey.ids":["7Q2eJ5gBc8uQ3hY1Zk9w"],"names":["ci-deploy"]}`,
		`{"@timestamp":"2026-11-24T10:30:00.000Z","event.type":"rest","event.action":"authentication_failed","user.name":"mallory","origin.type":"rest","origin.address":"192.0.2.7:51234","reason":"unable to authenticate user [mallory] for REST request [/_security/_authenticate]"}`,
		`{"@timestamp":"2026-11-24T11:00:00.000Z","event.type":"transport","event.action":"access_denied","authentication.type":"API_KEY","user.name":"ci-bot","user.realm":"_es_api_key","apikey.id":"7Q2eJ5gBc8uQ3hY1Zk9w","origin.type":"rest","origin.address":"192.0.2.9:40000","request.name":"cluster:admin/xpack/security/user/put","reason":"action [cluster:admin/xpack/security/user/put] is unauthorized"}`,
	}
	if err := os.WriteFile(filepath.Join(dir, "audit.json"), []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"XDG_CONFIG_HOME": t.TempDir(), "TZ": "UTC"}
	db := filepath.Join(dir, "keys.db")
	st, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	for _, tt := range []struct {
		name string
		tty  bool
		args []string
	}{
		{"events.tty", true, nil},
		{"events-failures.tty", true, []string{"--outcome", "failure"}},
		{"events.pipe", false, []string{"--limit", "2"}},
		{"events-table.pipe", false, []string{"-o", "table"}},
		{"events-none.tty", true, []string{"--user", "nobody"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := run(t, tt.tty, "", env, append([]string{"--db", db, "events"}, tt.args...)...)
			got := fmt.Sprintf("%s--- stderr\n%s--- exit %d\n", stdout, strings.ReplaceAll(stderr, dir, "$DIR"), code)
			assertCLIGolden(t, tt.name, got)
		})
	}
}
