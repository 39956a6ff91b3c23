package cli

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/backend"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
)

// validCopy is a real backup of a fresh database.
func validCopy(t *testing.T) string {
	t.Helper()
	b, err := backend.Open(t.Context(), backend.Options{
		DB:      filepath.Join(t.TempDir(), "src.db"),
		Service: keyservice.Options{Caller: auth.OSSubject("root")},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	bk, err := b.Service.Backup(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer bk.Body.Close()
	data, err := io.ReadAll(bk.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestWriteBackup(t *testing.T) {
	good := validCopy(t)
	for _, tt := range []struct {
		name    string
		body    string
		size    int64
		exists  bool
		force   bool
		wantErr string // "" for success
	}{
		{"a copy", good, int64(len(good)), false, false, ""},
		{"replacing with force", good, int64(len(good)), true, true, ""},
		{"cut short", good[:100], int64(len(good)), false, false, "cut short at 100 of"},
		{"not a database", strings.Repeat("x", 4096), 4096, false, false, "check the backup"},
		{"an existing file without force", good, int64(len(good)), true, false, "exists: give --force"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "out.db")
			if tt.exists {
				if err := os.WriteFile(out, []byte("old"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			res, err := writeBackup(t.Context(), &api.Backup{Size: tt.size, Body: io.NopCloser(strings.NewReader(tt.body))}, out, tt.force)
			// Only OUT, when it existed or was written: no temporary file.
			entries, _ := os.ReadDir(dir)
			want := 0
			if tt.exists || tt.wantErr == "" {
				want = 1
			}
			if len(entries) != want {
				t.Errorf("%d files in the directory, want %d: %v", len(entries), want, entries)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want an error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(out)
			if err != nil || string(data) != good || res.Size != int64(len(good)) || res.SchemaVersion == 0 {
				t.Fatalf("wrote %d bytes (%v), result %+v", len(data), err, res)
			}
		})
	}
}

func TestByteSize(t *testing.T) {
	for _, tt := range []struct {
		name string
		n    int64
		want string
	}{
		{"bytes", 512, "512 B"},
		{"kibibytes", 131072, "128.0 KiB"},
		{"mebibytes", 5 << 20, "5.0 MiB"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := byteSize(tt.n); got != tt.want {
				t.Fatalf("byteSize(%d) = %q, want %q", tt.n, got, tt.want)
			}
		})
	}
}
