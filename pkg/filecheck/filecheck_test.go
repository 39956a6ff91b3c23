//go:build unix

package filecheck

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

func TestPrivate(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name     string
		mode     os.FileMode // 0: no file
		presence Presence
		want     api.CheckStatus
		says     string
	}{
		{"owner only", 0o600, Required, api.CheckOK, "only its owner can read it"},
		{"read-only for the owner", 0o400, Required, api.CheckOK, "mode 0400"},
		{"group readable", 0o640, Required, api.CheckWarn, "its group can read it; run chmod 600"},
		{"world readable", 0o644, Required, api.CheckFail, "every user on this machine can read or change it"},
		{"world writable", 0o602, Required, api.CheckFail, "every user"},
		{"missing and required", 0, Required, api.CheckFail, "does not exist"},
		{"missing and optional", 0, Optional, api.CheckOK, "does not exist"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-"))
			if tt.mode != 0 {
				if err := os.WriteFile(path, nil, 0o600); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(path, tt.mode); err != nil {
					t.Fatal(err)
				}
			}
			c := Private("file", path, tt.presence)
			if c.Status != tt.want || !strings.Contains(c.Message, tt.says) || !strings.Contains(c.Message, path) {
				t.Fatalf("got %s %q, want %s and %q", c.Status, c.Message, tt.want, tt.says)
			}
		})
	}
	if c := Private("dir", dir, Required); c.Status != api.CheckFail || !strings.Contains(c.Message, "not a regular file") {
		t.Fatalf("a directory: %+v", c)
	}
}

func TestDirectory(t *testing.T) {
	for _, tt := range []struct {
		name string
		mode os.FileMode
		want api.CheckStatus
	}{
		{"private", 0o700, api.CheckOK},
		{"group readable", 0o750, api.CheckOK},
		{"group writable", 0o770, api.CheckWarn},
		{"world writable", 0o777, api.CheckFail},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "d")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, tt.mode); err != nil {
				t.Fatal(err)
			}
			if c := Directory("dir", dir); c.Status != tt.want {
				t.Fatalf("got %s %q, want %s", c.Status, c.Message, tt.want)
			}
		})
	}
}

func TestSocket(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "s.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		path string
		mode os.FileMode
		want api.CheckStatus
		says string
	}{
		{"owner and group", sock, 0o660, api.CheckOK, "mode 0660"},
		{"every user", sock, 0o666, api.CheckWarn, "every local user can connect"},
		{"missing", filepath.Join(dir, "none.sock"), 0, api.CheckFail, "is apikeyd running"},
		{"not a socket", plain, 0, api.CheckFail, "is not a socket"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.mode != 0 {
				if err := os.Chmod(tt.path, tt.mode); err != nil {
					t.Fatal(err)
				}
			}
			if c := Socket("socket", tt.path); c.Status != tt.want || !strings.Contains(c.Message, tt.says) {
				t.Fatalf("got %s %q, want %s and %q", c.Status, c.Message, tt.want, tt.says)
			}
		})
	}
}
