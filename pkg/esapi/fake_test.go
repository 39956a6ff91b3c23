package esapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
)

// fakeService records the calls it gets and answers with canned values.
type fakeService struct {
	mu     sync.Mutex
	method string
	arg    any
	sub    *auth.Subject

	err        error
	panicWith  any
	apiKeys    []api.APIKey
	users      api.GetUsersResponse
	roles      api.GetRolesResponse
	notFound   bool
	createResp *api.CreateAPIKeyResponse
}

var _ api.Service = (*fakeService)(nil)

func (f *fakeService) record(ctx context.Context, method string, arg any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.method, f.arg = method, arg
	f.sub, _ = auth.SubjectFrom(ctx)
	if f.panicWith != nil {
		panic(f.panicWith)
	}
	return f.err
}

func (f *fakeService) CreateAPIKey(ctx context.Context, req *api.CreateAPIKeyRequest) (*api.CreateAPIKeyResponse, error) {
	if err := f.record(ctx, "CreateAPIKey", req); err != nil {
		return nil, err
	}
	if f.createResp != nil {
		return f.createResp, nil
	}
	return &api.CreateAPIKeyResponse{ID: "id1", Name: *req.Name, APIKey: "secret", Encoded: "ZW5j"}, nil
}

func (f *fakeService) GetAPIKeys(ctx context.Context, req *api.GetAPIKeysRequest) (*api.GetAPIKeysResponse, error) {
	if err := f.record(ctx, "GetAPIKeys", req); err != nil {
		return nil, err
	}
	return &api.GetAPIKeysResponse{APIKeys: f.apiKeys}, nil
}

func (f *fakeService) InvalidateAPIKeys(ctx context.Context, req *api.InvalidateAPIKeysRequest) (*api.InvalidateAPIKeysResponse, error) {
	if err := f.record(ctx, "InvalidateAPIKeys", req); err != nil {
		return nil, err
	}
	return &api.InvalidateAPIKeysResponse{InvalidatedAPIKeys: req.IDs}, nil
}

func (f *fakeService) Authenticate(ctx context.Context) (*api.AuthenticateResponse, error) {
	if err := f.record(ctx, "Authenticate", nil); err != nil {
		return nil, err
	}
	sub, _ := auth.SubjectFrom(ctx)
	return &api.AuthenticateResponse{Username: sub.Username, Roles: sub.Roles, Metadata: api.Metadata{}, Enabled: true,
		AuthenticationRealm: sub.Realm, LookupRealm: sub.Realm, AuthenticationType: sub.AuthType}, nil
}

func (f *fakeService) PutUser(ctx context.Context, req *api.PutUserRequest) (*api.PutUserResponse, error) {
	if err := f.record(ctx, "PutUser", req); err != nil {
		return nil, err
	}
	return &api.PutUserResponse{Created: true}, nil
}

func (f *fakeService) GetUsers(ctx context.Context, names []string) (api.GetUsersResponse, error) {
	if err := f.record(ctx, "GetUsers", names); err != nil {
		return nil, err
	}
	return f.users, nil
}

func (f *fakeService) DeleteUser(ctx context.Context, username string) (*api.DeleteResponse, error) {
	if err := f.record(ctx, "DeleteUser", username); err != nil {
		return nil, err
	}
	return &api.DeleteResponse{Found: !f.notFound}, nil
}

func (f *fakeService) ChangePassword(ctx context.Context, req *api.ChangePasswordRequest) error {
	return f.record(ctx, "ChangePassword", req)
}

func (f *fakeService) SetUserEnabled(ctx context.Context, username string, enabled bool) error {
	return f.record(ctx, "SetUserEnabled", map[string]any{"username": username, "enabled": enabled})
}

func (f *fakeService) GetUserPrivileges(ctx context.Context) (*api.GetUserPrivilegesResponse, error) {
	if err := f.record(ctx, "GetUserPrivileges", nil); err != nil {
		return nil, err
	}
	return &api.GetUserPrivilegesResponse{Cluster: []string{"all"}, Global: []map[string]any{}, Indices: []api.UserIndexPrivileges{}, Applications: []api.ApplicationPrivileges{}, RunAs: []string{}}, nil
}

