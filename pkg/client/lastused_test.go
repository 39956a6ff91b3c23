package client

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

func TestIsApikeyd(t *testing.T) {
	for _, tc := range []struct {
		name   string
		header bool
		status int
		want   bool
	}{
		{"apikeyd", true, http.StatusOK, true},
		{"apikeyd refusing the caller", true, http.StatusUnauthorized, true},
		{"elasticsearch", false, http.StatusOK, false},
		{"elasticsearch refusing the caller", false, http.StatusForbidden, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var asked atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				asked.Add(1)
				if r.Method != http.MethodHead || r.URL.Path != "/" {
					t.Errorf("asked %s %s, want HEAD /", r.Method, r.URL.Path)
				}
				w.Header().Set("X-Elastic-Product", "Elasticsearch")
				if tc.header {
					w.Header().Set(api.ApikeydHeader, "1")
				}
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
