package esapi

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
)

func TestRequestLog(t *testing.T) {
	h := newHarness(t, nil)
	h.do(t, req{method: "GET", target: "/_security/api_key?name=topsecret", headers: map[string]string{"Authorization": apiKeyK1}})
	log := h.log.String()
	for _, want := range []string{"msg=request", "method=GET", "path=/_security/api_key", "status=200", "user=elastic", "api_key_id=k1", "duration="} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	for _, leak := range []string{"topsecret", "azE6czE", "ApiKey"} {
		if strings.Contains(log, leak) {
			t.Errorf("log leaks %q:\n%s", leak, log)
		}
	}
}

func TestClusterInfo(t *testing.T) {
	h := newHarness(t, nil)
	w := h.do(t, req{method: "GET", target: "/"})
	if w.Code != 200 {
		t.Fatalf("status = %d; body %s", w.Code, w.Body)
	}
	want := `{"name":"node-1","cluster_name":"apikeyd","cluster_uuid":"uuid-1","version":{"number":"` + ESVersion +
		`","build_flavor":"default","build_type":"tar","build_hash":"unknown","build_date":"1970-01-01T00:00:00.000Z",` +
		`"build_snapshot":false,"lucene_version":"` + LuceneVersion + `","minimum_wire_compatibility_version":"8.19.0",` +
		`"minimum_index_compatibility_version":"8.0.0"},"tagline":"You Know, for Search"}`
	if w.Body.String() != want {
		t.Errorf("body =\n%s\nwant\n%s", w.Body, want)
	}

	head := h.do(t, req{method: "HEAD", target: "/"})
	if head.Code != 200 {
		t.Errorf("HEAD status = %d", head.Code)
	}
}

func TestPeer(t *testing.T) {
	peerSub := auth.OSSubject("alice")
	tests := []struct {
		name       string
		peer       func(*http.Request) (*auth.Subject, *api.Error)
		header     string
		wantStatus int
		wantUser   string
	}{
		{
			name:       "peer subject without Authorization",
			peer:       func(*http.Request) (*auth.Subject, *api.Error) { return peerSub, nil },
			wantStatus: 200, wantUser: "alice",
		},
		{
			name:       "Authorization wins over the peer",
			peer:       func(*http.Request) (*auth.Subject, *api.Error) { return peerSub, nil },
			header:     basicElastic,
			wantStatus: 200, wantUser: "elastic",
		},
		{
			name: "peer refused",
			peer: func(*http.Request) (*auth.Subject, *api.Error) {
				return nil, auth.Unauthenticated("unix socket peer uid 1234 is not allowed; authenticate with a user or an API key")
			},
			wantStatus: 401,
		},
		{
			name:       "connection without peer credentials",
			peer:       func(*http.Request) (*auth.Subject, *api.Error) { return nil, nil },
			wantStatus: 401,
		},
		{
			name:       "no peer configured",
			wantStatus: 401,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, func(c *Config) { c.Peer = tt.peer })
			w := h.do(t, req{method: "GET", target: "/_security/_authenticate", noAuth: tt.header == "", headers: map[string]string{"Authorization": tt.header}})
			if w.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tt.wantStatus, w.Body)
			}
			if tt.wantStatus == 401 {
				decodeEnvelope(t, w)
				if w.Header().Get("WWW-Authenticate") == "" {
					t.Errorf("401 without WWW-Authenticate")
				}
				return
			}
			if h.svc.sub == nil || h.svc.sub.Username != tt.wantUser {
				t.Errorf("subject = %+v, want %s", h.svc.sub, tt.wantUser)
			}
		})
	}
}

func TestMediaTypes(t *testing.T) {
	tests := []struct {
		name    string
		headers map[string]string
		method  string
		target  string
		body    string
	}{
		{name: "compatible-with 8 with space", method: "POST", target: "/_security/api_key", body: `{"name":"k"}`,
			headers: map[string]string{"Content-Type": "application/vnd.elasticsearch+json; compatible-with=8", "Accept": "application/vnd.elasticsearch+json; compatible-with=8"}},
		{name: "compatible-with 9 without space", method: "POST", target: "/_security/api_key", body: `{"name":"k"}`,
			headers: map[string]string{"Content-Type": "application/vnd.elasticsearch+json;compatible-with=9", "Accept": "application/vnd.elasticsearch+json;compatible-with=9"}},
		{name: "compatible-with 7", method: "POST", target: "/_security/api_key", body: `{"name":"k"}`,
			headers: map[string]string{"Content-Type": "application/vnd.elasticsearch+json;compatible-with=7"}},
		{name: "json with charset", method: "POST", target: "/_security/api_key", body: `{"name":"k"}`,
			headers: map[string]string{"Content-Type": "application/json; charset=UTF-8"}},
		{name: "Accept list", method: "GET", target: "/_security/_authenticate",
			headers: map[string]string{"Accept": "application/vnd.elasticsearch+json;compatible-with=9,text/plain"}},
		{name: "Content-Type on a bodyless GET", method: "GET", target: "/_security/api_key",
			headers: map[string]string{"Content-Type": "application/vnd.elasticsearch+json;compatible-with=9"}},
		{name: "text/plain Content-Type on a bodyless GET", method: "GET", target: "/_security/api_key",
			headers: map[string]string{"Content-Type": "text/plain"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			w := h.do(t, req{method: tt.method, target: tt.target, body: tt.body, headers: tt.headers})
			if w.Code != 200 {
				t.Fatalf("status = %d; body %s", w.Code, w.Body)
			}
		})
	}
}