func (f *fakeService) PutRole(ctx context.Context, req *api.PutRoleRequest) (*api.PutRoleResponse, error) {
	if err := f.record(ctx, "PutRole", req); err != nil {
		return nil, err
	}
	resp := &api.PutRoleResponse{}
	resp.Role.Created = true
	return resp, nil
}

func (f *fakeService) GetRoles(ctx context.Context, names []string) (api.GetRolesResponse, error) {
	if err := f.record(ctx, "GetRoles", names); err != nil {
		return nil, err
	}
	return f.roles, nil
}

func (f *fakeService) DeleteRole(ctx context.Context, name string) (*api.DeleteResponse, error) {
	if err := f.record(ctx, "DeleteRole", name); err != nil {
		return nil, err
	}
	return &api.DeleteResponse{Found: !f.notFound}, nil
}

func (f *fakeService) GetToken(ctx context.Context, req *api.GetTokenRequest) (*api.GetTokenResponse, error) {
	if err := f.record(ctx, "GetToken", req); err != nil {
		return nil, err
	}
	return &api.GetTokenResponse{AccessToken: "access", Type: api.TokenType, ExpiresIn: 1200, RefreshToken: "refresh",
		Authentication: api.AuthenticateResponse{Username: "bob", Roles: []string{}, Metadata: api.Metadata{}, Enabled: true,
			AuthenticationRealm: auth.NativeRealm, LookupRealm: auth.NativeRealm, AuthenticationType: auth.AuthTypeRealm}}, nil
}

func (f *fakeService) InvalidateToken(ctx context.Context, req *api.InvalidateTokenRequest) (*api.InvalidateTokenResponse, error) {
	if err := f.record(ctx, "InvalidateToken", req); err != nil {
		return nil, err
	}
	if f.notFound {
		return &api.InvalidateTokenResponse{}, nil
	}
	return &api.InvalidateTokenResponse{InvalidatedTokens: 1}, nil
}

// fakeAuthn knows the user elastic:changeme and the API key k1:s1.
type fakeAuthn struct{ err error }

func (a fakeAuthn) AuthenticateCredential(_ context.Context, cred auth.Credential) (*auth.Subject, error) {
	if a.err != nil {
		return nil, a.err
	}
	switch {
	case cred.Scheme == auth.SchemeBasic && cred.Username == "elastic" && cred.Password == "changeme":
		return &auth.Subject{Username: "elastic", Roles: []string{"superuser"}, Realm: auth.ReservedRealm, AuthType: auth.AuthTypeRealm}, nil
	case cred.Scheme == auth.SchemeAPIKey && cred.KeyID == "k1" && cred.KeySecret == "s1":
		return &auth.Subject{Username: "elastic", Realm: auth.APIKeyRealm, AuthType: auth.AuthTypeAPIKey,
			APIKey: &auth.KeyIdentity{ID: "k1", Name: "key one"}}, nil
	case cred.Scheme == auth.SchemeBasic:
		return nil, auth.Unauthenticated("unable to authenticate user [" + cred.Username + "] for REST request")
	}
	return nil, auth.Unauthenticated("unable to authenticate with provided credentials and anonymous access is not allowed for this request")
}

// AuthenticateSecondary authenticates the header as a primary credential;
// the rules around it are the key service's.
func (a fakeAuthn) AuthenticateSecondary(ctx context.Context, header string) (*auth.Subject, error) {
	cred, err := auth.ParseAuthorization(header)
	if err != nil {
		return nil, err
	}
	return a.AuthenticateCredential(ctx, cred)
}

var (
	basicElastic = "Basic " + base64.StdEncoding.EncodeToString([]byte("elastic:changeme"))
	apiKeyK1     = "ApiKey " + base64.StdEncoding.EncodeToString([]byte("k1:s1"))
)

// harness is a handler over fakes with its log captured.
type harness struct {
	svc *fakeService
	h   http.Handler
	log *bytes.Buffer
}

