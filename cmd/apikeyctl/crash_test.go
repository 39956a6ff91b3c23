//go:build unix

package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// The process tests below run apikeyd (and apikeyctl) as real processes
// and stop them at moments chosen by counting acknowledged answers,
// never by sleeping. Their seed is logged; APIKEYD_TEST_SEED=N replays a
// run's choices.

const testPassword = "crash-test-pw"

// testSeed is the seed of a test's random choices, logged.
func testSeed(t *testing.T) *rand.Rand {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("APIKEYD_TEST_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("APIKEYD_TEST_SEED: %v", err)
		}
		seed = n
	}
	t.Logf("seed %d (APIKEYD_TEST_SEED=%d replays it)", seed, seed)
	return rand.New(rand.NewPCG(seed, seed>>1|1))
}

// restClient calls apikeyd's REST API over plain HTTP.
type restClient struct {
	base string
	hc   *http.Client
	// auth is the Authorization header of calls that name none.
	auth string
}

// tcpClient is a client of apikeyd on addr, as the superuser elastic.
func tcpClient(addr string) *restClient {
	return &restClient{
		base: "http://" + addr,
		hc:   &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}, Timeout: time.Minute},
		auth: "Basic " + base64.StdEncoding.EncodeToString([]byte("elastic:"+testPassword)),
	}
}

// socketClient is a client of apikeyd on its Unix socket, known by its
// peer credentials (the OS user, realm os, as apikeyctl --db).
func socketClient(sock string) *restClient {
	var d net.Dialer
	tr := &http.Transport{
		MaxIdleConnsPerHost: 16,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "unix", sock)
		},
	}
	return &restClient{base: "http://apikeyd", hc: &http.Client{Transport: tr, Timeout: time.Minute}}
}

// call sends body (JSON, unless nil) with the Authorization header auth
// (the client's own when empty) and decodes a 200 answer into out. It
// returns the status, or the error of a request that got no answer.
func (c *restClient) call(method, path, auth string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth == "" {
		auth = c.auth
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode == http.StatusOK && out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: %v in %s", method, path, err, data)
		}
	}
	return resp.StatusCode, nil
}

// mustCall is call for requests that must be answered 200.
func (c *restClient) mustCall(t *testing.T, method, path string, body, out any) {
	t.Helper()
	status, err := c.call(method, path, "", body, out)
	if err != nil || status != http.StatusOK {
		t.Fatalf("%s %s: status %d, %v", method, path, status, err)
	}
}

// createdKey is an acknowledged create.
type createdKey struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Encoded string `json:"encoded"`
}

// create creates a key named name, with metadata unless nil; key is set
// for a 200 answer.
func (c *restClient) create(name string, metadata map[string]any) (key createdKey, status int, err error) {
	body := map[string]any{"name": name}
	if metadata != nil {
		body["metadata"] = metadata
	}
	status, err = c.call(http.MethodPost, "/_security/api_key", "", body, &key)
	return key, status, err
}

// count is the number of keys query (a query DSL clause) matches.
func (c *restClient) count(t *testing.T, query any) int {
	t.Helper()
	var resp struct {
		Total int `json:"total"`
	}
	c.mustCall(t, http.MethodPost, "/_security/_query/api_key", map[string]any{"query": query, "size": 0}, &resp)
	return resp.Total
}

// checkAuthenticates asserts that every key authenticates as itself,
// from a few goroutines.
func checkAuthenticates(t *testing.T, c *restClient, keys []createdKey) {
	t.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < len(keys); i = int(next.Add(1)) - 1 {
				k := keys[i]
				var who struct {
					APIKey struct {
						ID string `json:"id"`
					} `json:"api_key"`
				}
				status, err := c.call(http.MethodGet, "/_security/_authenticate", "ApiKey "+k.Encoded, nil, &who)
				if err != nil || status != http.StatusOK || who.APIKey.ID != k.ID {
					t.Errorf("acknowledged key %s (%s) does not authenticate: status %d, id %q, %v", k.ID, k.Name, status, who.APIKey.ID, err)
				}
			}
		})
	}
	wg.Wait()
}

