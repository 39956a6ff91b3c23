package client

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

func TestIsApikeyd(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		want   bool
	}{
		{"apikeyd", http.StatusOK, true},
		{"apikeyd not knowing the caller", http.StatusUnauthorized, true},
		{"apikeyd refusing the caller", http.StatusForbidden, true},
		{"elasticsearch (no handler)", http.StatusBadRequest, false},
		{"a proxy with no such page", http.StatusNotFound, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var asked atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				asked.Add(1)
				if r.Method != http.MethodHead || r.URL.Path != "/_apikeyd" {
					t.Errorf("asked %s %s, want HEAD /_apikeyd", r.Method, r.URL.Path)
				}
				w.Header().Set("X-Elastic-Product", "Elasticsearch")
				w.WriteHeader(tc.status)
			}))
			defer srv.Close()
			c, err := New(Config{URL: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			for range 2 {
				got, err := c.IsApikeyd(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				if got != tc.want {
					t.Errorf("IsApikeyd = %v, want %v", got, tc.want)
				}
			}
			if n := asked.Load(); n != 1 {
				t.Errorf("asked the server %d times, want once", n)
			}
		})
	}
	t.Run("socket", func(t *testing.T) {
		c, err := New(Config{Socket: t.TempDir() + "/none.sock"})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if got, err := c.IsApikeyd(t.Context()); err != nil || !got {
			t.Errorf("IsApikeyd over a socket = %v, %v; want true without asking", got, err)
		}
	})
}
