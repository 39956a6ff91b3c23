package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// recorded is what the fake server saw of one request.
type recorded struct {
	Method   string
	Path     string // escaped
	RawQuery string
	Host     string
	Header   http.Header
	Body     string
}

// reply is what the fake server answers.
type reply struct {
	status    int
	body      string
	header    map[string]string
	noProduct bool
}

// fakeES records requests and answers each with its reply, as an
// Elasticsearch node would: JSON, with X-Elastic-Product.
type fakeES struct {
	mu    sync.Mutex
	reqs  []recorded
	reply reply
}

func (f *fakeES) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.reqs = append(f.reqs, recorded{
		Method: r.Method, Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery,
		Host: r.Host, Header: r.Header.Clone(), Body: string(body),
	})
	rep := f.reply
	f.mu.Unlock()
	if !rep.noProduct {
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
	}
	w.Header().Set("Content-Type", "application/json")
	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	status := rep.status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, rep.body)
}

func (f *fakeES) last(t *testing.T) recorded {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.reqs) == 0 {
		t.Fatal("the server saw no request")
	}
	return f.reqs[len(f.reqs)-1]
}

// newFake starts an httptest server answering rep.
func newFake(t *testing.T, rep reply) (*fakeES, *httptest.Server) {
	t.Helper()
	f := &fakeES{reply: rep}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func mustNew(t *testing.T, cfg Config) *Client {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// sameJSON reports whether a and b are the same JSON value.
func sameJSON(t *testing.T, a, b string) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal([]byte(a), &va); err != nil {
		t.Fatalf("bad JSON %q: %v", a, err)
	}
	if err := json.Unmarshal([]byte(b), &vb); err != nil {
		t.Fatalf("bad JSON %q: %v", b, err)
	}
	return reflect.DeepEqual(va, vb)
}

func ptr[T any](v T) *T { return &v }

const sampleKey = `{"id":"VuaCfGcBCdbkQm-e5aOx","name":"k1","type":"rest","creation":1700000000000,
	"expiration":1700086400000,"invalidated":false,"username":"elastic","realm":"native","realm_type":"native",
	"metadata":{"env":"prod","n":12345678901234567},"role_descriptors":{"r1":{"cluster":["all"],"indices":[],
	"applications":[],"run_as":[],"metadata":{},"transient_metadata":{"enabled":true}}}}`

func TestRequests(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		call      func(c *Client) (any, error)
		status    int
		respBody  string
		method    string
		path      string
		query     url.Values
		body      string // "" means none
		want      any
		wantCheck func(t *testing.T, got any)
	}{
		{
			name: "create with refresh",
			call: func(c *Client) (any, error) {
				return c.CreateAPIKey(ctx, &api.CreateAPIKeyRequest{
					Name: ptr("k1"), Expiration: ptr("1d"), Metadata: api.MetadataFromMap(map[string]any{"env": "prod"}), Refresh: "wait_for",
				})
			},
			respBody: `{"id":"abc","name":"k1","expiration":1700000000000,"api_key":"sec","encoded":"YWJjOnNlYw=="}`,
			method:   "POST", path: "/_security/api_key", query: url.Values{"refresh": {"wait_for"}},
			body: `{"name":"k1","expiration":"1d","metadata":{"env":"prod"}}`,
			want: &api.CreateAPIKeyResponse{ID: "abc", Name: "k1", Expiration: ptr(int64(1700000000000)), APIKey: "sec", Encoded: "YWJjOnNlYw=="},
		},
		{
			name: "create with role descriptors, no refresh",
			call: func(c *Client) (any, error) {
				return c.CreateAPIKey(ctx, &api.CreateAPIKeyRequest{
					Name:            ptr("k2"),
					RoleDescriptors: api.RoleDescriptors{{Name: "r1", Descriptor: api.RoleDescriptor{Cluster: []string{"all"}}}},
				})
			},
			respBody: `{"id":"def","name":"k2","api_key":"sec","encoded":"ZGVmOnNlYw=="}`,
			method:   "POST", path: "/_security/api_key",
			body: `{"name":"k2","role_descriptors":{"r1":{"cluster":["all"],"indices":[],"applications":[],"run_as":[],"metadata":{},"transient_metadata":{"enabled":true}}}}`,
			want: &api.CreateAPIKeyResponse{ID: "def", Name: "k2", APIKey: "sec", Encoded: "ZGVmOnNlYw=="},
		},
		{
			name:     "get all keys",
			call:     func(c *Client) (any, error) { return c.GetAPIKeys(ctx, &api.GetAPIKeysRequest{}) },
			respBody: `{"api_keys":[` + sampleKey + `]}`,
			method:   "GET", path: "/_security/api_key",
			wantCheck: func(t *testing.T, got any) {
				r := got.(*api.GetAPIKeysResponse)
				if len(r.APIKeys) != 1 {
					t.Fatalf("got %d keys, want 1", len(r.APIKeys))
				}
				k := r.APIKeys[0]
				if k.ID != "VuaCfGcBCdbkQm-e5aOx" || k.Name != "k1" || k.Creation != 1700000000000 || *k.Expiration != 1700086400000 || k.Realm != "native" {
					t.Errorf("key = %+v", k)
				}
				if n, ok := k.Metadata.Map()["n"].(json.Number); !ok || n.String() != "12345678901234567" {
					t.Errorf("metadata n = %#v, want the exact json.Number", k.Metadata.Map()["n"])
				}
				if d, ok := k.RoleDescriptors.Get("r1"); !ok || !reflect.DeepEqual(d.Cluster, []string{"all"}) {
					t.Errorf("role descriptors = %+v", k.RoleDescriptors)
				}
			},
		},
		{
			name: "get keys with every filter",
			call: func(c *Client) (any, error) {
				return c.GetAPIKeys(ctx, &api.GetAPIKeysRequest{
					ID: "x", Name: "app-*", Username: "bob", RealmName: "native",
					Owner: true, ActiveOnly: true, WithLimitedBy: true, WithProfileUID: true,
				})
			},
			respBody: `{"api_keys":[]}`,
			method:   "GET", path: "/_security/api_key",
			query: url.Values{
				"id": {"x"}, "name": {"app-*"}, "username": {"bob"}, "realm_name": {"native"},
				"owner": {"true"}, "active_only": {"true"}, "with_limited_by": {"true"}, "with_profile_uid": {"true"},
			},
			want: &api.GetAPIKeysResponse{APIKeys: []api.APIKey{}},
		},
		{
			name:     "get keys with a nil request",
			call:     func(c *Client) (any, error) { return c.GetAPIKeys(ctx, nil) },
			respBody: `{"api_keys":[]}`,
			method:   "GET", path: "/_security/api_key",
			want: &api.GetAPIKeysResponse{APIKeys: []api.APIKey{}},
		},
		{
			name: "invalidate by ids",
			call: func(c *Client) (any, error) {
				return c.InvalidateAPIKeys(ctx, &api.InvalidateAPIKeysRequest{IDs: []string{"a", "b"}})
			},
			respBody: `{"invalidated_api_keys":["a"],"previously_invalidated_api_keys":[],"error_count":1,
				"error_details":[{"type":"security_exception","reason":"Cannot invalidate cross-cluster API key [b]. This requires [manage_security] cluster privilege or higher"}]}`,
			method: "DELETE", path: "/_security/api_key",
			body: `{"ids":["a","b"]}`,
			want: &api.InvalidateAPIKeysResponse{
				InvalidatedAPIKeys: []string{"a"}, PreviouslyInvalidatedAPIKeys: []string{}, ErrorCount: 1,
				ErrorDetails: []*api.Error{{Code: api.Forbidden, Reason: "Cannot invalidate cross-cluster API key [b]. This requires [manage_security] cluster privilege or higher"}},
			},
			wantCheck: nil,
		},
		{
			name: "invalidate owned",
			call: func(c *Client) (any, error) {
				return c.InvalidateAPIKeys(ctx, &api.InvalidateAPIKeysRequest{Owner: true})
			},
			respBody: `{"invalidated_api_keys":[],"previously_invalidated_api_keys":[],"error_count":0}`,
			method:   "DELETE", path: "/_security/api_key",
			body: `{"owner":true}`,
			want: &api.InvalidateAPIKeysResponse{InvalidatedAPIKeys: []string{}, PreviouslyInvalidatedAPIKeys: []string{}},
		},
		{
			name: "authenticate",
			call: func(c *Client) (any, error) { return c.Authenticate(ctx) },
			respBody: `{"username":"api_key_user","roles":[],"full_name":"API key user","email":null,"metadata":{},"enabled":true,
				"authentication_realm":{"name":"_es_api_key","type":"_es_api_key"},"lookup_realm":{"name":"_es_api_key","type":"_es_api_key"},
				"authentication_type":"api_key","api_key":{"id":"VuaCfGcBCdbkQm-e5aOx","name":"my-api-key","managed_by":"elasticsearch"}}`,
			method: "GET", path: "/_security/_authenticate",
			want: &api.AuthenticateResponse{
				Username: "api_key_user", Roles: []string{}, FullName: ptr("API key user"), Metadata: api.Metadata{}, Enabled: true,
				AuthenticationRealm: api.Realm{Name: "_es_api_key", Type: "_es_api_key"},
				LookupRealm:         api.Realm{Name: "_es_api_key", Type: "_es_api_key"},
				AuthenticationType:  "api_key",
				APIKey:              &api.AuthenticatedAPIKey{ID: "VuaCfGcBCdbkQm-e5aOx", Name: "my-api-key", ManagedBy: "elasticsearch"},
			},
		},
		{
			name: "put user with an escaped name",
			call: func(c *Client) (any, error) {
				return c.PutUser(ctx, &api.PutUserRequest{Username: "jo/e", Password: ptr("s3cret!"), Roles: []string{"admin"}})
			},
			respBody: `{"created":true}`,
			method:   "PUT", path: "/_security/user/jo%2Fe",
			body: `{"password":"s3cret!","roles":["admin"]}`,
			want: &api.PutUserResponse{Created: true},
		},
		{
			name:     "get all users",
			call:     func(c *Client) (any, error) { return c.GetUsers(ctx, nil) },
			respBody: `{"alice":{"username":"alice","roles":["admin"],"full_name":null,"email":null,"metadata":{},"enabled":true}}`,
			method:   "GET", path: "/_security/user",
			want: api.GetUsersResponse{"alice": {Username: "alice", Roles: []string{"admin"}, Metadata: api.Metadata{}, Enabled: true}},
		},
		{
			name:     "get named users",
			call:     func(c *Client) (any, error) { return c.GetUsers(ctx, []string{"alice", "b c"}) },
			respBody: `{"alice":{"username":"alice","roles":[],"full_name":"Alice","email":"a@example.com","metadata":{},"enabled":false}}`,
			method:   "GET", path: "/_security/user/alice,b%20c",
			want: api.GetUsersResponse{"alice": {Username: "alice", Roles: []string{}, FullName: ptr("Alice"), Email: ptr("a@example.com"), Metadata: api.Metadata{}}},
		},
		{
			name:     "delete user",
			call:     func(c *Client) (any, error) { return c.DeleteUser(ctx, "alice") },
			respBody: `{"found":true}`,
			method:   "DELETE", path: "/_security/user/alice",
			want: &api.DeleteResponse{Found: true},
		},
		{
			name: "change password",
			call: func(c *Client) (any, error) {
				return nil, c.ChangePassword(ctx, &api.ChangePasswordRequest{Username: "alice", Password: ptr("n3w-pass")})
			},
			respBody: `{}`,
			method:   "POST", path: "/_security/user/alice/_password",
			body: `{"password":"n3w-pass"}`,
		},
		{
			name:     "enable a user",
			call:     func(c *Client) (any, error) { return nil, c.SetUserEnabled(ctx, "alice", true) },
			respBody: `{}`,
			method:   "PUT", path: "/_security/user/alice/_enable",
		},
		{
			name:     "disable a user",
			call:     func(c *Client) (any, error) { return nil, c.SetUserEnabled(ctx, "a/b", false) },
			respBody: `{}`,
			method:   "PUT", path: "/_security/user/a%2Fb/_disable",
		},
		{
			name:     "get user privileges",
			call:     func(c *Client) (any, error) { return c.GetUserPrivileges(ctx) },
			respBody: `{"cluster":["monitor"],"global":[],"indices":[{"names":["logs-*"],"privileges":["read"],"query":["{}"],"allow_restricted_indices":false}],"applications":[],"run_as":[]}`,
			method:   "GET", path: "/_security/user/_privileges",
			want: &api.GetUserPrivilegesResponse{Cluster: []string{"monitor"}, Global: []map[string]any{}, Applications: []api.ApplicationPrivileges{}, RunAs: []string{},
				Indices: []api.UserIndexPrivileges{{Names: []string{"logs-*"}, Privileges: []string{"read"}, Query: []string{"{}"}}}},
		},
		{
			name: "put role",
			call: func(c *Client) (any, error) {
				return c.PutRole(ctx, &api.PutRoleRequest{Name: "key admin", Descriptor: api.RoleDescriptor{
					Cluster: []string{"manage_api_key"}, Description: "manages keys",
				}})
			},
			respBody: `{"role":{"created":true}}`,
			method:   "PUT", path: "/_security/role/key%20admin",
			body: `{"cluster":["manage_api_key"],"indices":[],"applications":[],"run_as":[],"metadata":{},"transient_metadata":{"enabled":true},"description":"manages keys"}`,
			want: func() any {
				r := &api.PutRoleResponse{}
				r.Role.Created = true
				return r
			}(),
		},
		{
			name:     "get all roles",
			call:     func(c *Client) (any, error) { return c.GetRoles(ctx, nil) },
			respBody: `{"viewer":{"cluster":["read_security"],"indices":[],"applications":[],"run_as":[],"metadata":{},"transient_metadata":{"enabled":true}}}`,
			method:   "GET", path: "/_security/role",
			want: api.GetRolesResponse{"viewer": {Cluster: []string{"read_security"}, Indices: []api.IndicesPrivileges{},
				Applications: []api.ApplicationPrivileges{}, RunAs: []string{}, Metadata: api.Metadata{}, TransientMetadata: api.Metadata{{Key: "enabled", Value: true}}}},
		},
		{
			name:     "get named roles",
			call:     func(c *Client) (any, error) { return c.GetRoles(ctx, []string{"a", "b"}) },
			respBody: `{}`,
			method:   "GET", path: "/_security/role/a,b",
			want: api.GetRolesResponse{},
		},
		{
			name:     "delete role",
			call:     func(c *Client) (any, error) { return c.DeleteRole(ctx, "viewer") },
			respBody: `{"found":true}`,
			method:   "DELETE", path: "/_security/role/viewer",
			want: &api.DeleteResponse{Found: true},
		},
		{
			name: "has privileges",
			call: func(c *Client) (any, error) {
				return c.HasPrivileges(ctx, &api.HasPrivilegesRequest{Cluster: []string{"monitor"}})
			},
			respBody: `{"username":"alice","has_all_requested":true}`,
			method:   "POST", path: "/_security/user/_has_privileges",
			body: `{"cluster":["monitor"]}`,
			want: &api.HasPrivilegesResponse{Username: "alice", HasAllRequested: true},
		},
		{
			name: "has privileges of a named user",
			call: func(c *Client) (any, error) {
				return c.HasPrivileges(ctx, &api.HasPrivilegesRequest{Username: "alice", Cluster: []string{"monitor"}})
			},
			respBody: `{"username":"alice","has_all_requested":true}`,
			method:   "POST", path: "/_security/user/alice/_has_privileges",
			body: `{"cluster":["monitor"]}`,
			want: &api.HasPrivilegesResponse{Username: "alice", HasAllRequested: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, srv := newFake(t, reply{status: tt.status, body: tt.respBody})
			c := mustNew(t, Config{URL: srv.URL, UserAgent: "apikeyctl/test"})
			got, err := tt.call(c)
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			r := f.last(t)
			if r.Method != tt.method || r.Path != tt.path {
				t.Errorf("request = %s %s, want %s %s", r.Method, r.Path, tt.method, tt.path)
			}
			q, _ := url.ParseQuery(r.RawQuery)
			if len(q) == 0 {
				q = nil
			}
			if !reflect.DeepEqual(q, tt.query) {
				t.Errorf("query = %v, want %v", q, tt.query)
			}
			if tt.body == "" {
				if r.Body != "" {
					t.Errorf("body = %q, want none", r.Body)
				}
				if ct := r.Header.Get("Content-Type"); ct != "" {
					t.Errorf("Content-Type = %q on a request without a body", ct)
				}
			} else {
				if !sameJSON(t, r.Body, tt.body) {
					t.Errorf("body = %s, want %s", r.Body, tt.body)
				}
				if ct := r.Header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type = %q, want application/json", ct)
				}
			}
			if a := r.Header.Get("Accept"); a != "application/json" {
				t.Errorf("Accept = %q, want application/json", a)
			}
			if ua := r.Header.Get("User-Agent"); ua != "apikeyctl/test" {
				t.Errorf("User-Agent = %q", ua)
			}
			if a := r.Header.Get("Authorization"); a != "" {
				t.Errorf("Authorization = %q without credentials", a)
			}
			switch {
			case tt.wantCheck != nil:
				tt.wantCheck(t, got)
			case tt.want != nil:
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("answer = %#v, want %#v", got, tt.want)
				}
			}
		})
	}
}

