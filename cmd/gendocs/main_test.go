package main

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestGeneratedDocsUpToDate fails when completions/ or man/ differ from
// what the command tree generates.
func TestGeneratedDocsUpToDate(t *testing.T) {
	files, err := render()
	if err != nil {
		t.Fatal(err)
	}
	top := filepath.Join("..", "..")
	const fix = "completions/ and man/ are stale: run 'go generate ./cmd/gendocs' and commit the result"
	var committed []string
	for _, sub := range []string{"completions", "man"} {
		entries, err := os.ReadDir(filepath.Join(top, sub))
		if err != nil {
			t.Fatalf("%v; %s", err, fix)
		}
		for _, e := range entries {
			if e.Type().IsRegular() {
				committed = append(committed, filepath.Join(sub, e.Name()))
			}
		}
	}
	var generated []string
	for name := range files {
		generated = append(generated, name)
	}
	sort.Strings(committed)
	sort.Strings(generated)
	if strings.Join(committed, "\n") != strings.Join(generated, "\n") {
		t.Fatalf("files differ:\ncommitted: %v\ngenerated: %v\n%s", committed, generated, fix)
	}
	for _, name := range generated {
		data, err := os.ReadFile(filepath.Join(top, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(data, files[name]) {
			t.Errorf("%s differs from what is generated; %s", name, fix)
		}
	}
}

// TestGenerateDocs checks what gendocs writes: the four completion
// scripts, a man page per command and topic, stale files removed.
func TestGenerateDocs(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "man"), 0o755); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, "man", "apikeyctl-removed.1")
	if err := os.WriteFile(stale, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := generate(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("a stale man page survived: %v", err)
	}
	for _, name := range []string{
		"completions/apikeyctl.bash", "completions/_apikeyctl", "completions/apikeyctl.fish", "completions/apikeyctl.ps1",
		"man/apikeyctl.1", "man/apikeyctl-get.1", "man/apikeyctl-config-set-context.1", "man/apikeyctl-inspect.1",
		"man/apikeyctl-exit-codes.7", "man/apikeyctl-environment.7", "man/apikeyctl-formatting.7",
		"man/apikeyd.8", "man/apikeyd-version.8",
	} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || len(data) == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	page, _ := os.ReadFile(filepath.Join(dir, "man", "apikeyctl-get.1"))
	if !bytes.Contains(page, []byte(".SH EXAMPLE")) || !bytes.Contains(page, []byte("apikeyctl get")) {
		t.Errorf("apikeyctl-get.1 lacks its examples:\n%s", page)
	}
	if _, err := os.Stat(filepath.Join(dir, "man", "apikeyctl-gen-docs.1")); !os.IsNotExist(err) {
		t.Errorf("the hidden gen-docs command has a man page")
	}
}
