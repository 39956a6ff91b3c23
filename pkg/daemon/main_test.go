package daemon

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestMainVersion(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"version"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.HasPrefix(out.String(), "apikeyd dev (commit unknown, built unknown, go") {
		t.Errorf("version output %q", out.String())
	}
}

func TestMainUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"--bogus"}, "unknown flag: --bogus"},
		{"stray argument", []string{"serve"}, `unknown command or argument "serve"`},
		{"argument to version", []string{"version", "now"}, "version takes no arguments"},
		{"plain HTTP on all interfaces", []string{"--socket", "", "--listen", "0.0.0.0:9200"}, "is not a loopback address"},
		{"certificate without key", []string{"--listen", "127.0.0.1:0", "--tls-cert", "c.pem"}, "must be given together"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			var out, errOut bytes.Buffer
			if code := run(context.Background(), tt.args, &out, &errOut); code != 2 {
				t.Fatalf("exit %d, want 2; stderr %s", code, errOut.String())
			}
			if !strings.Contains(errOut.String(), tt.want) || !strings.Contains(errOut.String(), "apikeyd --help") {
				t.Errorf("stderr %q, want %q and a hint", errOut.String(), tt.want)
			}
		})
	}
}

// daemonRun is apikeyd started through run, as main starts it.
type daemonRun struct {
	cancel context.CancelFunc
	code   chan int
	stderr *syncBuffer
	addrs  Addrs
}

func startMain(t *testing.T, args ...string) *daemonRun {
	t.Helper()
	ready := filepath.Join(shortDir(t), "ready.json")
	ctx, cancel := context.WithCancel(context.Background())
	d := &daemonRun{cancel: cancel, code: make(chan int, 1), stderr: &syncBuffer{}}
	go func() { d.code <- run(ctx, append(args, "--ready-file", ready), io.Discard, d.stderr) }()
	t.Cleanup(cancel)
	deadline := time.Now().Add(20 * time.Second)
	for {
		data, err := os.ReadFile(ready)
		if err == nil && json.Unmarshal(data, &d.addrs) == nil {
			return d
		}
		select {
		case code := <-d.code:
			t.Fatalf("apikeyd exited with %d:\n%s", code, d.stderr)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("apikeyd did not become ready:\n%s", d.stderr)
		}
	}
}

func (d *daemonRun) stop(t *testing.T) int {
	t.Helper()
	d.cancel()
	select {
	case code := <-d.code:
		return code
	case <-time.After(20 * time.Second):
		t.Fatal("apikeyd did not stop")
	}
	return -1
}

func do(t *testing.T, c *http.Client, method, url, authz, body string) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	data, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s %s: body %q: %v", method, url, data, err)
	}
	return resp.StatusCode, m
}