func gzipped(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestBodies(t *testing.T) {
	tests := []struct {
		name       string
		body       []byte
		encoding   string
		maxBody    int64
		wantStatus int
		wantType   string
	}{
		{name: "gzip", body: gzipped(t, `{"name":"zipped"}`), encoding: "gzip", wantStatus: 200},
		{name: "corrupt gzip", body: []byte("not gzip at all"), encoding: "gzip", wantStatus: 400, wantType: "illegal_argument_exception"},
		{name: "too large", body: []byte(`{"name":"` + strings.Repeat("x", 100) + `"}`), maxBody: 64, wantStatus: 413, wantType: "content_too_long_exception"},
		{name: "too large once unzipped", body: gzipped(t, `{"name":"`+strings.Repeat("x", 1000)+`"}`), encoding: "gzip", maxBody: 512, wantStatus: 413, wantType: "content_too_long_exception"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, func(c *Config) { c.MaxBodySize = tt.maxBody })
			r := httptest.NewRequest("POST", "/_security/api_key", bytes.NewReader(tt.body))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Authorization", basicElastic)
			if tt.encoding != "" {
				r.Header.Set("Content-Encoding", tt.encoding)
			}
			w := httptest.NewRecorder()
			h.h.ServeHTTP(w, r)
			checkCommonHeaders(t, w)
			if w.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tt.wantStatus, w.Body)
			}
			if tt.wantType != "" {
				if env := decodeEnvelope(t, w); env.Error.Type != tt.wantType {
					t.Errorf("type = %q, want %q", env.Error.Type, tt.wantType)
				}
			}
			if tt.wantStatus == 200 {
				if got := *h.svc.arg.(*api.CreateAPIKeyRequest).Name; got != "zipped" {
					t.Errorf("name = %q", got)
				}
			}
		})
	}
}

func TestPrettyAndFilterPath(t *testing.T) {
	keys := []api.APIKey{
		{ID: "a", Name: "one", Type: "rest", Creation: 1, Username: "u", Realm: "r", Metadata: api.MetadataFromMap(map[string]any{"env": "prod"})},
		{ID: "b", Name: "two", Type: "rest", Creation: 2, Username: "u", Realm: "r", Metadata: api.Metadata{}},
	}
	tests := []struct {
		name       string
		target     string
		keys       []api.APIKey
		wantStatus int
		want       string
	}{
		{
			name:   "pretty",
			target: "/_security/api_key?pretty&filter_path=api_keys.id,api_keys.metadata",
			keys:   keys,
			want:   "{\n  \"api_keys\" : [\n    {\n      \"id\" : \"a\",\n      \"metadata\" : {\n        \"env\" : \"prod\"\n      }\n    },\n    {\n      \"id\" : \"b\",\n      \"metadata\" : { }\n    }\n  ]\n}\n",
		},
		{
			name:   "pretty=false",
			target: "/_security/api_key?pretty=false&filter_path=api_keys.id",
			keys:   keys,
			want:   `{"api_keys":[{"id":"a"},{"id":"b"}]}`,
		},
		{
			name:   "wildcard segment",
			target: "/_security/api_key?filter_path=api_keys.n*e,api_keys.*ated",
			keys:   keys,
			want:   `{"api_keys":[{"name":"one","invalidated":false},{"name":"two","invalidated":false}]}`,
		},
		{
			name:   "double wildcard",
			target: "/_security/api_key?filter_path=**.env",
			keys:   keys,
			want:   `{"api_keys":[{"metadata":{"env":"prod"}}]}`,
		},
		{
			name:   "exclusion",
			target: "/_security/api_key?filter_path=-api_keys.metadata,-api_keys.creation,-api_keys.role_descriptors,-api_keys.realm,-api_keys.username,-api_keys.invalidated",
			keys:   keys[:1],
			want:   `{"api_keys":[{"id":"a","name":"one","type":"rest"}]}`,
		},
		{
			name:   "nothing matches",
			target: "/_security/api_key?filter_path=nope",
			keys:   keys,
			want:   `{}`,
		},
		{
			name:       "404 body is filtered too",
			target:     "/_security/api_key?id=zz&filter_path=-api_keys",
			wantStatus: 404,
			want:       `{}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			h.svc.apiKeys = tt.keys
			w := h.do(t, req{method: "GET", target: tt.target})
			want := tt.wantStatus
			if want == 0 {
				want = 200
			}
			if w.Code != want {
				t.Fatalf("status = %d, want %d; body %s", w.Code, want, w.Body)
			}
			if w.Body.String() != tt.want {
				t.Errorf("body =\n%s\nwant\n%s", w.Body, tt.want)
			}
		})
	}
}

func TestPrettyError(t *testing.T) {
	h := newHarness(t, nil)
	w := h.do(t, req{method: "GET", target: "/_security/nothing?pretty"})
	want := "{\n  \"error\" : \"no handler found for uri [/_security/nothing?pretty] and method [GET]\"\n}\n"
	if w.Body.String() != want {
		t.Errorf("body =\n%q\nwant\n%q", w.Body, want)
	}
}
