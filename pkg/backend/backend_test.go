package backend

import (
	"context"
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
