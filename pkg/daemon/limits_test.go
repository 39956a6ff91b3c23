package daemon

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// rawRequest sends head (a request line and headers, without the blank
// line) and then body on a new TCP connection to addr, and returns the
// connection and a reader of its responses.
func rawRequest(t *testing.T, addr, head, body string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	// A failure guard only: every wait below ends on the server's doing.
	c.SetDeadline(time.Now().Add(60 * time.Second))
	// A write error is no failure: the server may have closed the
	// connection already, which the read then sees.
	_, _ = io.WriteString(c, head+"\r\n\r\n"+body)
	return c, bufio.NewReader(c)
}

// readResponse reads one response and its body.
func readResponse(t *testing.T, br *bufio.Reader) (*http.Response, string) {
	t.Helper()
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp, string(data)
}

// expectClosed fails unless the server closes the connection.
func expectClosed(t *testing.T, br *bufio.Reader) {
	t.Helper()
	if _, err := br.ReadByte(); err != io.EOF && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("the connection is still open (read: %v), want it closed", err)
	}
}

// TestBodiesAfterAuthentication: a request body is read only once the
// caller is authenticated, and within the size limit: the answer to an
// unauthenticated or oversized request comes before its body is sent, and
// its connection is closed rather than drained.
func TestBodiesAfterAuthentication(t *testing.T) {
	cfg := testConfig(t)
	cfg.MaxContentLength = "1kb"
	if err := cfg.parseLimits(); err != nil {
		t.Fatal(err)
	}
	r := startServer(t, cfg, &fakeService{})
	addr := r.srv.Addrs().Addr
	for _, c := range []struct {
		name, authz string
		length      int
		status      int
		reason      string
	}{
		{name: "no credentials, large body", length: 9 << 20, status: 401, reason: "missing authentication credentials"},
		{name: "wrong credentials", authz: "Basic ZWxhc3RpYzp3cm9uZw==", length: 100000, status: 401, reason: "unable to authenticate user [elastic]"},
		{name: "authenticated, over the limit", authz: basicElastic, length: 1025, status: 413, reason: "exceeds the limit of [1024] bytes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			head := fmt.Sprintf("POST /_security/api_key HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: %d", c.length)
			if c.authz != "" {
				head += "\r\nAuthorization: " + c.authz
			}
			// Only the headers are sent: the answer cannot wait for the body.
			_, br := rawRequest(t, addr, head, "")
			resp, body := readResponse(t, br)
			if resp.StatusCode != c.status || !strings.Contains(body, c.reason) || !strings.Contains(body, `"status":`) {
				t.Fatalf("got %d %s, want %d with %q in the envelope", resp.StatusCode, body, c.status, c.reason)
			}
			expectClosed(t, br)
		})
	}
}

// TestSlowBodyCutOff: a client that sends its body slower than the read
// timeout allows loses its connection, with credentials or without.
func TestSlowBodyCutOff(t *testing.T) {
	cfg := testConfig(t)
	cfg.ReadTimeout = "1s"
	if err := cfg.parseLimits(); err != nil {
		t.Fatal(err)
	}
	r := startServer(t, cfg, &fakeService{})
	addr := r.srv.Addrs().Addr
	for _, c := range []struct{ name, authz string }{
		{name: "no credentials"},
		{name: "authenticated", authz: "\r\nAuthorization: " + basicElastic},
	} {
		t.Run(c.name, func(t *testing.T) {
			head := "POST /_security/api_key HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100000" + c.authz
			_, br := rawRequest(t, addr, head, "{")
			// Whatever the answer (401, or 408 once the timeout cut the
			// body off), the connection ends; the client never sends more.
			for {
				if _, err := br.ReadByte(); err != nil {
					if err != io.EOF {
						t.Fatalf("read: %v, want the server to close the connection", err)
					}
					return
				}
			}
		})
	}
}

