package browse

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/iostreams"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/browse")

// goldenDir is testdata/browse at the root of the repository.
var goldenDir = filepath.Join("..", "..", "testdata", "browse")

// assertGolden compares got with testdata/browse/name.golden, or rewrites
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
		t.Fatalf("read golden file: %v (run go test ./pkg/browse/ -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("screen differs from %s (run with -update to accept it)\n--- got:\n%s\n--- want:\n%s", path, got, want)
	}
}

// harness drives a model as the bubbletea program would: every command's
// message is fed back to Update until none is left.
type harness struct {
	t   *testing.T
	m   *Model
	svc *fakeService
	out *bytes.Buffer
}

type setup struct {
	keys          int
	width, height int
	color         bool
	pageSize      int
	// lastUsed and lineage are what the target offers beyond
	// Elasticsearch (apikeyd's last used and families).
	lastUsed bool
	lineage  func(ctx context.Context, id string) (*api.APIKeyLineage, error)
}

func start(t *testing.T, s setup) *harness {
	t.Helper()
	ios, _, out, _ := iostreams.Test()
	ios.SetStdoutTTY(true)
	ios.SetStdinTTY(true)
	env := map[string]string{"NO_COLOR": "1"}
	if s.color {
		env = map[string]string{}
	}
	ios.SetGetenv(func(k string) string { return env[k] })
	svc := newFake(s.keys)
	m := New(context.Background(), Options{
		Service:   svc,
		IOStreams: ios,
		Now:       func() time.Time { return now },
		Getenv:    func(k string) string { return env[k] },
		Target:    "test.db",
		PageSize:  s.pageSize,
		LastUsed:  s.lastUsed,
		Lineage:   s.lineage,
	})
	h := &harness{t: t, m: m, svc: svc, out: out}
	h.send(tea.WindowSizeMsg{Width: s.width, Height: s.height})
	h.run(m.Init())
	return h
}

// send feeds msg to Update and runs what it asks for.
func (h *harness) send(msg tea.Msg) {
	h.t.Helper()
	_, cmd := h.m.Update(msg)
	h.run(cmd)
}

func (h *harness) run(cmd tea.Cmd) {
	h.t.Helper()
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		switch msg := c().(type) {
		case tea.BatchMsg:
			queue = append(queue, msg...)
		case tea.QuitMsg, nil:
		default:
			_, next := h.m.Update(msg)
			queue = append(queue, next)
		}
	}
}

// keys types each of s as a key; names in angle brackets are special
// keys.
func (h *harness) keys(ks ...string) {
	h.t.Helper()
	for _, k := range ks {
		var msg tea.KeyPressMsg
		switch k {
		case "<enter>":
			msg = tea.KeyPressMsg{Code: tea.KeyEnter}
		case "<esc>":
			msg = tea.KeyPressMsg{Code: tea.KeyEscape}
		case "<down>":
			msg = tea.KeyPressMsg{Code: tea.KeyDown}
		case "<up>":
			msg = tea.KeyPressMsg{Code: tea.KeyUp}
		case "<tab>":
			msg = tea.KeyPressMsg{Code: tea.KeyTab}
		case "<end>":
			msg = tea.KeyPressMsg{Code: tea.KeyEnd}
		case "<space>":
			msg = tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
		case "<ctrl+c>":
			msg = tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
		default:
			// Text as the terminal reports it: the code of the first
			// character, the whole text typed.
			msg = tea.KeyPressMsg{Code: []rune(k)[0], Text: k}
		}
		h.send(msg)
	}
}

func (h *harness) view() string { return h.m.View().Content }

// plain is the screen without escape sequences.
func (h *harness) plain() string { return ansi.Strip(h.view()) }

