package esapi_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/audit"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/esapi"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
)

// TestWireEvents reads the audit log over HTTP: a write shows up as its
// audit line, a failed authentication follows from the cursor, a plain
// user gets Elasticsearch's 403 for a missing cluster privilege, and a
// size beyond the bound is a 400.
func TestWireEvents(t *testing.T) {
	ctx := context.Background()
	l, err := audit.Open(filepath.Join(t.TempDir(), audit.FileName), auth.Origin{Type: "local"}, audit.Selection{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	svc, err := keyservice.New(openTempDB(t), keyservice.Options{PasswordHashing: "bcrypt4", Auditor: l})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Bootstrap(ctx, "wire-password"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(esapi.NewHandler(esapi.Config{Service: svc, Admin: svc, Authenticator: svc}))
	t.Cleanup(srv.Close)
	elastic := "Basic ZWxhc3RpYzp3aXJlLXBhc3N3b3Jk" // elastic:wire-password
	plain := "Basic cGxhaW46cGxhaW4tcGFzc3dvcmQ="   // plain:plain-password

	if status, _, body := rawCall(t, srv.URL, "PUT", "/_security/user/plain", elastic, `{"password":"plain-password","roles":[]}`); status != 200 {
		t.Fatalf("put user: %d %s", status, body)
	}
	var page struct {
		Count  int                          `json:"count"`
		Events []map[string]json.RawMessage `json:"events"`
		Next   string                       `json:"next"`
	}
	get := func(query string) {
		t.Helper()
		status, _, body := rawCall(t, srv.URL, "GET", "/_apikeyd/events?"+query, elastic, "")
		if status != 200 || json.Unmarshal([]byte(body), &page) != nil {
			t.Fatalf("GET events?%s: %d %s", query, status, body)
		}
	}
	// The writer is asynchronous: wait_for_events waits for its line.
	get("action=put_user&wait_for_events=10s")
	if page.Count != 1 || string(page.Events[0]["event.action"]) != `"put_user"` || string(page.Events[0]["user.name"]) != `"elastic"` {
		t.Fatalf("page %+v, want the put_user of elastic", page)
	}

	if status, _, _ := rawCall(t, srv.URL, "GET", "/_security/_authenticate", "Basic cGxhaW46d3Jvbmc=", ""); status != 401 {
		t.Fatalf("a wrong password answered %d", status)
	}
	get("outcome=failure&wait_for_events=10s&after=" + url.QueryEscape(page.Next))
	if page.Count != 1 || string(page.Events[0]["event.action"]) != `"authentication_failed"` || string(page.Events[0]["user.name"]) != `"plain"` {
		t.Fatalf("page %+v, want the failed authentication of plain", page)
	}

	reason := "action [cluster:admin/xpack/security/apikeyd/events/get] is unauthorized for user [plain] with effective roles [], this action is granted by the cluster privileges [read_security,manage_security,all]"
	forbidden := `{"error":{"root_cause":[{"type":"security_exception","reason":"` + reason + `"}],"type":"security_exception","reason":"` + reason + `"},"status":403}`
	if status, _, body := rawCall(t, srv.URL, "GET", "/_apikeyd/events", plain, ""); status != 403 || body != forbidden {
		t.Errorf("a plain user: %d %s,\nwant 403 %s", status, body, forbidden)
	}
	tooLarge := "[size] must be between 1 and 10000, got [10001]: page with [after] for more"
	badRequest := `{"error":{"root_cause":[{"type":"illegal_argument_exception","reason":"` + tooLarge + `"}],"type":"illegal_argument_exception","reason":"` + tooLarge + `"},"status":400}`
	if status, _, body := rawCall(t, srv.URL, "GET", "/_apikeyd/events?size=10001", elastic, ""); status != 400 || body != badRequest {
		t.Errorf("size=10001: %d %s,\nwant 400 %s", status, body, badRequest)
	}
}