// TestConnectionsPerClient: past its bound, a client's new connections
// are closed at once; the connections it has are served.
func TestConnectionsPerClient(t *testing.T) {
	cfg := testConfig(t)
	cfg.MaxConnectionsPerClient = 2
	if err := cfg.parseLimits(); err != nil {
		t.Fatal(err)
	}
	r := startServer(t, cfg, &fakeService{})
	addr := r.srv.Addrs().Addr
	head := "GET /_security/_authenticate HTTP/1.1\r\nHost: localhost\r\nAuthorization: " + basicElastic
	var held []net.Conn
	for i := range 2 {
		c, br := rawRequest(t, addr, head, "")
		if resp, body := readResponse(t, br); resp.StatusCode != 200 {
			t.Fatalf("connection %d: %d %s", i, resp.StatusCode, body)
		}
		held = append(held, c)
	}
	_, br := rawRequest(t, addr, head, "")
	expectClosed(t, br)

	// A connection given back makes room (once the server has seen it
	// closed: try until it has, the deadline a failure guard).
	held[0].Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, br := rawRequest(t, addr, head, "")
		if resp, err := http.ReadResponse(br, nil); err == nil {
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("after a close: %d", resp.StatusCode)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no connection accepted after one was closed")
		}
	}
}

// TestLoopbackHostCheck: on a loopback listener only loopback host names
// are served (DNS rebinding), unless allowed; the Unix socket is not
// concerned.
func TestLoopbackHostCheck(t *testing.T) {
	for _, c := range []struct {
		name    string
		allowed []string
		host    string
		socket  bool
		status  int
	}{
		{name: "localhost", host: "localhost:9200", status: 200},
		{name: "loopback address", host: "127.0.0.1:9200", status: 200},
		{name: "loopback IPv6", host: "[::1]:9200", status: 200},
		{name: "a .localhost name", host: "apikeyd.localhost", status: 200},
		{name: "foreign name", host: "evil.example", status: 403},
		{name: "foreign name with a port", host: "evil.example:9200", status: 403},
		{name: "foreign address", host: "10.1.2.3", status: 403},
		{name: "allowed name", allowed: []string{"keys.internal"}, host: "keys.internal:443", status: 200},
		{name: "allowed domain", allowed: []string{"*.corp.example"}, host: "keys.corp.example", status: 200},
		{name: "outside the allowed domain", allowed: []string{"*.corp.example"}, host: "corp.example.evil", status: 403},
		{name: "any name allowed", allowed: []string{"*"}, host: "evil.example", status: 200},
		{name: "socket", host: "evil.example", socket: true, status: 200},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.AllowedHosts = c.allowed
			r := startServer(t, cfg, &fakeService{})
			client, base := &http.Client{}, "http://"+r.srv.Addrs().Addr
			if c.socket {
				client, base = socketClient(cfg.Socket), "http://apikeyd"
			}
			req, err := http.NewRequest("GET", base+"/_security/_authenticate", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Host = c.host
			req.Header.Set("Authorization", basicElastic)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.status {
				t.Fatalf("Host %s: %d %s, want %d", c.host, resp.StatusCode, data, c.status)
			}
			if c.status == 403 && !strings.Contains(string(data), "--allowed-hosts") {
				t.Errorf("the refusal does not say how to allow the name: %s", data)
			}
		})
	}
}

// slowService works on an invalidation until its request's context ends.
type slowService struct{ fakeService }

func (slowService) InvalidateAPIKeys(ctx context.Context, _ *api.InvalidateAPIKeysRequest) (*api.InvalidateAPIKeysResponse, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestRequestTimeout: a request still working at --request-timeout is
// cancelled and answered 503 timeout_exception.
func TestRequestTimeout(t *testing.T) {
	cfg := testConfig(t)
	cfg.RequestTimeout = "200ms"
	if err := cfg.parseLimits(); err != nil {
		t.Fatal(err)
	}
	r := startServer(t, cfg, &slowService{})
	code, body := do(t, &http.Client{}, "DELETE", "http://"+r.srv.Addrs().Addr+"/_security/api_key", basicElastic, `{"ids":["a"]}`)
	errObj, _ := body["error"].(map[string]any)
	if code != 503 || errObj["type"] != "timeout_exception" || !strings.Contains(fmt.Sprint(errObj["reason"]), "did not finish within [200ms]") {
		t.Fatalf("got %d %v", code, body)
	}
}
