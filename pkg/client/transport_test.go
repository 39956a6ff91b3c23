package client

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// shortTempDir makes a directory whose path is short enough for a socket.
func shortTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ak")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

func TestUnixSocket(t *testing.T) {
	sock := filepath.Join(shortTempDir(t), "apikeyd.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeES{reply: reply{body: `{"username":"me","roles":["superuser"],"authentication_realm":{"name":"os","type":"os"}}`}}
	srv := &http.Server{Handler: f, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	c := mustNew(t, Config{Socket: sock})
	got, err := c.Authenticate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got.Username != "me" || got.AuthenticationRealm.Name != "os" {
		t.Errorf("answer = %+v", got)
	}
	r := f.last(t)
	if r.Host != SocketHost || r.Path != "/_security/_authenticate" {
		t.Errorf("request = host %q path %q", r.Host, r.Path)
	}
	if a := r.Header.Get("Authorization"); a != "" {
		t.Errorf("Authorization = %q, want none over the socket without credentials", a)
	}
	if c.Target() != sock {
		t.Errorf("Target() = %q, want %q", c.Target(), sock)
	}
}

func TestUnreachableSocket(t *testing.T) {
	dir := shortTempDir(t)
	tests := []struct {
		name  string
		setup func(t *testing.T) string // returns the socket path
		is    error
		want  string
	}{
		{
			name:  "no such file",
			setup: func(t *testing.T) string { return filepath.Join(dir, "missing.sock") },
			is:    fs.ErrNotExist,
			want:  "the socket does not exist; is apikeyd running? " + socketAdvice,
		},
		{
			name: "connection refused",
			setup: func(t *testing.T) string {
				sock := filepath.Join(dir, "stale.sock")
				ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
				if err != nil {
					t.Fatal(err)
				}
				ln.SetUnlinkOnClose(false)
				_ = ln.Close()
				return sock
			},
			is:   syscall.ECONNREFUSED,
			want: "connection refused, nothing is listening on the socket; is apikeyd running? " + socketAdvice,
		},
		{
			name: "permission denied",
			setup: func(t *testing.T) string {
				if os.Geteuid() == 0 {
					t.Skip("root ignores file permissions")
				}
				sock := filepath.Join(dir, "private.sock")
				ln, err := net.Listen("unix", sock)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = ln.Close() })
				if err := os.Chmod(sock, 0); err != nil {
					t.Fatal(err)
				}
				return sock
			},
			is:   fs.ErrPermission,
			want: "permission denied; run as a user allowed to use the socket",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sock := tt.setup(t)
			_, err := mustNew(t, Config{Socket: sock}).Authenticate(context.Background())
			var ue *UnreachableError
			if !errors.As(err, &ue) {
				t.Fatalf("error = %v (%T), want *UnreachableError", err, err)
			}
			if ue.Target != sock || !errors.Is(err, tt.is) {
				t.Errorf("target %q, cause %v; want %q, %v", ue.Target, ue.Err, sock, tt.is)
			}
			wantPrefix := "cannot reach apikeyd at " + sock + ": "
			if msg := err.Error(); !strings.HasPrefix(msg, wantPrefix) || !strings.Contains(msg, tt.want) {
				t.Errorf("message = %q, want %q + %q", msg, wantPrefix, tt.want)
			}
		})
	}
}

func TestUnreachableURL(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()

	tests := []struct {
		name string
		cfg  Config
	}{
		{"no credentials", Config{URL: "http://" + addr}},
		{"password in the URL", Config{URL: "http://bob:hunter2@" + addr}},
		{"password", Config{URL: "http://" + addr, Username: "bob", Password: "hunter2"}},
		{"API key", Config{URL: "http://" + addr, APIKey: "hunter2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustNew(t, tt.cfg)
			_, err := c.GetAPIKeys(context.Background(), &api.GetAPIKeysRequest{})
			var ue *UnreachableError
			if !errors.As(err, &ue) {
				t.Fatalf("error = %v (%T), want *UnreachableError", err, err)
			}
			if !errors.Is(err, syscall.ECONNREFUSED) {
				t.Errorf("cause = %v, want connection refused", ue.Err)
			}
			want := "cannot reach http://" + addr + ": "
			if !strings.HasPrefix(err.Error(), want) {
				t.Errorf("message = %q, want it to start with %q", err, want)
			}
			for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err), c.String(), fmt.Sprintf("%v %+v %#v", c, c, c)} {
				if strings.Contains(s, "hunter2") {
					t.Errorf("%q shows the secret", s)
				}
			}
		})
	}
}