// checkIntegrity runs PRAGMA integrity_check on the database file of a
// stopped daemon, opened read-only.
func checkIntegrity(t *testing.T, db string) {
	t.Helper()
	conn, err := sql.Open("sqlite", "file:"+db+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var got string
	if err := conn.QueryRow("PRAGMA integrity_check").Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != "ok" {
		t.Fatalf("integrity_check: %s", got)
	}
}

// tcpDaemon starts apikeyd on dir's data directory, listening on a socket
// in dir and on a free port of 127.0.0.1.
func tcpDaemon(t *testing.T, dir string) *daemonProc {
	t.Helper()
	return spawnDaemon(t, filepath.Join(dir, "ready.json"), []string{"APIKEYD_BOOTSTRAP_PASSWORD=" + testPassword},
		"--data-dir", filepath.Join(dir, "data"), "--socket", filepath.Join(dir, "d.sock"),
		"--listen", "127.0.0.1:0", "--log-level", "warn")
}

// seedKeys creates n keys named seed-N from a few goroutines and
// returns their ids.
func seedKeys(t *testing.T, c *restClient, n int) []string {
	t.Helper()
	ids := make([]string, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				key, status, err := c.create(fmt.Sprintf("seed-%d", i), nil)
				if status != http.StatusOK {
					t.Errorf("create seed-%d: status %d, %v", i, status, err)
					return
				}
				ids[i] = key.ID
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return ids
}

// crashRound is what one round of TestCrashDuringBulkUpdate did before
// apikeyd was killed.
type crashRound struct {
	created   []createdKey // acknowledged creates
	bulkAcked string       // marker of the last acknowledged bulk update, "" for none in the round
	inFlight  string       // marker of the bulk update unanswered at the kill, "" for none
	bulks     int          // acknowledged bulk updates
	reads     int          // acknowledged reads
}

// TestCrashDuringBulkUpdate kills apikeyd (SIGKILL) while bulk updates
// of thousands of keys (hundreds under the race detector) race creates
// from several goroutines, at a random count of acknowledged answers
// (creates, and reads that go on while a bulk update holds the writer),
// and restarts it on the same files, round after round: every bulk update is whole or absent, every
// acknowledged create is there and authenticates, and the file passes
// PRAGMA integrity_check.
func TestCrashDuringBulkUpdate(t *testing.T) {
	const (
		rounds   = 5
		creators = 3
	)
	// A bulk update of 2,000 keys takes 0.5 s, some 15 s under the race
	// detector.
	seeded := 2000
	if raceEnabled {
		seeded = 500
	}
	rng := testSeed(t)
	dir := shortTempDir(t)
	db := filepath.Join(dir, "data", "apikeys.db")
	// Requests go to the socket, as the OS user, as apikeyctl does: Basic
	// credentials would cost a password hash per request while writes
	// keep changing the database.
	sock := filepath.Join(dir, "d.sock")
	d := tcpDaemon(t, dir)
	c := socketClient(sock)
	ids := seedKeys(t, c, seeded)
	// The kill comes at up to three bulk updates' worth of answers,
	// counted here as reads during one.
	marker := "calibration" // the marker every seeded key carries
	perBulk := readsDuringBulk(t, c, ids, marker)
	t.Logf("%d keys seeded; %d reads answered during a bulk update of them", seeded, perBulk)
	var all []createdKey
	for round := 1; round <= rounds; round++ {
		killAt := int64(1 + rng.IntN(3*perBulk+3))
		start := time.Now()
		r := runCrashRound(t, d, c, ids, round, creators, killAt)
		if err := d.wait(30 * time.Second); err == nil || err == errStillRunning {
			t.Fatalf("round %d: apikeyd after SIGKILL: %v", round, err)
		}
		checkIntegrity(t, db)

		d = tcpDaemon(t, dir)
		c.hc.CloseIdleConnections() // connections to the killed process
		if r.bulkAcked != "" {
			marker = r.bulkAcked
		}
		outcome := checkBulkWhole(t, c, round, seeded, marker, r.inFlight)
		if outcome == "committed" {
			marker = r.inFlight
		}
		checkAuthenticates(t, c, r.created)
		all = append(all, r.created...)
		t.Logf("round %d: SIGKILL at the %dth acknowledged answer (%d reads); %d creates acknowledged, all present and authenticating; %d bulk updates of %d keys acknowledged, all whole; the bulk update unanswered at the kill: %s; integrity_check ok; %v",
			round, killAt, r.reads, len(r.created), r.bulks, seeded, outcome, time.Since(start).Round(time.Millisecond))
	}
	var allIDs []string
	for _, k := range all {
		allIDs = append(allIDs, k.ID)
	}
	if n := c.count(t, map[string]any{"ids": map[string]any{"values": allIDs}}); n != len(all) {
		t.Fatalf("%d of the %d acknowledged creates are present after %d crashes", n, len(all), rounds)
	}
	t.Logf("%d rounds: %d acknowledged creates all present and authenticating, every bulk update of %d keys whole or absent", rounds, len(all), seeded)
}

// readsDuringBulk updates ids with marker while reading, and returns the
// number of reads answered before the bulk update was.
func readsDuringBulk(t *testing.T, c *restClient, ids []string, marker string) int {
	t.Helper()
	done := make(chan struct{})
	var reads int
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			if status, err := c.call(http.MethodGet, "/_security/_authenticate", "", nil, nil); status != http.StatusOK {
				t.Errorf("read: status %d, %v", status, err)
				return
			}
			reads++
		}
	})
	c.mustCall(t, http.MethodPost, "/_security/api_key/_bulk_update", map[string]any{"ids": ids, "metadata": map[string]any{"crash_marker": marker}}, nil)
	close(done)
	wg.Wait()
	return reads
}

