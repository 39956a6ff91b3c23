package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/client"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
	"github.com/apikeyctl/apikeyctl/pkg/store/sqlite"
)

// TestUnusedFor: query --unused-for D lists the keys last used before
// now-D and the keys never used created before now-D.
func TestUnusedFor(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "keys.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	now := testClock.Add(-200 * 24 * time.Hour)
	svc, err := keyservice.New(db, keyservice.Options{Now: func() time.Time { return now }, Caller: auth.OSSubject("operator"), RecordUsage: true})
	if err != nil {
		t.Fatal(err)
	}
	create := func(name string) *api.CreateAPIKeyResponse {
		resp, err := svc.CreateAPIKey(ctx, &api.CreateAPIKeyRequest{Name: &name})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	use := func(k *api.CreateAPIKeyResponse) {
		if _, err := svc.AuthenticateCredential(ctx, auth.Credential{Scheme: auth.SchemeAPIKey, KeyID: k.ID, KeySecret: k.APIKey}); err != nil {
			t.Fatal(err)
		}
	}
	// 200 days ago: three keys, two of them used then.
	usedLongAgo, usedRecently := create("used-long-ago"), create("used-recently")
	create("never-used-old")
	use(usedLongAgo)
	use(usedRecently)
	if err := svc.FlushUsage(ctx); err != nil {
		t.Fatal(err)
	}
	// 10 days ago: one used again, one new key never used.
	now = testClock.Add(-10 * 24 * time.Hour)
	use(usedRecently)
	create("never-used-new")
	now = testClock

	tio := testStreams("", false, nil)
	f := testFactory(tio.ios, nil)
	f.svc = svc
	code := Run(ctx, f, []string{"query", "--unused-for", "90d", "--sort", "name", "-o", "json"})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, tio.stderr.String())
	}
	var resp api.QueryAPIKeysResponse
	if err := json.Unmarshal(tio.stdout.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, k := range resp.APIKeys {
		names = append(names, k.Name)
		if k.UsageCount == nil {
			t.Errorf("key %s has no usage_count in -o json", k.Name)
		}
	}
	if want := []string{"never-used-old", "used-long-ago"}; !slices.Equal(names, want) {
		t.Errorf("--unused-for 90d = %v, want %v", names, want)
	}

	// inspect's card on a terminal says it; a pipe gets get's answer.
	for _, tty := range []bool{true, false} {
		tio := testStreams("", tty, nil)
		f := testFactory(tio.ios, nil)
		f.svc = svc
		if code := Run(ctx, f, []string{"inspect", usedRecently.ID}); code != 0 {
			t.Fatalf("inspect: exit %d: %s", code, tio.stderr.String())
		}
		shown := strings.Contains(tio.stdout.String(), "used 10 days ago")
		if shown != tty {
			t.Errorf("inspect on a terminal %v: usage shown %v:\n%s", tty, shown, tio.stdout.String())
		}
	}
}

// fakeElasticsearch answers get and query as Elasticsearch does, refusing
// with_last_used as it refuses any parameter it does not know.
func fakeElasticsearch(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Has("with_last_used") {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":{"root_cause":[{"type":"illegal_argument_exception","reason":"request [/_security/api_key] contains unrecognized parameter: [with_last_used]"}],"type":"illegal_argument_exception","reason":"request [/_security/api_key] contains unrecognized parameter: [with_last_used]"},"status":400}`))
			return
		}
		switch r.URL.Path {
		case "/":
			_, _ = w.Write([]byte(`{"name":"es"}`))
		case "/_security/api_key":
			_, _ = w.Write([]byte(`{"api_keys":[{"id":"7Q2eJ5gBc8uQ3hY1Zk9w","name":"k","type":"rest","creation":1,"invalidated":false,"username":"u","realm":"native","metadata":{},"role_descriptors":{}}]}`))
		case "/_security/_query/api_key":
			_, _ = w.Write([]byte(`{"total":0,"count":0,"api_keys":[]}`))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// Against Elasticsearch, --with-last-used asks nothing and says so, and
// --unused-for fails saying why.
func TestLastUsedAgainstElasticsearch(t *testing.T) {
	url := fakeElasticsearch(t)
	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		stderr   string
		stdoutOK func(string) bool
	}{
		{"get", []string{"get", "--with-last-used", "-o", "json"}, 0, "does not record when API keys are used",
			func(s string) bool {
				return strings.Contains(s, `"7Q2eJ5gBc8uQ3hY1Zk9w"`) && !strings.Contains(s, "usage_count")
			}},
		{"query", []string{"query", "--with-last-used", "-o", "json"}, 0, "does not record when API keys are used",
			func(s string) bool { return strings.Contains(s, `"total"`) }},
		{"unused-for", []string{"query", "--unused-for", "90d"}, 1, "--unused-for needs apikeyd",
			func(s string) bool { return s == "" }},
		{"unused-for without a unit", []string{"query", "--unused-for", "90"}, 2, "invalid --unused-for",
			func(s string) bool { return s == "" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := client.New(client.Config{URL: url})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			tio := testStreams("", false, nil)
			f := testFactory(tio.ios, nil)
			f.svc = c
			code := Run(context.Background(), f, tc.args)
			if code != tc.code || !strings.Contains(tio.stderr.String(), tc.stderr) || !tc.stdoutOK(tio.stdout.String()) {
				t.Errorf("exit %d (want %d)\nstdout: %s\nstderr: %s (want %q)", code, tc.code, tio.stdout.String(), tio.stderr.String(), tc.stderr)
			}
		})
	}
}