func TestCredentials(t *testing.T) {
	tests := []struct {
		name     string
		cfg      Config
		userinfo string // user info to put in the server URL
		want     string // Authorization header
	}{
		{name: "none", want: ""},
		{name: "basic", cfg: Config{Username: "elastic", Password: "pa:ss wörd"}, want: "Basic ZWxhc3RpYzpwYTpzcyB3w7ZyZA=="},
		{name: "api key", cfg: Config{APIKey: "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw=="},
			want: "ApiKey VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw=="},
		{name: "user info in the URL", userinfo: "bob:hunter2@", want: "Basic Ym9iOmh1bnRlcjI="},
		{name: "explicit credentials beat user info", userinfo: "bob:hunter2@", cfg: Config{APIKey: "a2V5"}, want: "ApiKey a2V5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, srv := newFake(t, reply{body: `{"username":"bob"}`})
			cfg := tt.cfg
			cfg.URL = strings.Replace(srv.URL, "http://", "http://"+tt.userinfo, 1)
			c := mustNew(t, cfg)
			if _, err := c.Authenticate(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := f.last(t).Header.Get("Authorization"); got != tt.want {
				t.Errorf("Authorization = %q, want %q", got, tt.want)
			}
			if strings.Contains(c.Target(), "hunter2") {
				t.Errorf("Target() = %q shows the password", c.Target())
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no target", Config{}, "no target"},
		{"two targets", Config{Socket: "/run/apikeyd.sock", URL: "http://localhost:9200"}, "not both"},
		{"bad scheme", Config{URL: "ftp://localhost"}, "scheme must be http or https"},
		{"no host", Config{URL: "http://"}, "no host"},
		{"query", Config{URL: "http://localhost:9200/?pretty"}, "no query"},
		{"two kinds of credentials", Config{URL: "http://localhost", Username: "u", Password: "p", APIKey: "k"}, "one kind of credentials"},
		{"password alone", Config{URL: "http://localhost", Password: "p"}, "without a username"},
		{"missing CA file", Config{URL: "https://localhost", CACertFile: filepath.Join(dir, "missing.pem")}, "read CA certificate"},
		{"CA file without certificates", Config{URL: "https://localhost", CACertFile: notPEM}, "no PEM certificate"},
		{"unparsable URL with a password", Config{URL: "http://bob:hunter2@local host:9200"}, "holds credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New error = %v, want one containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q shows the password", err)
			}
		})
	}
}