// TestMainServesAndStops runs the real daemon over SQLite: the generated
// bootstrap password is shown once, the OS user is a superuser on the
// socket, keys it creates authenticate over TCP, and a stop leaves no
// socket behind.
func TestMainServesAndStops(t *testing.T) {
	clearEnv(t)
	dir := shortDir(t)
	sock := filepath.Join(dir, "apikeyd.sock")
	args := []string{"--data-dir", dir, "--socket", sock, "--listen", "127.0.0.1:0", "--log-format", "json"}
	d := startMain(t, args...)

	m := regexp.MustCompile(`created with password: \|\n\|\s+\|\n\|\s+(\S+)\s+\|`).FindStringSubmatch(d.stderr.String())
	if m == nil {
		t.Fatalf("no bootstrap password box on stderr:\n%s", d.stderr)
	}
	password := m[1]
	// The log is written by its own goroutine: the line may follow the
	// ready file (the deadline is a failure guard).
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		out := d.stderr.String()
		if strings.Contains(out, `"msg":"apikeyd listening"`) && strings.Contains(out, `"addr":"`+d.addrs.Addr+`"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no JSON listening line with addr %s:\n%s", d.addrs.Addr, out)
		}
	}

	tcp, base := &http.Client{}, "http://"+d.addrs.Addr
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("elastic:"+password))
	if code, body := do(t, tcp, "GET", base+"/_security/_authenticate", basic, ""); code != 200 || body["username"] != "elastic" {
		t.Fatalf("authenticate as elastic = %d %v", code, body)
	}

	sc := socketClient(sock)
	code, body := do(t, sc, "GET", "http://apikeyd/_security/_authenticate", "", "")
	if code != 200 || body["username"] != currentUserName(t) {
		t.Fatalf("socket peer = %d %v", code, body)
	}
	code, created := do(t, sc, "POST", "http://apikeyd/_security/api_key", "", `{"name":"from-the-socket"}`)
	if code != 200 {
		t.Fatalf("create over the socket = %d %v", code, created)
	}
	code, body = do(t, tcp, "GET", base+"/_security/_authenticate", "ApiKey "+created["encoded"].(string), "")
	key, _ := body["api_key"].(map[string]any)
	if code != 200 || body["username"] != currentUserName(t) || key["id"] != created["id"] {
		t.Fatalf("authenticate with the new key = %d %v", code, body)
	}

	if code := d.stop(t); code != 0 {
		t.Fatalf("exit %d after a stop:\n%s", code, d.stderr)
	}
	if _, err := os.Lstat(sock); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("socket left behind: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "apikeys.db")); err != nil {
		t.Errorf("database: %v", err)
	}

	// A second start over the same database creates nothing and shows no password.
	d2 := startMain(t, args...)
	if strings.Contains(d2.stderr.String(), "bootstrap superuser") {
		t.Errorf("second start shows the bootstrap box again:\n%s", d2.stderr)
	}
	if code, _ := do(t, tcp, "GET", "http://"+d2.addrs.Addr+"/_security/_authenticate", basic, ""); code != 200 {
		t.Errorf("the bootstrap password no longer works after a restart: %d", code)
	}
	if code := d2.stop(t); code != 0 {
		t.Fatalf("exit %d after the second stop:\n%s", code, d2.stderr)
	}
}

func TestMainBootstrapPasswordFromTheEnvironment(t *testing.T) {
	clearEnv(t)
	t.Setenv("APIKEYD_BOOTSTRAP_PASSWORD", "from-the-env")
	dir := shortDir(t)
	d := startMain(t, "--data-dir", dir, "--socket", "", "--listen", "127.0.0.1:0")
	if strings.Contains(d.stderr.String(), "created with password") {
		t.Errorf("a given bootstrap password is shown:\n%s", d.stderr)
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("elastic:from-the-env"))
	if code, _ := do(t, &http.Client{}, "GET", "http://"+d.addrs.Addr+"/_security/_authenticate", basic, ""); code != 200 {
		t.Errorf("authenticate with the environment's password = %d", code)
	}
	if code := d.stop(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

func TestMainFailsOnABadDatabase(t *testing.T) {
	clearEnv(t)
	dir := shortDir(t)
	db := filepath.Join(dir, "not-a-db")
	if err := os.WriteFile(db, []byte(strings.Repeat("garbage ", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	var errOut bytes.Buffer
	code := run(context.Background(), []string{"--db", db, "--socket", filepath.Join(dir, "s.sock")}, io.Discard, &errOut)
	if code != 1 {
		t.Fatalf("exit %d, want 1: %s", code, errOut.String())
	}
	if !strings.Contains(errOut.String(), "apikeyd: open the database") {
		t.Errorf("stderr %q", errOut.String())
	}
	if _, err := os.Lstat(filepath.Join(dir, "s.sock")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a socket was created for a daemon that cannot start")
	}
}

// TestMainBrakesFailedAuthentication: with --failed-auth-limit, the wire
// carries the 429 in the envelope with Retry-After, and the superuser who
// authenticated before keeps working.
func TestMainBrakesFailedAuthentication(t *testing.T) {
	clearEnv(t)
	t.Setenv("APIKEYD_BOOTSTRAP_PASSWORD", "right-password")
	d := startMain(t, "--data-dir", shortDir(t), "--socket", "", "--listen", "127.0.0.1:0",
		"--failed-auth-limit", "2", "--failed-auth-window", "1h")
	url := "http://" + d.addrs.Addr + "/_security/_authenticate"
	right := "Basic " + base64.StdEncoding.EncodeToString([]byte("elastic:right-password"))
	wrong := "Basic " + base64.StdEncoding.EncodeToString([]byte("elastic:wrong-password"))
	if code, _ := do(t, &http.Client{}, "GET", url, right, ""); code != 200 {
		t.Fatalf("authenticate = %d", code)
	}
	for _, want := range []int{401, 401, 429, 429} {
		if code, _ := do(t, &http.Client{}, "GET", url, wrong, ""); code != want {
			t.Fatalf("a wrong password = %d, want %d", code, want)
		}
	}
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", wrong)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1800" ||
		!strings.Contains(string(body), `"type":"too_many_requests"`) || !strings.Contains(string(body), `"status":429`) {
		t.Fatalf("throttled answer: %d Retry-After %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if code, _ := do(t, &http.Client{}, "GET", url, right, ""); code != 200 {
		t.Fatalf("the right password while throttled = %d", code)
	}
	if code := d.stop(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
}