func newHarness(t *testing.T, mod func(*Config)) *harness {
	t.Helper()
	var buf bytes.Buffer
	svc := &fakeService{}
	cfg := Config{
		Service:       svc,
		Authenticator: fakeAuthn{},
		Logger:        slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Info:          ClusterInfo{Name: "node-1", ClusterName: "apikeyd", ClusterUUID: "uuid-1"},
	}
	if mod != nil {
		mod(&cfg)
	}
	if s, ok := cfg.Service.(*fakeService); ok {
		svc = s
	}
	return &harness{svc: svc, h: NewHandler(cfg), log: &buf}
}

// req describes a request; Authorization defaults to the elastic user.
type req struct {
	method  string
	target  string
	body    string
	headers map[string]string
	noAuth  bool
}

func (h *harness) do(t *testing.T, rq req) *httptest.ResponseRecorder {
	t.Helper()
	var body io.Reader
	if rq.body != "" {
		body = strings.NewReader(rq.body)
	}
	r := httptest.NewRequest(rq.method, rq.target, body)
	if rq.body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	if !rq.noAuth {
		r.Header.Set("Authorization", basicElastic)
	}
	for k, v := range rq.headers {
		if v == "" {
			r.Header.Del(k)
			continue
		}
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.h.ServeHTTP(w, r)
	checkCommonHeaders(t, w)
	return w
}

// serve serves rq on a fresh harness, after setup (when set) has prepared
// its fake service, and fails the test unless the status is wantStatus.
func serve(t *testing.T, setup func(*fakeService), rq req, wantStatus int) (*harness, *httptest.ResponseRecorder) {
	t.Helper()
	h := newHarness(t, nil)
	if setup != nil {
		setup(h.svc)
	}
	w := h.do(t, rq)
	if w.Code != wantStatus {
		t.Fatalf("status = %d, want %d; body %s", w.Code, wantStatus, w.Body)
	}
	return h, w
}

// checkCall fails the test unless the fake service was called as method,
// with arg unless arg is nil.
func (h *harness) checkCall(t *testing.T, method string, arg any) {
	t.Helper()
	if h.svc.method != method {
		t.Fatalf("called %q, want %q", h.svc.method, method)
	}
	if arg != nil && !reflect.DeepEqual(h.svc.arg, arg) {
		t.Errorf("argument = %#v, want %#v", h.svc.arg, arg)
	}
}

// checkCommonHeaders asserts what every response carries.
func checkCommonHeaders(t *testing.T, w *httptest.ResponseRecorder) {
	t.Helper()
	if got := w.Header().Get("X-Elastic-Product"); got != "Elasticsearch" {
		t.Errorf("X-Elastic-Product = %q, want Elasticsearch", got)
	}
	if got := w.Header().Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", got)
	}
	if w.Code == 502 || w.Code == 503 || w.Code == 504 {
		t.Errorf("status %d must never be answered", w.Code)
	}
}

var errBoom = errors.New("sqlite: disk I/O error at /secret/path")

// XPackUsage checks the request's parameters as the key service does and
// answers an empty security usage.
func (f *fakeService) XPackUsage(ctx context.Context, req *api.XPackUsageRequest) (*api.XPackUsageResponse, error) {
	if err := req.Check(); err != nil {
		return nil, err
	}
	if err := f.record(ctx, "XPackUsage", req); err != nil {
		return nil, err
	}
	return &api.XPackUsageResponse{Security: api.SecurityUsage{Available: true, Enabled: true}}, nil
}

// ClusterHealth checks the request's parameters as the key service does,
// before anything else, so that the handler's tests see their 400s.
func (f *fakeService) ClusterHealth(ctx context.Context, req *api.ClusterHealthRequest) (*api.ClusterHealthResponse, error) {
	if err := req.Check(); err != nil {
		return nil, err
	}
	if err := f.record(ctx, "ClusterHealth", req); err != nil {
		return nil, err
	}
	return &api.ClusterHealthResponse{Status: api.HealthGreen, NumberOfNodes: 1, NumberOfDataNodes: 1, ActiveShardsPercentAsNumber: 100}, nil
}