func TestNormalNotFound(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		call func(c *Client) (any, error)
		body string
		want any
	}{
		{"get key by unknown id", func(c *Client) (any, error) { return c.GetAPIKeys(ctx, &api.GetAPIKeysRequest{ID: "nope"}) },
			`{"api_keys":[]}`, &api.GetAPIKeysResponse{APIKeys: []api.APIKey{}}},
		{"get unknown users", func(c *Client) (any, error) { return c.GetUsers(ctx, []string{"nobody"}) },
			`{}`, api.GetUsersResponse{}},
		{"get unknown roles", func(c *Client) (any, error) { return c.GetRoles(ctx, []string{"nothing"}) },
			`{}`, api.GetRolesResponse{}},
		{"delete unknown user", func(c *Client) (any, error) { return c.DeleteUser(ctx, "nobody") },
			`{"found":false}`, &api.DeleteResponse{Found: false}},
		{"delete unknown role", func(c *Client) (any, error) { return c.DeleteRole(ctx, "nothing") },
			`{"found":false}`, &api.DeleteResponse{Found: false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, srv := newFake(t, reply{status: http.StatusNotFound, body: tt.body})
			got, err := tt.call(mustNew(t, Config{URL: srv.URL}))
			if err != nil {
				t.Fatalf("a 404 with %s is a normal answer, got error %v", tt.body, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("answer = %#v, want %#v", got, tt.want)
			}
		})
	}
}

