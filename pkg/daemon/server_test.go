package daemon

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
)

// fakeService answers Authenticate with the caller and lets GetAPIKeys be
// held in flight; any other call panics (and becomes a 500).
type fakeService struct {
	api.Service
	entered chan struct{}
	release chan struct{}
}

func (f *fakeService) Authenticate(ctx context.Context) (*api.AuthenticateResponse, error) {
	sub, ok := auth.SubjectFrom(ctx)
	if !ok {
		return nil, auth.ErrMissingCredentials()
	}
	return &api.AuthenticateResponse{Username: sub.Username, Roles: sub.Roles, Metadata: api.Metadata{}, Enabled: true,
		AuthenticationRealm: sub.Realm, LookupRealm: sub.Realm, AuthenticationType: sub.AuthType}, nil
}

func (f *fakeService) GetAPIKeys(ctx context.Context, _ *api.GetAPIKeysRequest) (*api.GetAPIKeysResponse, error) {
	if f.entered != nil {
		close(f.entered)
		<-f.release
	}
	return &api.GetAPIKeysResponse{APIKeys: []api.APIKey{}}, nil
}

// fakeAuthn knows elastic:changeme.
type fakeAuthn struct{}

func (fakeAuthn) AuthenticateCredential(_ context.Context, cred auth.Credential) (*auth.Subject, error) {
	if cred.Scheme == auth.SchemeBasic && cred.Username == "elastic" && cred.Password == "changeme" {
		return &auth.Subject{Username: "elastic", Roles: []string{"superuser"}, Realm: auth.ReservedRealm, AuthType: auth.AuthTypeRealm}, nil
	}
	return nil, auth.Unauthenticated("unable to authenticate user [" + cred.Username + "] for REST request")
}

func (a fakeAuthn) AuthenticateSecondary(ctx context.Context, header string) (*auth.Subject, error) {
	cred, err := auth.ParseAuthorization(header)
	if err != nil {
		return nil, err
	}
	return a.AuthenticateCredential(ctx, cred)
}

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// running is a server started by startServer.
type running struct {
	srv    *Server
	cancel context.CancelFunc
	// done is closed when Run has returned err.
	done   chan struct{}
	err    error
	log    *syncBuffer
	closed chan struct{}
}

// stop cancels the server and returns what Run returned.
func (r *running) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	select {
	case <-r.done:
		return r.err
	case <-time.After(15 * time.Second):
		t.Fatal("the server did not stop")
	}
	return nil
}

// startServer runs a Server for cfg over svc (a fake backend) or, when svc
// is nil, over the real SQLite backend.
func startServer(t *testing.T, cfg *Config, svc api.Service) *running {
	t.Helper()
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := NewServer(cfg, log, logs)
	r := &running{srv: srv, done: make(chan struct{}), log: logs, closed: make(chan struct{})}
	if svc != nil {
		srv.open = func(context.Context) (*backend, error) {
			return &backend{svc: svc, authn: fakeAuthn{}, close: func() error { close(r.closed); return nil }}, nil
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() {
		r.err = srv.Run(ctx)
		close(r.done)
	}()
	select {
	case <-srv.Ready():
	case <-r.done:
		cancel()
		t.Fatalf("Run: %v\n%s", r.err, logs)
	case <-time.After(15 * time.Second):
		cancel()
		t.Fatal("the server did not become ready")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(15 * time.Second):
		}
	})
	return r
}

func testConfig(t *testing.T) *Config {
	t.Helper()
	dir := shortDir(t)
	c := &Config{
		DataDir:                 dir,
		DB:                      filepath.Join(dir, "apikeys.db"),
		Socket:                  filepath.Join(dir, "apikeyd.sock"),
		Listen:                  "127.0.0.1:0",
		ReadyFile:               filepath.Join(dir, "ready.json"),
		LogLevel:                "debug",
		LogFormat:               "text",
		MaxContentLength:        defaultMaxContentLength,
		ReadTimeout:             defaultReadTimeout,
		IdleTimeout:             defaultIdleTimeout,
		RequestTimeout:          defaultRequestTimeout,
		MaxConnectionsPerClient: defaultMaxConnectionsPerClient,
		FailedAuthLimit:         defaultFailedAuthLimit,
		FailedAuthWindow:        defaultFailedAuthWindow,
	}
	if err := c.parseLimits(); err != nil {
		t.Fatal(err)
	}
	return c
}

// socketClient sends requests over the Unix socket at path.
func socketClient(path string) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
	}}
}

func get(t *testing.T, c *http.Client, url, authz string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("X-Elastic-Product") != "Elasticsearch" {
		t.Errorf("no X-Elastic-Product header")
	}
	var body map[string]any
	data, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(data, &body); err != nil {
		t.Fatalf("body %q: %v", data, err)
	}
	return resp.StatusCode, body
}

