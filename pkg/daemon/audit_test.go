package daemon

import (
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestMainWritesTheAuditLog runs apikeyd and checks its audit log: writes
// over the socket name the peer's uid, over TCP the client's address,
// failures name the user but never the password.
func TestMainWritesTheAuditLog(t *testing.T) {
	clearEnv(t)
	t.Setenv("APIKEYD_BOOTSTRAP_PASSWORD", "audit-bootstrap-pw")
	dir := shortDir(t)
	sock := filepath.Join(dir, "apikeyd.sock")
	d := startMain(t, "--data-dir", dir, "--socket", sock, "--listen", "127.0.0.1:0")

	if code, body := do(t, socketClient(sock), "POST", "http://apikeyd/_security/api_key", "", `{"name":"audited"}`); code != 200 {
		t.Fatalf("create = %d %v", code, body)
	}
	wrong := "Basic " + base64.StdEncoding.EncodeToString([]byte("elastic:wrong-password-123"))
	if code, _ := do(t, &http.Client{}, "GET", "http://"+d.addrs.Addr+"/_security/_authenticate", wrong, ""); code != 401 {
		t.Fatalf("wrong password = %d", code)
	}
	if code := d.stop(t); code != 0 {
		t.Fatalf("exit %d:\n%s", code, d.stderr)
	}

	path := filepath.Join(dir, "audit.json")
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", info.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	log := string(data)
	for _, want := range []string{
		`"event.action":"create_apikey"`,
		`"origin.address":"unix:uid=` + strconv.Itoa(os.Geteuid()) + `"`,
		`"event.action":"authentication_failed","user.name":"elastic","origin.type":"rest","origin.address":"127.0.0.1:`,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("the audit log lacks %s:\n%s", want, log)
		}
	}
	for _, secret := range []string{"wrong-password-123", "audit-bootstrap-pw"} {
		if strings.Contains(log, secret) {
			t.Errorf("the audit log holds the secret %q", secret)
		}
	}
}