func TestGoldenScreens(t *testing.T) {
	t.Run("list", func(t *testing.T) {
		h := start(t, setup{keys: 30, width: 110, height: 20})
		h.keys("<down>", "<space>")
		assertGolden(t, "list", h.view())
	})
	t.Run("list-color", func(t *testing.T) {
		h := start(t, setup{keys: 30, width: 110, height: 20, color: true})
		assertGolden(t, "list-color", h.view())
	})
	t.Run("detail", func(t *testing.T) {
		h := start(t, setup{keys: 30, width: 100, height: 40})
		// Oldest first: svc-000 has metadata and a role descriptor.
		h.keys("S", "<enter>")
		assertGolden(t, "detail", h.view())
	})
	t.Run("confirm", func(t *testing.T) {
		h := start(t, setup{keys: 30, width: 100, height: 24})
		h.keys("<space>", "<space>", "d")
		assertGolden(t, "confirm", h.view())
	})
	t.Run("80x24", func(t *testing.T) {
		h := start(t, setup{keys: 30, width: 80, height: 24})
		assertGolden(t, "80x24", h.view())
		h.keys("?")
		assertGolden(t, "80x24-help", h.view())
	})
	// The query box and the update form, at 80x24 and wider.
	for _, size := range [][2]int{{80, 24}, {120, 30}} {
		suffix := fmt.Sprintf("-%dx%d", size[0], size[1])
		t.Run("query"+suffix, func(t *testing.T) {
			h := start(t, setup{keys: 30, width: size[0], height: size[1]})
			h.typeQuery("--owner bob")
			h.keys(":")
			h.send(tea.PasteMsg{Content: "--name 'svc-*' --expires-within 7"})
			assertGolden(t, "query"+suffix, h.view())
			h.keys("<enter>")
			assertGolden(t, "query-error"+suffix, h.view())
		})
		t.Run("update"+suffix, func(t *testing.T) {
			h := start(t, setup{keys: 30, width: size[0], height: size[1]})
			h.keys("S", "<down>", "<down>", "<down>") // svc-003, with metadata
			h.fillEdit("env=staging team=search", "30")
			h.keys("<enter>")
			assertGolden(t, "update"+suffix, h.view())
			h.m.edit.expires.SetValue("30d")
			h.keys("<enter>")
			assertGolden(t, "update-confirm"+suffix, h.view())
		})
	}
}

// TestFitsTheWindow checks that every screen has as many lines as the
// terminal and none wider, down to 80x24.
func TestFitsTheWindow(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}, {200, 60}} {
		h := start(t, setup{keys: 30, width: size[0], height: size[1]})
		for _, ks := range [][]string{nil, {"?"}, {"?", "<enter>"}, {"?", "<esc>", "d"}, {":", "x", "<enter>"}, {"e", "<enter>"}, {"e", "<tab>", "1", "d", "<enter>"}, {":", strings.Repeat("x", 300)}} {
			h.keys(ks...)
			lines := strings.Split(h.view(), "\n")
			if len(lines) != size[1] {
				t.Errorf("%dx%d after %q: %d lines", size[0], size[1], ks, len(lines))
			}
			for _, l := range lines {
				if w := ansi.StringWidth(l); w > size[0] {
					t.Errorf("%dx%d after %q: a line is %d wide: %q", size[0], size[1], ks, w, l)
				}
			}
			h.keys("<esc>")
		}
	}
}

func rows(h *harness) int { return len(h.m.visible) }

func TestFilterNarrowsRows(t *testing.T) {
	h := start(t, setup{keys: 30, width: 120, height: 40})
	if rows(h) != 30 {
		t.Fatalf("%d rows before filtering, want 30", rows(h))
	}
	h.keys("/", "b", "o", "b")
	if rows(h) != 15 {
		t.Errorf("owner filter bob: %d rows, want 15", rows(h))
	}
	if strings.Contains(h.plain(), "alice@native") {
		t.Errorf("alice's keys shown under filter bob:\n%s", h.plain())
	}
	h.keys("<esc>", "/", "t", "e", "a", "m", "-", "2")
	// Metadata team-2 is on keys 6 and 18 (i%3 == 0 and i%4 == 2).
	if rows(h) != 2 {
		t.Errorf("metadata filter team-2: %d rows, want 2", rows(h))
	}
	h.keys("<enter>")
	if !strings.Contains(h.plain(), "filter team-2") {
		t.Errorf("the kept filter is not on the status line:\n%s", h.plain())
	}
	h.keys("<esc>")
	if rows(h) != 30 {
		t.Errorf("esc: %d rows, want 30", rows(h))
	}
}

