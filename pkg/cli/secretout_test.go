package cli

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

func TestWriteSecret(t *testing.T) {
	resp := &api.CreateAPIKeyResponse{ID: "7Q2eJ5gBc8uQ3hY1Zk9w", Name: "ci", APIKey: "s3cretS3cretS3cretS3cr"}
	resp.Encoded = base64.StdEncoding.EncodeToString([]byte(resp.ID + ":" + resp.APIKey))
	tests := []struct {
		format string
		want   string
	}{
		{"encoded", resp.Encoded + "\n"},
		{"id:key", "7Q2eJ5gBc8uQ3hY1Zk9w:s3cretS3cretS3cretS3cr\n"},
		{"header", "Authorization: ApiKey " + resp.Encoded + "\n"},
		{"env", "APIKEY_ID=7Q2eJ5gBc8uQ3hY1Zk9w\nAPIKEY_ENCODED=" + resp.Encoded + "\n"},
		{"json", `{"id":"7Q2eJ5gBc8uQ3hY1Zk9w","name":"ci","api_key":"s3cretS3cretS3cretS3cr","encoded":"` + resp.Encoded + `"}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			var b bytes.Buffer
			if err := writeSecret(&b, tt.format, resp); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Fatalf("got %q, want %q", b.String(), tt.want)
			}
		})
	}
	if err := writeSecret(&bytes.Buffer{}, "yaml", resp); ExitCode(err) != ExitUsage {
		t.Fatalf("unknown format: %v", err)
	}
}

// TestSecretOut runs create with each --secret-out destination and
// format: the secret is where it was sent and nowhere in stdout or
// stderr, which get the id, name and expiration.
func TestSecretOut(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "keys.db")
	for i, format := range secretFormats {
		t.Run(format, func(t *testing.T) {
			path := filepath.Join(dir, "secret-"+strings.ReplaceAll(format, ":", "-"))
			name := "ci-" + string(rune('a'+i))
			code, out, stderr := run(t, false, "", nil, "--db", db, "create", "--name", name, "--expiration", "1h",
				"--secret-out", "file:"+path, "--secret-format", format)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var shown map[string]any
			if err := json.Unmarshal([]byte(out), &shown); err != nil {
				t.Fatalf("stdout is not JSON: %v\n%s", err, out)
			}
			if len(shown) != 3 || shown["name"] != name || shown["id"] == nil || shown["expiration"] == nil {
				t.Fatalf("stdout %s: want the id, name and expiration only", out)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Fatalf("mode %v, want 0600", fi.Mode().Perm())
			}
			data, _ := os.ReadFile(path)
			encoded := secretEncodedIn(t, format, string(data))
			if strings.Contains(out, encoded) || strings.Contains(stderr, encoded) {
				t.Fatalf("the secret leaked: stdout %q stderr %q", out, stderr)
			}
			// The credential written is the key's.
			cred, err := base64.StdEncoding.DecodeString(encoded)
			if err != nil || !strings.HasPrefix(string(cred), shown["id"].(string)+":") || !looksLikeCredential(encoded) {
				t.Fatalf("the credential written (%v) is not the new key's", err)
			}
		})
	}
}

// secretEncodedIn finds the encoded credential in what format wrote.
func secretEncodedIn(t *testing.T, format, text string) string {
	t.Helper()
	line := strings.TrimSuffix(text, "\n")
	switch format {
	case "encoded":
		return line
	case "id:key":
		return base64.StdEncoding.EncodeToString([]byte(line))
	case "header":
		return strings.TrimPrefix(line, "Authorization: ApiKey ")
	case "env":
		_, v, _ := strings.Cut(strings.Split(line, "\n")[1], "=")
		return v
	case "json":
		var v struct{ Encoded string }
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatal(err)
		}
		return v.Encoded
	}
	t.Fatalf("unknown format %s", format)
	return ""
}

func TestSecretOutRefusals(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "keys.db")
	existing := filepath.Join(dir, "existing")
	if err := os.WriteFile(existing, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"existing file", []string{"--secret-out", "file:" + existing}, "the file exists"},
		{"closed fd", []string{"--secret-out", "fd:97"}, "fd:97 is not an open file descriptor"},
		{"stdout fd", []string{"--secret-out", "fd:1"}, "is stdin, stdout or stderr"},
		{"bad fd", []string{"--secret-out", "fd:x"}, "takes a file descriptor number"},
		{"unknown kind", []string{"--secret-out", "secret.txt"}, "use fd:N"},
		{"unknown format", []string{"--secret-format", "yaml"}, `invalid --secret-format "yaml"`},
		{"format and field", []string{"--secret-format", "env", "--field", "id"}, "without --secret-out prints the secret alone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"--db", db, "create", "--name", "refused"}, tt.args...)
			code, _, stderr := run(t, false, "", nil, args...)
			if code != ExitUsage || !strings.Contains(stderr, tt.stderr) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, stderr, tt.stderr)
			}
		})
	}
	// Nothing was created, and the existing file is as it was.
	if code, out, _ := run(t, false, "", nil, "--db", db, "get", "--name", "refused", "--field", "id"); code == 0 && strings.TrimSpace(out) != "" {
		t.Fatalf("a refused call created a key: %s", out)
	}
	if data, _ := os.ReadFile(existing); string(data) != "keep me" {
		t.Fatalf("the existing file was changed: %q", data)
	}
}

// TestSecretOutRemovedOnFailure: a call that fails leaves no file behind.
func TestSecretOutRemovedOnFailure(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "keys.db")
	path := filepath.Join(dir, "secret")
	code, _, stderr := run(t, false, "", nil, "--db", db, "create", "--name", "bad", "--expiration", "soon", "--secret-out", "file:"+path)
	if code == 0 {
		t.Fatalf("an invalid expiration was accepted: %s", stderr)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("the secret file of a failed call is still there: %v", err)
	}
}

// TestSecretOutWriteFails: a descriptor the secret cannot be written to
// (open for reading only) is an error that names the key made, so that it
// can be invalidated; the secret is printed nowhere.
func TestSecretOutWriteFails(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "keys.db")
	path := filepath.Join(dir, "read-only")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	ro, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	code, out, stderr := run(t, false, "", nil, "--db", db, "create", "--name", "lost", "--secret-out", fmt.Sprintf("fd:%d", ro.Fd()))
	if code != ExitError || !strings.Contains(stderr, "was created but its secret could not be written to fd:") ||
		!strings.Contains(stderr, "invalidate it with 'apikeyctl invalidate ") || out != "" {
		t.Fatalf("exit %d\nstdout %q\nstderr %q", code, out, stderr)
	}
}

func TestSecretOutOnATerminal(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "secret")
	code, out, stderr := runTTY(t, "", "--db", filepath.Join(dir, "keys.db"), "create", "--name", "ci", "--expiration", "1d", "--secret-out", "file:"+path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	secret, _ := os.ReadFile(path)
	if !strings.Contains(out, "Created API key ci (id ") || !strings.Contains(out, "expires in 1 day; its secret went to file:"+path) ||
		strings.Contains(out+stderr, strings.TrimSpace(string(secret))) {
		t.Fatalf("stdout %q stderr %q", out, stderr)
	}
}
