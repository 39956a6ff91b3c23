package audit_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/audit"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
	"github.com/apikeyctl/apikeyctl/pkg/store/sqlite"
)

// readLog parses every line of the audit log.
func readLog(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var events []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q is not a JSON object: %v", sc.Text(), err)
		}
		events = append(events, m)
	}
	return events
}

// TestEveryEventAndNoSecret drives the key service through every audited
// kind of event, then checks what the log says and that no secret used
// anywhere appears in it.
func TestEveryEventAndNoSecret(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "keys.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	path := filepath.Join(dir, audit.FileName)
	al, err := audit.Open(path, auth.LocalOrigin(4242), audit.AllEvents(), nil)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := keyservice.New(db, keyservice.Options{Auditor: al, PasswordHashing: "bcrypt4"})
	if err != nil {
		t.Fatal(err)
	}
	rest := auth.WithOrigin(ctx, auth.Origin{Type: auth.OriginREST, Address: "192.0.2.7:50123"})
	root := auth.WithSubject(rest, auth.OSSubject("root"))
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	// Secrets: every one of them is looked for in the file at the end.
	const alicePassword, alicePassword2, wrongPassword = "alice-Secret-1", "alice-Secret-2", "not-Alice-Password"
	secrets := []string{alicePassword, alicePassword2, wrongPassword}

	_, err = svc.PutRole(root, &api.PutRoleRequest{Name: "tokens", Descriptor: api.RoleDescriptor{Cluster: []string{"manage_token", "manage_own_api_key"}}})
	must(err)
	_, err = svc.PutUser(root, &api.PutUserRequest{Username: "alice", Password: ptr(alicePassword), Roles: []string{"tokens"}})
	must(err)
	must(svc.ChangePassword(root, &api.ChangePasswordRequest{Username: "alice", Password: ptr(alicePassword2)}))

	alice, err := svc.AuthenticateCredential(rest, auth.Credential{Scheme: auth.SchemeBasic, Username: "alice", Password: alicePassword2})
	must(err)
	_, err = svc.AuthenticateCredential(rest, auth.Credential{Scheme: auth.SchemeBasic, Username: "alice", Password: wrongPassword})
	if err == nil {
		t.Fatal("a wrong password authenticated")
	}
	asAlice := auth.WithSubject(rest, alice)

	key, err := svc.CreateAPIKey(asAlice, &api.CreateAPIKeyRequest{Name: ptr("audited-key")})
	must(err)
	secrets = append(secrets, key.APIKey, key.Encoded, base64.StdEncoding.EncodeToString([]byte("alice:"+alicePassword2)))
	keySub, err := svc.AuthenticateCredential(rest, auth.Credential{Scheme: auth.SchemeAPIKey, KeyID: key.ID, KeySecret: key.APIKey})
	must(err)
	_, err = svc.AuthenticateCredential(rest, auth.Credential{Scheme: auth.SchemeAPIKey, KeyID: key.ID, KeySecret: "wrong-secret-value-123"})
	if err == nil {
		t.Fatal("a wrong key secret authenticated")
	}
	secrets = append(secrets, "wrong-secret-value-123")

	// A secondary credential on root's request: alice's key, then a
	// wrong password for alice.
	_, err = svc.AuthenticateSecondary(root, "ApiKey "+key.Encoded)
	must(err)
	secondaryWrong := "Basic " + base64.StdEncoding.EncodeToString([]byte("alice:"+wrongPassword))
	if _, err = svc.AuthenticateSecondary(root, secondaryWrong); err == nil {
		t.Fatal("a wrong secondary password authenticated")
	}
	secrets = append(secrets, secondaryWrong[len("Basic "):])

	// access_denied: an API key without the privilege to list users.
	_, err = svc.GetUsers(auth.WithSubject(rest, keySub), nil)
	if api.ErrorCode(err) != api.Forbidden {
		t.Fatalf("want a 403, got %v", err)
	}

	// An explanation: audited as itself, its secret nowhere.
	_, err = svc.ExplainAPIKey(root, &api.ExplainRequest{APIKey: key.ID + ":explained-wrong-secret"})
	must(err)
	secrets = append(secrets, "explained-wrong-secret")

	tok, err := svc.GetToken(asAlice, &api.GetTokenRequest{GrantType: ptr(api.GrantTypePassword), Username: ptr("alice"), Password: ptr(alicePassword2)})
	must(err)
	secrets = append(secrets, tok.AccessToken, tok.RefreshToken)
	_, err = svc.AuthenticateCredential(rest, auth.Credential{Scheme: auth.SchemeBearer, Token: tok.AccessToken})
	must(err)
	_, err = svc.AuthenticateCredential(rest, auth.Credential{Scheme: auth.SchemeBearer, Token: "unknown-bearer-token-xyz"})
	if err == nil {
		t.Fatal("an unknown token authenticated")
	}
	secrets = append(secrets, "unknown-bearer-token-xyz")
	refreshed, err := svc.GetToken(asAlice, &api.GetTokenRequest{GrantType: ptr(api.GrantTypeRefreshToken), RefreshToken: &tok.RefreshToken})
	must(err)
	secrets = append(secrets, refreshed.AccessToken, refreshed.RefreshToken)
	_, err = svc.InvalidateToken(asAlice, &api.InvalidateTokenRequest{Token: refreshed.AccessToken})
	must(err)

	_, err = svc.InvalidateAPIKeys(root, &api.InvalidateAPIKeysRequest{IDs: []string{key.ID}})
	must(err)
	// The purge runs in process: no origin in the context.
	_, err = svc.PurgeInactiveAPIKeys(auth.WithSubject(ctx, auth.OSSubject("root")), time.Nanosecond, keyservice.PurgeOptions{})
	must(err)
	_, err = svc.DeleteUser(root, "alice")
	must(err)
	_, err = svc.DeleteRole(root, "tokens")
	must(err)
	must(al.Close())

	info, err := os.Stat(path)
	must(err)
	if runtime.GOOS != "windows" && info.Mode().Perm() != 0o600 {
		t.Errorf("audit log mode %v, want 0600", info.Mode().Perm())
	}
	raw, err := os.ReadFile(path)
	must(err)
	for _, s := range secrets {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("the audit log holds the secret %q", s)
		}
	}

	events := readLog(t, path)
	find := func(action string, match func(map[string]any) bool) map[string]any {
		t.Helper()
		for _, e := range events {
			if e["event.action"] == action && (match == nil || match(e)) {
				return e
			}
		}
		t.Fatalf("no %s event in\n%s", action, raw)
		return nil
	}
	field := func(k, v string) func(map[string]any) bool { return func(e map[string]any) bool { return e[k] == v } }
	secondary := func(e map[string]any) bool { return e["authentication.secondary"] == true }

	for _, e := range events {
		if _, err := time.Parse(time.RFC3339Nano, e["@timestamp"].(string)); err != nil {
			t.Errorf("@timestamp %v: %v", e["@timestamp"], err)
		}
	}
	checks := []struct {
		action string
		match  func(map[string]any) bool
		want   map[string]any
	}{
		{keyservice.AuditPutRole, nil, map[string]any{"event.type": "security_config_change", "user.name": "root", "user.realm": "os",
			"authentication.type": "REALM", "origin.type": "rest", "origin.address": "192.0.2.7:50123",
			"request.name": "cluster:admin/xpack/security/role/put", "names": []any{"tokens"}}},
		{keyservice.AuditPutUser, nil, map[string]any{"names": []any{"alice"}}},
		{keyservice.AuditChangePassword, nil, map[string]any{"names": []any{"alice"}}},
		{keyservice.AuditAuthSuccess, field("user.name", "alice"), map[string]any{"event.type": "rest", "user.realm": "default_native", "authentication.type": "REALM"}},
		{keyservice.AuditAuthFailed, field("user.name", "alice"), map[string]any{"event.type": "rest",
			"reason": "unable to authenticate user [alice] for REST request"}},
		{keyservice.AuditCreateAPIKey, nil, map[string]any{"user.name": "alice", "apikey.ids": []any{key.ID}, "names": []any{"audited-key"}}},
		{keyservice.AuditAuthSuccess, field("authentication.type", "API_KEY"), map[string]any{"apikey.id": key.ID, "apikey.name": "audited-key", "user.realm": "_es_api_key"}},
		{keyservice.AuditAuthFailed, field("user.name", key.ID), map[string]any{
			"reason": "API key: invalid credentials for API key [" + key.ID + "]"}},
		{keyservice.AuditAuthSuccess, secondary, map[string]any{"event.type": "rest", "authentication.type": "API_KEY",
			"user.name": "alice", "apikey.id": key.ID, "user.primary.name": "root", "user.primary.realm": "os"}},
		{keyservice.AuditAuthFailed, secondary, map[string]any{"user.name": "alice", "user.primary.name": "root",
			"reason": "unable to authenticate user [alice] for REST request"}},
		{keyservice.AuditAccessDenied, nil, map[string]any{"event.type": "transport", "apikey.id": key.ID,
			"request.name": "cluster:admin/xpack/security/user/get"}},
		{keyservice.AuditExplainAPIKey, nil, map[string]any{"event.type": "transport", "apikey.ids": []any{key.ID},
			"request.name": auth.ActionExplainAPIKey, "reason": "refused: invalid credentials for API key [" + key.ID + "]"}},
		{keyservice.AuditCreateToken, field("request.name", "cluster:admin/xpack/security/token/create"), map[string]any{"user.name": "alice", "names": []any{"alice"}}},
		{keyservice.AuditCreateToken, field("request.name", "cluster:admin/xpack/security/token/refresh"), map[string]any{}},
		{keyservice.AuditAuthSuccess, field("authentication.type", "TOKEN"), map[string]any{"user.name": "alice"}},
		{keyservice.AuditAuthFailed, field("user.name", "_bearer_token"), map[string]any{"reason": "oauth2 token: invalid token"}},
		{keyservice.AuditInvalidateTokens, nil, map[string]any{"request.name": "cluster:admin/xpack/security/token/invalidate"}},
		{keyservice.AuditInvalidateAPIKeys, nil, map[string]any{"apikey.ids": []any{key.ID}}},
		{keyservice.AuditDeleteExpiredKeys, nil, map[string]any{"apikey.ids": []any{key.ID}, "origin.type": "local", "origin.address": "uid=4242",
			"request.name": auth.ActionPurge}},
		{keyservice.AuditDeleteUser, nil, map[string]any{"names": []any{"alice"}}},
		{keyservice.AuditDeleteRole, nil, map[string]any{"names": []any{"tokens"}}},
	}
	for _, c := range checks {
		e := find(c.action, c.match)
		for k, v := range c.want {
			got, _ := json.Marshal(e[k])
			want, _ := json.Marshal(v)
			if k == "reason" {
				if !strings.Contains(string(got), v.(string)) {
					t.Errorf("%s: %s = %s, want it to contain %q", c.action, k, got, v)
				}
				continue
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s: %s = %s, want %s", c.action, k, got, want)
			}
		}
	}
	// Field names are Elasticsearch's, and apikeyd's marks of a secondary
	// credential's authentication; nothing else is written.
	allowed := []string{"@timestamp", "event.type", "event.action", "authentication.type", "user.name", "user.realm", "user.roles",
		"apikey.id", "apikey.name", "origin.type", "origin.address", "request.name", "apikey.ids", "names", "reason",
		"authentication.secondary", "user.primary.name", "user.primary.realm", "user.primary.apikey.id"}
	for _, e := range events {
		for k := range e {
			if !slices.Contains(allowed, k) {
				t.Errorf("unexpected field %q in %v", k, e)
			}
		}
	}
}

