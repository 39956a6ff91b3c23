package backend

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
)

func TestOpenServesAndAudits(t *testing.T) {
	dir := t.TempDir()
	opts := Options{
		DB:        filepath.Join(dir, "keys.db"),
		AuditFile: filepath.Join(dir, "audit.json"),
		Origin:    auth.LocalOrigin(os.Getuid()),
		Service:   keyservice.Options{Caller: auth.OSSubject("alice")},
	}
	b, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := b.Service.CreateAPIKey(context.Background(), &api.CreateAPIKeyRequest{Name: ptr("k")})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	audit, err := os.ReadFile(opts.AuditFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(audit), resp.ID) {
		t.Errorf("the audit log does not name the new key %s:\n%s", resp.ID, audit)
	}

	b, err = Open(context.Background(), opts)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer b.Close()
	got, err := b.Service.GetAPIKeys(context.Background(), &api.GetAPIKeysRequest{ID: resp.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.APIKeys) != 1 || got.APIKeys[0].Name != "k" {
		t.Errorf("after reopening: %+v", got.APIKeys)
	}
}

func TestOpenFailsWhole(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		opts Options
	}{
		{"no database directory", Options{DB: filepath.Join(dir, "missing", "keys.db")}},
		{"no audit directory", Options{DB: filepath.Join(dir, "keys.db"), AuditFile: filepath.Join(dir, "missing", "audit.json")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if b, err := Open(context.Background(), tt.opts); err == nil {
				b.Close()
				t.Fatal("Open succeeded")
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// An audit log this user cannot open (here a directory in its place, which
// even root cannot open for writing; a root-owned file in a shared
// directory for other users) stops no read, and fails every write with
// the file named, before anything is written.
func TestAuditAtFirstWrite(t *testing.T) {
	dir := t.TempDir()
	opts := Options{
		DB:                filepath.Join(dir, "keys.db"),
		AuditFile:         filepath.Join(dir, "audit.json"),
		AuditAtFirstWrite: true,
		Origin:            auth.LocalOrigin(os.Getuid()),
		Service:           keyservice.Options{Caller: auth.OSSubject("alice")},
	}
	ctx := context.Background()

	b, err := Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Service.GetAPIKeys(ctx, &api.GetAPIKeysRequest{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(opts.AuditFile); !os.IsNotExist(err) {
		t.Errorf("a read opened the audit log: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}

	if err := os.Mkdir(opts.AuditFile, 0o700); err != nil {
		t.Fatal(err)
	}
	b, err = Open(ctx, opts)
	if err != nil {
		t.Fatalf("Open with an audit log it cannot write: %v", err)
	}
	defer b.Close()
	if _, err := b.Service.QueryAPIKeys(ctx, &api.QueryAPIKeysRequest{}); err != nil {
		t.Errorf("query: %v", err)
	}
	_, err = b.Service.CreateAPIKey(ctx, &api.CreateAPIKeyRequest{Name: ptr("k")})
	if api.ErrorCode(err) != api.Unavailable || !strings.Contains(err.Error(), opts.AuditFile) {
		t.Errorf("create = %v, want a 503 naming %s", err, opts.AuditFile)
	}
	got, err := b.Service.GetAPIKeys(ctx, &api.GetAPIKeysRequest{})
	if err != nil || len(got.APIKeys) != 0 {
		t.Errorf("after a write that could not be audited: %v %+v", err, got)
	}
}

func TestAuditLogPermissionDenied(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root is never denied a file")
	}
	dir := t.TempDir()
	auditFile := filepath.Join(dir, "audit.json")
	if err := os.WriteFile(auditFile, nil, 0o400); err != nil {
		t.Fatal(err)
	}
	b, err := Open(context.Background(), Options{
		DB: filepath.Join(dir, "keys.db"), AuditFile: auditFile, AuditAtFirstWrite: true,
		Service: keyservice.Options{Caller: auth.OSSubject("alice")},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	_, err = b.Service.CreateAPIKey(context.Background(), &api.CreateAPIKeyRequest{Name: ptr("k")})
	if err == nil || !strings.Contains(err.Error(), auditFile+": permission denied") {
		t.Errorf("create = %v, want the file and the permission problem", err)
	}
}

// TestOpenSourceRefuses: OpenSource opens a SQLite file at this binary's
// schema, and refuses, leaving it as it was, a missing file and a file
// of an older or newer schema.
func TestOpenSourceRefuses(t *testing.T) {
	tests := []struct {
		name  string
		shift int    // added to the file's schema version
		file  bool   // false: there is no file
		want  string // "" opens
	}{
		{"current", 0, true, ""},
		{"older schema", -1, true, "older than this binary's"},
		{"newer schema", +1, true, "newer than this binary supports"},
		{"missing", 0, false, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			path := filepath.Join(t.TempDir(), "keys.db")
			if tt.file {
				st, err := OpenStore(ctx, path)
				if err != nil {
					t.Fatal(err)
				}
				st.Close()
				setUserVersion(t, path, tt.shift)
			}
			st, err := OpenSource(ctx, path)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("OpenSource = %v", err)
				}
				st.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("OpenSource = %v, want an error saying %q", err, tt.want)
			}
			if !tt.file {
				if _, err := os.Stat(path); !os.IsNotExist(err) {
					t.Errorf("the missing source was created: %v", err)
				}
				return
			}
			rep, err := Inspect(ctx, path, false)
			if err != nil {
				t.Fatal(err)
			}
			if rep.SchemaVersion != rep.KnownVersion+tt.shift {
				t.Errorf("the refused file is at schema version %d, was %d", rep.SchemaVersion, rep.KnownVersion+tt.shift)
			}
		})
	}
}

// setUserVersion moves the schema version of the database file at path
// by shift.
func setUserVersion(t *testing.T, path string, shift int) {
	t.Helper()
	if shift == 0 {
		return
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v int
	if err := db.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", v+shift)); err != nil {
		t.Fatal(err)
	}
}