func TestMarkAndInvalidate(t *testing.T) {
	h := start(t, setup{keys: 30, width: 120, height: 40})
	first, second := h.m.keys[0].ID, h.m.keys[1].ID
	h.keys("<space>", "<space>", "d")
	if !strings.Contains(h.plain(), "Invalidate 2 keys? y/N") {
		t.Fatalf("no question:\n%s", h.plain())
	}
	h.keys("n")
	if len(h.svc.invalidated) != 0 {
		t.Fatalf("n invalidated %v", h.svc.invalidated)
	}
	h.keys("d", "y")
	want := []string{first, second}
	slices.Sort(want)
	if len(h.svc.invalidated) != 1 || !slices.Equal(h.svc.invalidated[0], want) {
		t.Fatalf("invalidated %v, want [%v]", h.svc.invalidated, want)
	}
	if len(h.m.marked) != 0 {
		t.Errorf("marks kept after invalidating: %v", h.m.marked)
	}
	if !strings.Contains(h.plain(), "Invalidated 2.") {
		t.Errorf("no summary:\n%s", h.plain())
	}
	// Without marks d acts on the selected key.
	h.keys("<down>")
	sel, _ := h.m.selected()
	h.keys("d", "y")
	if got := h.svc.invalidated[1]; len(got) != 1 || got[0] != sel.ID {
		t.Errorf("d without marks invalidated %v, want [%s]", got, sel.ID)
	}
}

func TestPagingUsesSearchAfter(t *testing.T) {
	h := start(t, setup{keys: 40, width: 120, height: 20, pageSize: 15})
	if len(h.m.keys) != 15 || len(h.svc.queries) != 1 {
		t.Fatalf("first load: %d keys in %d queries, want 15 in 1", len(h.m.keys), len(h.svc.queries))
	}
	if _, ok := h.svc.queries[0]["search_after"]; ok {
		t.Errorf("the first page has search_after")
	}
	lastSort := h.m.keys[14].Sort
	h.keys("<down>", "<down>", "<down>", "<down>")
	if len(h.svc.queries) != 1 {
		t.Fatalf("a query before the cursor came near the end")
	}
	h.keys("<down>")
	if len(h.svc.queries) != 2 {
		t.Fatalf("moving near the end sent %d queries, want 2", len(h.svc.queries))
	}
	var after []any
	if err := json.Unmarshal(h.svc.queries[1]["search_after"], &after); err != nil {
		t.Fatalf("second query: search_after: %v", err)
	}
	if !slices.Equal(after, lastSort) {
		t.Errorf("search_after %v, want the last key's sort %v", after, lastSort)
	}
	for range 10 {
		h.keys("<end>")
	}
	if len(h.m.keys) != 40 {
		t.Errorf("after paging to the end %d keys loaded, want 40", len(h.m.keys))
	}
	seen := map[string]bool{}
	for _, k := range h.m.keys {
		if seen[k.ID] {
			t.Errorf("key %s loaded twice", k.ID)
		}
		seen[k.ID] = true
	}
	n := len(h.svc.queries)
	h.keys("<end>")
	if len(h.svc.queries) != n {
		t.Errorf("a query after the last page")
	}
}

func TestSortAndRefresh(t *testing.T) {
	h := start(t, setup{keys: 5, width: 120, height: 20})
	sortOf := func(q map[string]json.RawMessage) string { return string(q["sort"]) }
	if got := sortOf(h.svc.queries[0]); got != `[{"creation":{"order":"desc"}},"_doc"]` {
		t.Errorf("first sort %s", got)
	}
	h.keys("s")
	if got := sortOf(h.svc.queries[1]); got != `[{"name":{"order":"desc"}},"_doc"]` {
		t.Errorf("after s: sort %s", got)
	}
	h.keys("S")
	if got := sortOf(h.svc.queries[2]); got != `[{"name":{"order":"asc"}},"_doc"]` {
		t.Errorf("after S: sort %s", got)
	}
	if h.m.keys[0].Name != "svc-000" {
		t.Errorf("name ascending starts with %s", h.m.keys[0].Name)
	}
	h.keys("r")
	h.send(refreshMsg{})
	if len(h.svc.queries) != 5 {
		t.Errorf("r and the clock sent %d queries in all, want 5", len(h.svc.queries))
	}
}

