//go:build unix

package main

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestSIGTERMUnderLoad stops apikeyd with SIGTERM while creates stream
// in from several goroutines, at a random count of acknowledged creates,
// and restarts it, round after round. apikeyd exits 0; a request it had
// begun before the signal (one whose body it was waiting for) is
// answered; every acknowledged create survives the restart; and a create
// that got no answer left nothing behind, so no request was dropped after
// apikeyd had acted on it.
func TestSIGTERMUnderLoad(t *testing.T) {
	const (
		rounds   = 3
		creators = 4
	)
	rng := testSeed(t)
	dir := shortTempDir(t)
	var acked []createdKey
	var unanswered []string
	for round := 1; round <= rounds; round++ {
		d := tcpDaemon(t, dir)
		termAt := int64(1 + rng.IntN(50))
		r := runSIGTERMRound(t, d, socketClient(filepath.Join(dir, "d.sock")), round, creators, termAt)
		acked = append(acked, r.acked...)
		unanswered = append(unanswered, r.unanswered...)
		t.Logf("round %d: SIGTERM at the %dth acknowledged create and with a request in flight; %d creates acknowledged before the signal, %d after it, %d refused unread; the request in flight answered 200; exit status 0 after %v",
			round, termAt, r.before, len(r.acked)-r.before, len(r.unanswered), r.stopped.Round(time.Millisecond))
	}
	tcpDaemon(t, dir)
	c := socketClient(filepath.Join(dir, "d.sock"))
	checkAuthenticates(t, c, acked)
	if len(unanswered) > 0 {
		if n := c.count(t, map[string]any{"terms": map[string]any{"name": unanswered}}); n != 0 {
			t.Errorf("%d of the %d creates that got no answer were made", n, len(unanswered))
		}
	}
	t.Logf("%d rounds: %d acknowledged creates all present and authenticating after the restarts, none of the %d unanswered made", rounds, len(acked), len(unanswered))
}

// sigtermRound is what one round of TestSIGTERMUnderLoad saw.
type sigtermRound struct {
	acked      []createdKey // the creates answered 200, the request in flight included
	before     int          // of them, answered before the signal was sent
	unanswered []string     // names of the creates that got no answer
	stopped    time.Duration
}

// runSIGTERMRound streams creates to c until termAt are acknowledged, begins
// a create whose body it holds back, sends SIGTERM, waits until apikeyd
// refuses new connections, then sends the body.
func runSIGTERMRound(t *testing.T, d *daemonProc, c *restClient, round, creators int, termAt int64) *sigtermRound {
	t.Helper()
	r := &sigtermRound{}
	var (
		mu        sync.Mutex
		acks      atomic.Int64
		signalled atomic.Bool
		reached   = make(chan struct{})
		wg        sync.WaitGroup
	)
	for w := range creators {
		wg.Go(func() {
			for i := 0; ; i++ {
				name := fmt.Sprintf("term-r%d-w%d-%d", round, w, i)
				key, status, err := c.create(name, nil)
				mu.Lock()
				switch {
				case status == http.StatusOK:
					r.acked = append(r.acked, key)
					if !signalled.Load() {
						r.before++
					}
				case err != nil && signalled.Load():
					r.unanswered = append(r.unanswered, name)
				default:
					t.Errorf("create %s: status %d, %v", name, status, err)
				}
				mu.Unlock()
				if status != http.StatusOK {
					return
				}
				if acks.Add(1) == termAt {
					close(reached)
				}
			}
		})
	}
	select {
	case <-reached:
	case <-time.After(time.Minute):
		t.Fatalf("round %d: fewer than %d creates acknowledged in a minute", round, termAt)
	}

	held := beginHeldCreate(t, d.Addr, fmt.Sprintf("term-r%d-held", round))
	signalled.Store(true)
	start := time.Now()
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitRefused(t, d.Addr)
	key := held.finish(t)
	if err := d.wait(30 * time.Second); err != nil {
		t.Fatalf("round %d: apikeyd after SIGTERM: %v\n%s", round, err, d.stderr)
	}
	r.stopped = time.Since(start)
	wg.Wait()
	r.acked = append(r.acked, key)
	return r
}

// heldCreate is a create request whose headers apikeyd has read and
// whose body it waits for.
type heldCreate struct {
	conn net.Conn
	br   *bufio.Reader
	req  *http.Request
	body string
}

// beginHeldCreate sends the headers of a create with Expect:
// 100-continue and waits for apikeyd's 100 Continue, which it sends once
// it has authenticated the request and begins to read the body.
func beginHeldCreate(t *testing.T, addr, name string) *heldCreate {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.SetDeadline(time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	h := &heldCreate{conn: conn, br: bufio.NewReader(conn), body: fmt.Sprintf(`{"name":%q}`, name)}
	h.req, err = http.NewRequest(http.MethodPost, "http://"+addr+"/_security/api_key", strings.NewReader(h.body))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "POST /_security/api_key HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n",
		addr, tcpClient(addr).auth, len(h.body))
	resp, err := http.ReadResponse(h.br, h.req)
	if err != nil || resp.StatusCode != http.StatusContinue {
		t.Fatalf("the held create: %v, %v (want 100 Continue)", resp, err)
	}
	return h
}

// finish sends the body and reads the answer, which must be 200.
func (h *heldCreate) finish(t *testing.T) createdKey {
	t.Helper()
	if _, err := h.conn.Write([]byte(h.body)); err != nil {
		t.Fatalf("the held create's body: %v", err)
	}
	resp, err := http.ReadResponse(h.br, h.req)
	if err != nil {
		t.Fatalf("the create in flight at SIGTERM got no answer: %v", err)
	}
	defer resp.Body.Close()
	var key createdKey
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the create in flight at SIGTERM: %s", resp.Status)
	}
	if err := jsonDecode(resp, &key); err != nil {
		t.Fatal(err)
	}
	return key
}

// waitRefused waits until nothing accepts connections on addr any more:
// apikeyd has closed its listener and is shutting down.
func waitRefused(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		conn, err := net.Dial("tcp", addr)
		if errors.Is(err, syscall.ECONNREFUSED) {
			return
		}
		if err == nil {
			conn.Close()
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still accepts connections 20 s after SIGTERM", addr)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