const basicElastic = "Basic ZWxhc3RpYzpjaGFuZ2VtZQ==" // elastic:changeme

func currentUserName(t *testing.T) string {
	t.Helper()
	u, err := user.LookupId(strconv.Itoa(os.Geteuid()))
	if err != nil {
		return strconv.Itoa(os.Geteuid())
	}
	return u.Username
}

func TestRunLifecycle(t *testing.T) {
	cfg := testConfig(t)
	svc := &fakeService{entered: make(chan struct{}), release: make(chan struct{})}
	r := startServer(t, cfg, svc)
	addrs := r.srv.Addrs()

	// The actual port is reported: in the log, in Addrs and in the ready file.
	if !strings.HasPrefix(addrs.Addr, "127.0.0.1:") || strings.HasSuffix(addrs.Addr, ":0") {
		t.Fatalf("Addrs().Addr = %q, want the bound port", addrs.Addr)
	}
	if !regexp.MustCompile(`msg="apikeyd listening" socket=\S+ addr=127\.0\.0\.1:\d+ tls=false db=\S+`).MatchString(r.log.String()) {
		t.Errorf("no listening line with the bound address:\n%s", r.log)
	}
	data, err := os.ReadFile(cfg.ReadyFile)
	if err != nil {
		t.Fatal(err)
	}
	var ready Addrs
	if err := json.Unmarshal(data, &ready); err != nil {
		t.Fatal(err)
	}
	if ready.Addr != addrs.Addr || ready.Socket != cfg.Socket || ready.URL != "http://"+addrs.Addr || ready.PID != os.Getpid() {
		t.Errorf("ready file %s does not match %+v", data, addrs)
	}

	tcp := &http.Client{}
	base := "http://" + addrs.Addr
	if code, body := get(t, tcp, base+"/", basicElastic); code != 200 || body["tagline"] != "You Know, for Search" {
		t.Errorf("GET / = %d %v", code, body)
	}
	if code, _ := get(t, tcp, base+"/_security/_authenticate", ""); code != 401 {
		t.Errorf("TCP without credentials = %d, want 401", code)
	}

	// A request in flight when the stop comes is finished, not cut.
	inFlight := make(chan int, 1)
	go func() {
		resp, err := socketClient(cfg.Socket).Get("http://apikeyd/_security/api_key")
		if err != nil {
			inFlight <- -1
			return
		}
		resp.Body.Close()
		inFlight <- resp.StatusCode
	}()
	<-svc.entered
	r.cancel()
	time.Sleep(100 * time.Millisecond)
	close(svc.release)
	if code := <-inFlight; code != 200 {
		t.Errorf("in-flight request ended with %d, want 200", code)
	}
	if err := r.stop(t); err != nil {
		t.Fatalf("Run returned %v", err)
	}
	select {
	case <-r.closed:
	default:
		t.Error("the backend was not closed")
	}
	for _, p := range []string{cfg.Socket, cfg.ReadyFile} {
		if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s left behind: %v", p, err)
		}
	}
	if _, err := net.Dial("tcp", addrs.Addr); err == nil {
		t.Error("the TCP port still accepts connections")
	}
}

func TestPeerCredentials(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skip("no peer credentials on " + runtime.GOOS)
	}
	cfg := testConfig(t)
	r := startServer(t, cfg, &fakeService{})
	sock := socketClient(cfg.Socket)

	code, body := get(t, sock, "http://apikeyd/_security/_authenticate", "")
	if code != 200 {
		t.Fatalf("socket without credentials = %d %v", code, body)
	}
	realm, _ := body["authentication_realm"].(map[string]any)
	if body["username"] != currentUserName(t) || realm["name"] != "os" {
		t.Errorf("peer subject = %v, want %s in realm os", body, currentUserName(t))
	}
	// Credentials, when given, win over the peer.
	if code, body := get(t, sock, "http://apikeyd/_security/_authenticate", basicElastic); code != 200 || body["username"] != "elastic" {
		t.Errorf("socket with credentials = %d %v", code, body)
	}
	if code, _ := get(t, sock, "http://apikeyd/_security/_authenticate", "Basic bm9ib2R5Om5vcGU="); code != 401 {
		t.Errorf("socket with wrong credentials = %d, want 401", code)
	}
	// The peer counts only on the socket.
	if code, _ := get(t, &http.Client{}, "http://"+r.srv.Addrs().Addr+"/_security/_authenticate", ""); code != 401 {
		t.Errorf("TCP without credentials = %d, want 401", code)
	}
}

