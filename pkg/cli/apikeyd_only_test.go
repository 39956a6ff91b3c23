package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestApikeydOnlyAgainstElasticsearch: the commands that need apikeyd's
// own endpoints say so, and what to do instead, when the target is an
// Elasticsearch node (which answers "no handler found").
func TestApikeydOnlyAgainstElasticsearch(t *testing.T) {
	es := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":"no handler found for uri [%s] and method [%s]"}`, r.URL.Path, r.Method)
	}))
	t.Cleanup(es.Close)
	env := map[string]string{"APIKEYCTL_API_KEY": "aWQ6c2VjcmV0"}
	for _, tt := range []struct {
		name   string
		args   []string
		stderr string
	}{
		{"invalidate --query", []string{"invalidate", "--query", "--name", "tmp-*", "--dry-run"},
			"invalidate by query is an apikeyd feature and the server at " + es.URL},
		{"update --rename", []string{"update", "7Q2eJ5gBc8uQ3hY1Zk9w", "--rename", "x"},
			"renaming a key or clearing its expiration is an apikeyd feature"},
		{"update --no-expiration", []string{"update", "7Q2eJ5gBc8uQ3hY1Zk9w", "--no-expiration"},
			"create a new key ('apikeyctl create') and invalidate the old one"},
		{"create --allow-from", []string{"create", "--name", "x", "--allow-from", "10.0.0.0/8"},
			"binding a key to networks is an apikeyd feature and the server at " + es.URL},
		{"update --clear-allow-from", []string{"update", "7Q2eJ5gBc8uQ3hY1Zk9w", "--clear-allow-from"},
			"Elasticsearch cannot bind an API key to client networks: leave out --allow-from and --clear-allow-from"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := run(t, false, "", env, append([]string{"--url", es.URL}, tt.args...)...)
			if code != ExitError || !strings.Contains(stderr, tt.stderr) {
				t.Fatalf("exit %d, stderr %q; want 1 and %q", code, stderr, tt.stderr)
			}
		})
	}
}