const challenge401 = `{"error":{"root_cause":[{"type":"security_exception","reason":"unable to authenticate user [bob] for REST request [/_security/_authenticate]","header":{"WWW-Authenticate":["Basic realm=\"security\", charset=\"UTF-8\"","Bearer realm=\"security\"","ApiKey"]}}],"type":"security_exception","reason":"unable to authenticate user [bob] for REST request [/_security/_authenticate]","header":{"WWW-Authenticate":["Basic realm=\"security\", charset=\"UTF-8\"","Bearer realm=\"security\"","ApiKey"]}},"status":401}`

const parse400 = `{"error":{"root_cause":[{"type":"x_content_parse_exception","reason":"[1:30] [api_key_request] failed to parse field [expiration]"}],"type":"x_content_parse_exception","reason":"[1:30] [api_key_request] failed to parse field [expiration]","caused_by":{"type":"illegal_argument_exception","reason":"failed to parse setting [expiration] with value [1x] as a time value: unit is missing or unrecognized"}},"status":400}`

const forbidden403 = `{"error":{"root_cause":[{"type":"security_exception","reason":"action [cluster:admin/xpack/security/api_key/create] is unauthorized for user [bob] with effective roles [viewer], this action is granted by the cluster privileges [manage_own_api_key,manage_api_key,manage_security,all]"}],"type":"security_exception","reason":"action [cluster:admin/xpack/security/api_key/create] is unauthorized for user [bob] with effective roles [viewer], this action is granted by the cluster privileges [manage_own_api_key,manage_api_key,manage_security,all]"},"status":403}`