// checkBulkWhole asserts that all the seeded keys carry one marker: that
// of the bulk update unanswered at the kill (inFlight, "" for none), or
// else acked, that of the last acknowledged one. It says what became of
// the unanswered one.
func checkBulkWhole(t *testing.T, c *restClient, round, seeded int, acked, inFlight string) string {
	t.Helper()
	marked := func(m string) int {
		return c.count(t, map[string]any{"term": map[string]any{"metadata.crash_marker": m}})
	}
	switch {
	case inFlight != "" && marked(inFlight) == seeded:
		return "committed"
	case marked(acked) == seeded:
		if inFlight == "" {
			return "none"
		}
		return "absent"
	}
	t.Fatalf("round %d: a torn bulk update: %d of %d keys carry the last acknowledged marker %q, %d the unanswered %q",
		round, marked(acked), seeded, acked, marked(inFlight), inFlight)
	return ""
}

// runCrashRound runs creates from creators goroutines, reads from
// another and bulk updates of ids back to back until killAt answers are
// acknowledged, then kills apikeyd.
func runCrashRound(t *testing.T, d *daemonProc, c *restClient, ids []string, round, creators int, killAt int64) *crashRound {
	t.Helper()
	r := &crashRound{}
	var (
		mu     sync.Mutex
		acks   atomic.Int64
		killed = make(chan struct{})
		once   sync.Once
		wg     sync.WaitGroup
	)
	kill := func() {
		once.Do(func() {
			if err := d.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Errorf("kill: %v", err)
			}
			close(killed)
		})
	}
	isKilled := func() bool {
		select {
		case <-killed:
			return true
		default:
			return false
		}
	}
	wg.Go(func() {
		for {
			status, err := c.call(http.MethodGet, "/_security/_authenticate", "", nil, nil)
			if status != http.StatusOK {
				if !isKilled() {
					t.Errorf("read before the kill: status %d, %v", status, err)
					kill()
				}
				return
			}
			mu.Lock()
			r.reads++
			mu.Unlock()
			if acks.Add(1) == killAt {
				kill()
			}
		}
	})
	for w := range creators {
		wg.Go(func() {
			for i := 0; ; i++ {
				key, status, err := c.create(fmt.Sprintf("crash-r%d-w%d-%d", round, w, i), map[string]any{"round": round})
				if status == http.StatusOK {
					mu.Lock()
					r.created = append(r.created, key)
					mu.Unlock()
					if acks.Add(1) == killAt {
						kill()
					}
					continue
				}
				if !isKilled() {
					t.Errorf("create before the kill: status %d, %v", status, err)
					kill()
				}
				return
			}
		})
	}
	wg.Go(func() {
		for b := 1; ; b++ {
			m := fmt.Sprintf("r%d-b%d", round, b)
			var resp struct {
				Updated []string `json:"updated"`
				Errors  any      `json:"errors"`
			}
			status, err := c.call(http.MethodPost, "/_security/api_key/_bulk_update", "",
				map[string]any{"ids": ids, "metadata": map[string]any{"crash_marker": m}}, &resp)
			switch {
			case status == http.StatusOK && len(resp.Updated) == len(ids) && resp.Errors == nil:
				r.bulkAcked = m
				r.bulks++
			case isKilled():
				if status != http.StatusOK {
					r.inFlight = m
				}
				return
			default:
				t.Errorf("bulk update %s before the kill: status %d, %d updated, errors %v, %v", m, status, len(resp.Updated), resp.Errors, err)
				kill()
				return
			}
		}
	})
	select {
	case <-killed:
	case <-time.After(2 * time.Minute):
		kill()
		t.Errorf("round %d: %d answers acknowledged in 2 minutes, fewer than %d", round, acks.Load(), killAt)
	}
	wg.Wait()
	return r
}