func TestTLS(t *testing.T) {
	f := &fakeES{reply: reply{body: `{"username":"elastic"}`}}
	srv := httptest.NewUnstartedServer(f)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // failed handshakes are the point
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(ca, data, 0o600); err != nil {
		t.Fatal(err)
	}
	_, plain := newFake(t, reply{body: `{}`})

	tests := []struct {
		name string
		cfg  Config
		want string // "" means success; else the UnreachableError must contain it
	}{
		{"CA file", Config{URL: srv.URL, CACertFile: ca}, ""},
		{"insecure", Config{URL: srv.URL, Insecure: true}, ""},
		{"unknown authority", Config{URL: srv.URL}, "pass the certificate of the CA that signed the server's certificate with --ca-cert FILE, or skip verification with --insecure"},
		{"wrong host name", Config{URL: strings.Replace(srv.URL, "127.0.0.1", "localhost", 1), CACertFile: ca}, "--ca-cert FILE, or skip verification with --insecure"},
		{"https to a plain server", Config{URL: strings.Replace(plain.URL, "http://", "https://", 1)}, "the server does not speak TLS, use an http:// URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mustNew(t, tt.cfg).Authenticate(context.Background())
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ue *UnreachableError
			if !errors.As(err, &ue) {
				t.Fatalf("error = %v (%T), want *UnreachableError", err, err)
			}
			if !strings.HasPrefix(err.Error(), "cannot reach "+ue.Target+": ") || !strings.HasSuffix(err.Error(), tt.want) {
				t.Errorf("message = %q, want it to end with %q", err, tt.want)
			}
		})
	}
}

func TestContextCancellation(t *testing.T) {
	arrived := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)

	t.Run("cancelled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			<-arrived
			cancel()
		}()
		_, err := mustNew(t, Config{URL: srv.URL}).Authenticate(ctx)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("error = %v, want context.Canceled", err)
		}
	})
	t.Run("already cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := mustNew(t, Config{Socket: "/nonexistent/apikeyd.sock"}).Authenticate(ctx)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("error = %v, want context.Canceled", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		go func() { <-arrived }()
		_, err := mustNew(t, Config{URL: srv.URL, Timeout: 50 * time.Millisecond}).Authenticate(context.Background())
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() || !strings.Contains(err.Error(), "no answer in time") {
			t.Fatalf("error = %v, want a timeout", err)
		}
	})
}

// pipeListener serves in-memory connections made by its Dial.
type pipeListener struct {
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
	dials  chan string
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), closed: make(chan struct{}), dials: make(chan string, 10)}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return &net.UnixAddr{Name: "pipe", Net: "unix"} }

func (l *pipeListener) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	l.dials <- network + " " + addr
	server, client := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.closed:
		return nil, errors.New("pipe listener closed")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func TestDialContextPipe(t *testing.T) {
	ln := newPipeListener()
	f := &fakeES{reply: reply{body: `{"found":true}`}}
	srv := &http.Server{Handler: f, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	c := mustNew(t, Config{Socket: "/run/apikeyd/apikeyd.sock", APIKey: "a2V5", DialContext: ln.Dial})
	got, err := c.DeleteRole(context.Background(), "r")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Found {
		t.Errorf("answer = %+v", got)
	}
	if d := <-ln.dials; d != "unix /run/apikeyd/apikeyd.sock" {
		t.Errorf("dialed %q, want the socket", d)
	}
	if a := f.last(t).Header.Get("Authorization"); a != "ApiKey a2V5" {
		t.Errorf("Authorization = %q", a)
	}

	_ = ln.Close()
	_ = c.Close()
	_, err = c.DeleteRole(context.Background(), "r")
	var ue *UnreachableError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "pipe listener closed") {
		t.Errorf("error = %v, want *UnreachableError from the dialer", err)
	}
}