func TestNilRequests(t *testing.T) {
	c := mustNew(t, Config{Socket: "/nonexistent.sock"})
	ctx := context.Background()
	for name, call := range map[string]func() error{
		"create":          func() error { _, err := c.CreateAPIKey(ctx, nil); return err },
		"invalidate":      func() error { _, err := c.InvalidateAPIKeys(ctx, nil); return err },
		"put user":        func() error { _, err := c.PutUser(ctx, nil); return err },
		"change password": func() error { return c.ChangePassword(ctx, nil) },
		"put role":        func() error { _, err := c.PutRole(ctx, nil); return err },
	} {
		if err := call(); !errors.Is(err, errNilRequest) {
			t.Errorf("%s: error = %v, want errNilRequest", name, err)
		}
	}
}

func TestUnreachableErrorMessages(t *testing.T) {
	sock := "/run/apikeyd/apikeyd.sock"
	dialErr := func(errno syscall.Errno) error {
		return &net.OpError{Op: "dial", Net: "unix", Err: os.NewSyscallError("connect", errno)}
	}
	tests := []struct {
		name string
		err  *UnreachableError
		want string
	}{
		{"socket missing", &UnreachableError{sock, dialErr(syscall.ENOENT)},
			`cannot reach apikeyd at /run/apikeyd/apikeyd.sock: the socket does not exist; is apikeyd running? Start it with "apikeyd" or choose a target with --db, --socket or --url`},
		{"socket refused", &UnreachableError{sock, dialErr(syscall.ECONNREFUSED)},
			`cannot reach apikeyd at /run/apikeyd/apikeyd.sock: connection refused, nothing is listening on the socket; is apikeyd running? Start it with "apikeyd" or choose a target with --db, --socket or --url`},
		{"socket permission denied", &UnreachableError{sock, dialErr(syscall.EACCES)},
			`cannot reach apikeyd at /run/apikeyd/apikeyd.sock: permission denied; run as a user allowed to use the socket (its owner or group), or choose a target with --db, --socket or --url`},
		{"socket other", &UnreachableError{sock, errors.New("boom")},
			`cannot reach apikeyd at /run/apikeyd/apikeyd.sock: boom; is apikeyd running? Start it with "apikeyd" or choose a target with --db, --socket or --url`},
		{"URL", &UnreachableError{"https://es:9200", errors.New("dial tcp 10.0.0.1:9200: connect: connection refused")},
			`cannot reach https://es:9200: dial tcp 10.0.0.1:9200: connect: connection refused`},
		{"URL with an unknown CA", &UnreachableError{"https://es:9200", &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}},
			`cannot reach https://es:9200: tls: failed to verify certificate: x509: certificate signed by unknown authority; pass the certificate of the CA that signed the server's certificate with --ca-cert FILE, or skip verification with --insecure`},
		{"URL speaking plain HTTP", &UnreachableError{"https://es:9200", http.ErrSchemeMismatch},
			`cannot reach https://es:9200: http: server gave HTTP response to HTTPS client; the server does not speak TLS, use an http:// URL`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("message:\n got %s\nwant %s", got, tt.want)
			}
			if !errors.Is(tt.err, tt.err.Err) {
				t.Error("Unwrap does not reach the cause")
			}
		})
	}
}

