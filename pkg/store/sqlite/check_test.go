package sqlite

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

func TestReportChecks(t *testing.T) {
	for _, tt := range []struct {
		name string
		rep  FileReport
		want map[string]api.CheckStatus
	}{
		{"current and intact", FileReport{SchemaVersion: 5, KnownVersion: 5},
			map[string]api.CheckStatus{"database integrity": api.CheckOK, "schema version": api.CheckOK, "records": api.CheckOK}},
		{"older schema", FileReport{SchemaVersion: 3, KnownVersion: 5},
			map[string]api.CheckStatus{"database integrity": api.CheckOK, "schema version": api.CheckWarn}},
		{"newer schema", FileReport{SchemaVersion: 6, KnownVersion: 5},
			map[string]api.CheckStatus{"schema version": api.CheckFail}},
		{"corrupt", FileReport{SchemaVersion: 5, KnownVersion: 5, Problems: []string{"row 3 missing from index x"}},
			map[string]api.CheckStatus{"database integrity": api.CheckFail, "schema version": api.CheckOK}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := map[string]api.CheckStatus{}
			for _, c := range reportChecks("/db", &tt.rep) {
				got[c.Name] = c.Status
				if c.Message == "" {
					t.Errorf("check %q says nothing", c.Name)
				}
			}
			for name, status := range tt.want {
				if got[name] != status {
					t.Errorf("%s: %q, want %q", name, got[name], status)
				}
			}
		})
	}
}

func TestCheckFile(t *testing.T) {
	notDB := filepath.Join(t.TempDir(), "not.db")
	if err := os.WriteFile(notDB, []byte(strings.Repeat("not a database ", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	path := tempPath(t)
	mustOpen(t, path)
	for _, tt := range []struct {
		name     string
		path     string
		failures []string
	}{
		{"a database in use", path, nil},
		{"missing", filepath.Join(t.TempDir(), "missing.db"), []string{"database file"}},
		{"not a database", notDB, []string{"database"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var failed []string
			for _, c := range CheckFile(t.Context(), tt.path) {
				if c.Status == api.CheckFail {
					failed = append(failed, c.Name)
				}
			}
			if strings.Join(failed, ",") != strings.Join(tt.failures, ",") {
				t.Fatalf("failed checks %q, want %q", failed, tt.failures)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(notDB), "not.db-wal")); err == nil {
		t.Error("checking a file created a -wal beside it")
	}
}