func TestDetailHasLimitedBy(t *testing.T) {
	h := start(t, setup{keys: 3, width: 100, height: 40})
	h.keys("<enter>")
	if len(h.svc.gets) != 1 || !h.svc.gets[0].WithLimitedBy || h.svc.gets[0].ID != h.m.keys[0].ID {
		t.Fatalf("detail asked %+v", h.svc.gets)
	}
	if !strings.Contains(h.plain(), "Limited by") {
		t.Errorf("no limited-by tree:\n%s", h.plain())
	}
	h.keys("<esc>")
	if h.m.screen != screenList {
		t.Errorf("esc did not go back to the list")
	}
}

// TestDetailHasUsageAndFamily: against apikeyd the card asks when the
// key was last used and draws its family; a key without relatives gets
// no family tree, and a family that cannot be read says why.
func TestDetailHasUsageAndFamily(t *testing.T) {
	var (
		familyErr error
		parent    string // the key with a successor
	)
	lineage := func(_ context.Context, id string) (*api.APIKeyLineage, error) {
		if familyErr != nil {
			return nil, familyErr
		}
		if id != parent {
			return &api.APIKeyLineage{APIKey: api.LineageKey{ID: id, Name: "alone"}}, nil
		}
		return &api.APIKeyLineage{
			APIKey:      api.LineageKey{ID: id, Name: "svc"},
			Descendants: []api.LineageKey{{ID: "successor-of-it", Name: "svc", Parent: id, Relation: api.RelationRotation}},
		}, nil
	}
	h := start(t, setup{keys: 3, width: 100, height: 40, lastUsed: true, lineage: lineage})
	k, _ := h.m.selected()
	parent = k.ID
	h.keys("<enter>")
	if len(h.svc.gets) != 1 || !h.svc.gets[0].WithLastUsed {
		t.Fatalf("detail asked %+v", h.svc.gets)
	}
	screen := h.plain()
	for _, want := range []string{"Family", "successor-of-it", "rotation"} {
		if !strings.Contains(screen, want) {
			t.Errorf("no %q in the card:\n%s", want, screen)
		}
	}
	h.keys("<esc>", "<down>", "<enter>")
	if strings.Contains(h.plain(), "Family") {
		t.Errorf("a key without relatives has a family tree:\n%s", h.plain())
	}
	familyErr = errors.New("connection refused")
	h.keys("<esc>", "<enter>")
	if !strings.Contains(h.plain(), "Family: not available (connection refused)") {
		t.Errorf("the family's error is not said:\n%s", h.plain())
	}
}

