package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/browse"
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

// driveBrowser feeds msg to the model and the messages of the commands it
// returns, as the bubbletea program would, until none is left.
func driveBrowser(m *browse.Model, msg tea.Msg) {
	queue := []tea.Msg{msg}
	for len(queue) > 0 {
		_, cmd := m.Update(queue[0])
		queue = queue[1:]
		cmds := []tea.Cmd{cmd}
		for len(cmds) > 0 {
			c := cmds[0]
			cmds = cmds[1:]
			if c == nil {
				continue
			}
			switch next := c().(type) {
			case tea.BatchMsg:
				cmds = append(cmds, next...)
			case nil, tea.QuitMsg:
			default:
				queue = append(queue, next)
			}
		}
	}
}

// TestBrowseQueryAndUpdateOverTheDatabase runs the browser's query box and
// update form against a real database (--db): the flags' DSL as the store
// runs it, the server's own refusal, and an update that lands.
func TestBrowseQueryAndUpdateOverTheDatabase(t *testing.T) {
	db := filepath.Join(t.TempDir(), "keys.db")
	for _, k := range []struct{ name, env string }{{"ci-a", "prod"}, {"ci-b", "dev"}, {"web", "prod"}} {
		if code, _, errOut := run(t, false, "", nil, "--db", db, "create", "--name", k.name, "--metadata", "env="+k.env); code != 0 {
			t.Fatalf("create: %d %s", code, errOut)
		}
	}
	tio := testStreams("", true, map[string]string{"NO_COLOR": "1"})
	f := testFactory(tio.ios, nil)
	f.cfg = &Config{DB: db}
	defer f.Close()
	ctx := context.Background()
	svc, err := f.Service(ctx)
	if err != nil {
		t.Fatal(err)
	}
	m := browse.New(ctx, browse.Options{Service: svc, IOStreams: tio.ios, Now: f.Now})
	driveBrowser(m, tea.WindowSizeMsg{Width: 120, Height: 30})
	driveBrowser(m, m.Init())
	typeIn := func(keys string, text string) {
		for _, k := range keys {
			driveBrowser(m, tea.KeyPressMsg{Code: k, Text: string(k)})
		}
		if text != "" {
			driveBrowser(m, tea.PasteMsg{Content: text})
		}
	}
	enter := func() { driveBrowser(m, tea.KeyPressMsg{Code: tea.KeyEnter}) }
	screen := func() string { return m.View().Content }

	typeIn(":", "--name 'ci-*' --metadata env=prod --active")
	enter()
	if s := screen(); !strings.Contains(s, "1 of 1 keys · query --name 'ci-*'") || !strings.Contains(s, "ci-a") || strings.Contains(s, "web") {
		t.Fatalf("the query's keys:\n%s", s)
	}
	typeIn(":", `{"regexp":{"name":"ci.*"}}`)
	enter()
	if s := screen(); !strings.Contains(s, "Query type [regexp] is not currently supported in this context") || !strings.Contains(s, "ci-a") {
		t.Fatalf("a query the server refuses:\n%s", s)
	}
	driveBrowser(m, tea.KeyPressMsg{Code: tea.KeyEscape})
	// An empty query: every key again, the newest (web) first; ci-a is
	// the oldest.
	typeIn(":", "")
	enter()
	if s := screen(); !strings.Contains(s, "3 of 3 keys") {
		t.Fatalf("an empty query:\n%s", s)
	}
	typeIn("S", "")

	typeIn("e", "env=staging owner=ops")
	driveBrowser(m, tea.KeyPressMsg{Code: tea.KeyTab})
	typeIn("", "30d")
	enter()
	typeIn("y", "")
	if s := screen(); !strings.Contains(s, "Updated ci-a.") || !strings.Contains(s, "in 30 days") {
		t.Fatalf("after the update:\n%s", s)
	}
	resp, err := svc.QueryAPIKeys(ctx, &api.QueryAPIKeysRequest{Body: []byte(`{"query":{"term":{"name":"ci-a"}}}`)})
	if err != nil || len(resp.APIKeys) != 1 {
		t.Fatalf("query ci-a: %v %+v", err, resp)
	}
	k := resp.APIKeys[0]
	if len(k.Metadata) != 2 || k.Metadata.Map()["env"] != "staging" || k.Metadata.Map()["owner"] != "ops" || k.Expiration == nil {
		t.Errorf("stored key: metadata %v, expiration %v", k.Metadata, k.Expiration)
	}
}