func TestInvalidateErrorDetails(t *testing.T) {
	_, srv := newFake(t, reply{body: `{"invalidated_api_keys":[],"previously_invalidated_api_keys":[],"error_count":2,"error_details":[
		{"type":"security_exception","reason":"Cannot invalidate cross-cluster API key [b]. This requires [manage_security] cluster privilege or higher"},
		{"type":"exception","reason":"Error invalidating api key","caused_by":{"type":"illegal_state_exception","reason":"disk full"}}]}`})
	got, err := mustNew(t, Config{URL: srv.URL}).InvalidateAPIKeys(context.Background(), &api.InvalidateAPIKeysRequest{Name: "*"})
	if err != nil {
		t.Fatal(err)
	}
	if got.ErrorCount != 2 || len(got.ErrorDetails) != 2 {
		t.Fatalf("answer = %+v", got)
	}
	if e := got.ErrorDetails[0]; e.Code != api.Forbidden || e.ErrType() != "security_exception" {
		t.Errorf("detail 0 = %v %q: %s", e.Code, e.ErrType(), e.Reason)
	}
	e := got.ErrorDetails[1]
	if e.Code != api.Internal || e.Reason != "Error invalidating api key" || e.Cause == nil ||
		e.Cause.ErrType() != "illegal_state_exception" || e.Cause.Reason != "disk full" {
		t.Errorf("detail 1 = %+v, cause %+v", e, e.Cause)
	}
}