func TestCloneShowsTheSecretOnce(t *testing.T) {
	h := start(t, setup{keys: 3, width: 100, height: 30})
	src := h.m.keys[0]
	h.keys("c", "<enter>")
	h.keys("bm90LXRoaXMta2V5OnNlY3JldA==", "<enter>") // not-this-key:secret
	if len(h.svc.clones) != 0 || !strings.Contains(h.plain(), "that credential is of key not-this-key") {
		t.Fatalf("a credential of another key was sent:\n%s", h.plain())
	}
	cred := b64(src.ID + ":secret")
	h.m.input.SetValue(cred)
	h.keys("<enter>")
	if len(h.svc.clones) != 1 || h.svc.clones[0].APIKey != cred || *h.svc.clones[0].Name != src.Name {
		t.Fatalf("clone request %+v", h.svc.clones)
	}
	if strings.Contains(h.plain(), cred) {
		t.Errorf("the source credential is on the screen")
	}
	encoded := "YzAwMDAwMDAwMDAwMDAwMDAwMDE6czNjcjN0LXMzY3IzdC1zM2NyM3Qtcw=="
	if !strings.Contains(h.plain(), encoded) {
		t.Fatalf("no secret box:\n%s", h.plain())
	}
	h.keys("y")
	if !strings.Contains(h.out.String(), "\x1b]52;c;"+b64(encoded)+"\a") {
		t.Errorf("y wrote %q, want the OSC 52 sequence", h.out.String())
	}
	path := filepath.Join(t.TempDir(), "clone.txt")
	h.keys("w")
	h.m.input.SetValue(path)
	h.keys("<enter>")
	data, err := os.ReadFile(path)
	if err != nil || string(data) != encoded+"\n" {
		t.Fatalf("w wrote %q, %v", data, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	h.keys("w")
	h.m.input.SetValue(path)
	h.keys("<enter>")
	if !strings.Contains(h.plain(), "file exists") {
		t.Errorf("an existing file was not refused:\n%s", h.plain())
	}
	h.keys("<esc>")
	if h.m.secret != nil || strings.Contains(h.plain(), encoded) {
		t.Errorf("the secret is still there after esc")
	}
}

func TestQuitLeavesNothing(t *testing.T) {
	h := start(t, setup{keys: 3, width: 100, height: 30})
	h.m.secret = &api.CreateAPIKeyResponse{Encoded: "secret"}
	h.keys("q")
	if h.view() != "" || h.m.secret != nil {
		t.Errorf("after q: view %q, secret %v", h.view(), h.m.secret)
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestMouse(t *testing.T) {
	h := start(t, setup{keys: 30, width: 100, height: 20})
	h.send(tea.MouseClickMsg{X: 5, Y: 4, Button: tea.MouseLeft})
	if h.m.cursor != 2 {
		t.Errorf("a click on the third row put the cursor on %d", h.m.cursor)
	}
	h.send(tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	if h.m.cursor != 5 {
		t.Errorf("the wheel put the cursor on %d, want 5", h.m.cursor)
	}
}

// TestViewAsksForTheScreen checks what bubbletea v2 takes from the view
// where v1 took program options: the alternate screen always, the mouse
// with Options.Mouse only.
func TestViewAsksForTheScreen(t *testing.T) {
	h := start(t, setup{keys: 3, width: 100, height: 20})
	if v := h.m.View(); !v.AltScreen || v.MouseMode != tea.MouseModeNone {
		t.Errorf("without --mouse: alt screen %v, mouse mode %v; want true, none", v.AltScreen, v.MouseMode)
	}
	h.m.opts.Mouse = true
	if v := h.m.View(); !v.AltScreen || v.MouseMode != tea.MouseModeCellMotion {
		t.Errorf("with --mouse: alt screen %v, mouse mode %v; want true, cell motion", v.AltScreen, v.MouseMode)
	}
}

// TestPasteGoesToTheInput checks that a bracketed paste (a message of its
// own in bubbletea v2) reaches the filter and the clone's prompts, and
// nothing else.
func TestPasteGoesToTheInput(t *testing.T) {
	h := start(t, setup{keys: 30, width: 120, height: 40})
	h.send(tea.PasteMsg{Content: "bob"})
	if rows(h) != 30 || h.m.screen != screenList {
		t.Fatalf("a paste on the list acted: %d rows, screen %v", rows(h), h.m.screen)
	}
	h.keys("/")
	h.send(tea.PasteMsg{Content: "bob"})
	if rows(h) != 15 {
		t.Errorf("pasted filter bob: %d rows, want 15", rows(h))
	}
	h.keys("<esc>")
	src := h.m.keys[0]
	h.keys("c", "<enter>")
	cred := b64(src.ID + ":secret")
	h.send(tea.PasteMsg{Content: cred})
	h.keys("<enter>")
	if len(h.svc.clones) != 1 || h.svc.clones[0].APIKey != cred {
		t.Fatalf("pasted credential: clone requests %+v", h.svc.clones)
	}
}

func TestCtrlCQuits(t *testing.T) {
	h := start(t, setup{keys: 3, width: 100, height: 30})
	h.keys("/", "<ctrl+c>")
	if !h.m.quitting || h.view() != "" {
		t.Errorf("ctrl+c in the filter: quitting %v, view %q", h.m.quitting, h.view())
	}
}