func TestPeerAuth(t *testing.T) {
	self := os.Geteuid()
	other := 4242
	if self == other {
		other++
	}
	tests := []struct {
		name     string
		cred     *peerCred
		wantUser string
		wantErr  string
	}{
		{name: "no peer credentials (TCP)"},
		{name: "root", cred: &peerCred{uid: 0}, wantUser: "root"},
		{name: "the daemon's own user", cred: &peerCred{uid: self}, wantUser: currentUserName(t)},
		{name: "another user", cred: &peerCred{uid: other},
			wantErr: "unix socket peer uid " + strconv.Itoa(other) + " is not allowed; authenticate with a user or an API key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.wantUser == "root" {
				if u, err := user.LookupId("0"); err != nil || u.Username != "root" {
					t.Skip("uid 0 is not named root here")
				}
			}
			req, _ := http.NewRequest("GET", "/", nil)
			if tt.cred != nil {
				req = req.WithContext(context.WithValue(req.Context(), peerKey{}, *tt.cred))
			}
			sub, aerr := newPeerAuth(self).subject(req)
			switch {
			case tt.wantErr != "":
				if aerr == nil || aerr.Reason != tt.wantErr || aerr.Code != api.Unauthenticated || len(aerr.Header["WWW-Authenticate"]) == 0 {
					t.Errorf("error = %+v, want 401 %q with challenges", aerr, tt.wantErr)
				}
			case tt.wantUser == "":
				if sub != nil || aerr != nil {
					t.Errorf("got %+v %+v, want nothing", sub, aerr)
				}
			default:
				if aerr != nil || sub == nil || sub.Username != tt.wantUser || sub.Realm != auth.OSRealm {
					t.Errorf("got %+v %+v, want %s in realm os", sub, aerr, tt.wantUser)
				}
			}
		})
	}
}

func TestRunRefusesALiveSocket(t *testing.T) {
	cfg := testConfig(t)
	startServer(t, cfg, &fakeService{})

	second := *cfg
	second.Listen = ""
	second.ReadyFile = ""
	srv := NewServer(&second, slog.New(slog.DiscardHandler), io.Discard)
	srv.open = func(context.Context) (*backend, error) {
		return &backend{svc: &fakeService{}, authn: fakeAuthn{}, close: func() error { return nil }}, nil
	}
	err := srv.Run(context.Background())
	var inUse *SocketInUseError
	if !errors.As(err, &inUse) {
		t.Fatalf("second daemon: %v, want SocketInUseError", err)
	}
	if _, err := os.Lstat(cfg.Socket); err != nil {
		t.Errorf("the live socket was removed: %v", err)
	}
}

func TestRunClosesTheSocketWhenTCPFails(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cfg := testConfig(t)
	cfg.Listen = l.Addr().String()
	srv := NewServer(cfg, slog.New(slog.DiscardHandler), io.Discard)
	opened := false
	srv.open = func(context.Context) (*backend, error) {
		opened = true
		return &backend{svc: &fakeService{}, authn: fakeAuthn{}, close: func() error { return nil }}, nil
	}
	if err := srv.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "listen on") {
		t.Fatalf("Run = %v, want a listen error", err)
	}
	if _, err := os.Lstat(cfg.Socket); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("socket left behind: %v", err)
	}
	if opened {
		t.Error("the database was opened although the daemon could not listen")
	}
}

func TestBootstrapPasswordBox(t *testing.T) {
	var b bytes.Buffer
	printBootstrapPassword(&b, "elastic", "pa55word")
	want := `+--------------------------------------------------------------+
| The bootstrap superuser 'elastic' was created with password: |
|                                                              |
|     pa55word                                                 |
|                                                              |
| Store it now; it is not shown again.                         |
+--------------------------------------------------------------+
`
	if b.String() != want {
		t.Errorf("box =\n%s\nwant\n%s", b.String(), want)
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key as PEM files.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "apikeyd test"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestRunTLS(t *testing.T) {
	cfg := testConfig(t)
	cfg.Socket = ""
	var pool *x509.CertPool
	cfg.TLSCert, cfg.TLSKey, pool = selfSigned(t, cfg.DataDir)
	r := startServer(t, cfg, &fakeService{})
	addrs := r.srv.Addrs()
	if !addrs.TLS || addrs.URL != "https://"+addrs.Addr {
		t.Fatalf("Addrs() = %+v, want TLS", addrs)
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	if code, body := get(t, c, addrs.URL+"/_security/_authenticate", basicElastic); code != 200 || body["username"] != "elastic" {
		t.Errorf("over TLS = %d %v", code, body)
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
}

func TestRunBadCertificate(t *testing.T) {
	cfg := testConfig(t)
	cfg.TLSCert = writeFile(t, "cert.pem", "not a certificate")
	cfg.TLSKey = writeFile(t, "key.pem", "not a key")
	srv := NewServer(cfg, slog.New(slog.DiscardHandler), io.Discard)
	srv.open = func(context.Context) (*backend, error) {
		t.Error("the backend was opened despite a bad certificate")
		return nil, errors.New("unreachable")
	}
	if err := srv.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "load the TLS certificate") {
		t.Fatalf("Run = %v", err)
	}
	if _, err := os.Lstat(cfg.Socket); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("socket created despite a bad certificate")
	}
}