func ptr[T any](v T) *T { return &v }

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteFailureIsLoggedOnce(t *testing.T) {
	var logged bytes.Buffer
	l := audit.New(failingWriter{}, auth.LocalOrigin(1), audit.Selection{}, slog.New(slog.NewTextHandler(&logged, nil)))
	for range 3 {
		l.Audit(context.Background(), keyservice.AuditEvent{Action: keyservice.AuditPutRole})
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(logged.String(), "cannot write the audit log"); n != 1 {
		t.Errorf("logged %d times, want once:\n%s", n, logged.String())
	}
}

func TestConcurrentLinesNeverInterleave(t *testing.T) {
	path := filepath.Join(t.TempDir(), audit.FileName)
	// Two loggers on one file, as the daemon and apikeyctl --db share it.
	var loggers []*audit.Logger
	for range 2 {
		l, err := audit.Open(path, auth.LocalOrigin(1), audit.Selection{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		loggers = append(loggers, l)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 50 {
				loggers[i%2].Audit(context.Background(), keyservice.AuditEvent{
					Action: keyservice.AuditInvalidateAPIKeys, APIKeyIDs: []string{strings.Repeat("x", 200)},
				})
			}
		})
	}
	wg.Wait()
	for _, l := range loggers {
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(readLog(t, path)); n != 400 {
		t.Fatalf("%d lines, want 400", n)
	}
}

func TestOpenTightensMode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes")
	}
	path := filepath.Join(t.TempDir(), audit.FileName)
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := audit.Open(path, auth.LocalOrigin(1), audit.Selection{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v; want 0600", info.Mode().Perm(), err)
	}
}

func TestFileErrorNamesTheFileAndTheProblem(t *testing.T) {
	err := error(&audit.FileError{Path: "/srv/keys/audit.json", Err: &fs.PathError{Op: "open", Path: "/srv/keys/audit.json", Err: syscall.EACCES}})
	want := "cannot write the audit log /srv/keys/audit.json: permission denied (this user must own it and be allowed to write it and its directory)"
	if err.Error() != want {
		t.Errorf("got  %q\nwant %q", err, want)
	}
	if !errors.Is(err, fs.ErrPermission) {
		t.Error("not fs.ErrPermission")
	}
}

func TestOpenLazyOpensAtTheFirstPrepare(t *testing.T) {
	path := filepath.Join(t.TempDir(), audit.FileName)
	l := audit.OpenLazy(path, auth.Origin{}, audit.Selection{}, nil)
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("OpenLazy created the file: %v", err)
	}
	if err := l.PrepareAudit(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("after PrepareAudit: %v %v", fi, err)
	}
	if err := audit.OpenLazy(path, auth.Origin{}, audit.Selection{}, nil).Close(); err != nil {
		t.Errorf("Close of a log never opened: %v", err)
	}
}
