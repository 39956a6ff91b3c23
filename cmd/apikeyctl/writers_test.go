//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// jsonDecode decodes resp's body into v.
func jsonDecode(resp *http.Response, v any) error {
	return json.NewDecoder(resp.Body).Decode(v)
}

// ledgerKey is what a writer knows a key must be.
type ledgerKey struct {
	createdKey
	v           string // the metadata value v its last acknowledged write set
	invalidated bool
}

// keyWriter is one of TestConcurrentWriters' writers: apikeyctl --db
// processes, or requests to apikeyd's socket. Each writes only its own
// keys, so what each key must be is known.
type keyWriter interface {
	create(t *testing.T, name string) createdKey
	// update and invalidate report whether the write was acknowledged.
	update(t *testing.T, id, v string) bool
	invalidate(t *testing.T, id string) bool
	get(t *testing.T, id string) storedKey
}

// storedKey is a key as get answers it.
type storedKey struct {
	ID          string            `json:"id"`
	Invalidated bool              `json:"invalidated"`
	Metadata    map[string]string `json:"metadata"`
}

// cliWriter runs an apikeyctl --db process per operation, each of which
// must exit 0 with nothing on stderr.
type cliWriter struct {
	db  string
	env []string
}

func (w *cliWriter) run(t *testing.T, out any, args ...string) bool {
	t.Helper()
	cmd := exec.Command("apikeyctl", append([]string{"--db", w.db}, append(args, "-o", "json")...)...)
	cmd.Env = testEnviron(w.env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil || stderr.Len() > 0 {
		t.Errorf("apikeyctl --db %s: %v, stderr: %s", strings.Join(args, " "), err, stderr.String())
		return false
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		t.Errorf("apikeyctl --db %s: %v in %s", strings.Join(args, " "), err, stdout.String())
		return false
	}
	return true
}

func (w *cliWriter) create(t *testing.T, name string) createdKey {
	var k createdKey
	w.run(t, &k, "create", "--name", name, "--metadata", "v=0")
	return k
}

func (w *cliWriter) update(t *testing.T, id, v string) bool {
	var resp struct {
		Updated bool `json:"updated"`
	}
	if !w.run(t, &resp, "update", id, "--metadata", "v="+v) {
		return false
	}
	if !resp.Updated {
		t.Errorf("apikeyctl --db update %s: not updated", id)
	}
	return true
}

func (w *cliWriter) invalidate(t *testing.T, id string) bool {
	var resp struct {
		Invalidated []string `json:"invalidated_api_keys"`
	}
	if !w.run(t, &resp, "invalidate", id) {
		return false
	}
	if !slices.Equal(resp.Invalidated, []string{id}) {
		t.Errorf("apikeyctl --db invalidate %s: invalidated %v", id, resp.Invalidated)
	}
	return true
}

func (w *cliWriter) get(t *testing.T, id string) storedKey {
	var resp struct {
		APIKeys []storedKey `json:"api_keys"`
	}
	w.run(t, &resp, "get", "--id", id)
	if len(resp.APIKeys) != 1 {
		t.Errorf("apikeyctl --db get --id %s: %d keys", id, len(resp.APIKeys))
		return storedKey{}
	}
	return resp.APIKeys[0]
}

// httpWriter sends requests to apikeyd's socket, as the OS user.
type httpWriter struct{ c *restClient }

func (w *httpWriter) do(t *testing.T, method, path string, body, out any) bool {
	t.Helper()
	if status, err := w.c.call(method, path, "", body, out); err != nil || status != http.StatusOK {
		t.Errorf("%s %s: status %d, %v", method, path, status, err)
		return false
	}
	return true
}

func (w *httpWriter) create(t *testing.T, name string) createdKey {
	var k createdKey
	w.do(t, http.MethodPost, "/_security/api_key", map[string]any{"name": name, "metadata": map[string]any{"v": "0"}}, &k)
	return k
}

func (w *httpWriter) update(t *testing.T, id, v string) bool {
	var resp struct {
		Updated bool `json:"updated"`
	}
	if !w.do(t, http.MethodPut, "/_security/api_key/"+id, map[string]any{"metadata": map[string]any{"v": v}}, &resp) {
		return false
	}
	if !resp.Updated {
		t.Errorf("update %s: not updated", id)
	}
	return true
}

func (w *httpWriter) invalidate(t *testing.T, id string) bool {
	var resp struct {
		Invalidated []string `json:"invalidated_api_keys"`
	}
	if !w.do(t, http.MethodDelete, "/_security/api_key", map[string]any{"ids": []string{id}}, &resp) {
		return false
	}
	if !slices.Equal(resp.Invalidated, []string{id}) {
		t.Errorf("invalidate %s: invalidated %v", id, resp.Invalidated)
	}
	return true
}

func (w *httpWriter) get(t *testing.T, id string) storedKey {
	var resp struct {
		APIKeys []storedKey `json:"api_keys"`
	}
	w.do(t, http.MethodGet, "/_security/api_key?id="+id, nil, &resp)
	if len(resp.APIKeys) != 1 {
		t.Errorf("GET /_security/api_key?id=%s: %d keys", id, len(resp.APIKeys))
		return storedKey{}
	}
	return resp.APIKeys[0]
}

// checkStored asserts that got is what the ledger says k is.
func checkStored(t *testing.T, who string, k *ledgerKey, got storedKey) {
	t.Helper()
	if got.ID != k.ID || got.Invalidated != k.invalidated || got.Metadata["v"] != k.v {
		t.Errorf("%s: key %s (%s) is %+v, want invalidated %v, v %q", who, k.ID, k.Name, got, k.invalidated, k.v)
	}
}

// writerRun is one writer's ledger and counts.
type writerRun struct {
	name string
	w    keyWriter
	keys []*ledgerKey
	ops  map[string]int
	// cli: its invalidations are checked against apikeyd's next
	// authentication. Only these: each refusal counts against the
	// client's failed-authentication allowance.
	cli bool
}

// step does operation i of the writer's cycle (create, create, update,
// invalidate, get) on a key rng picks. After a create apikeyd must accept
// the key; after an invalidation by apikeyctl, refuse it at once.
func (r *writerRun) step(t *testing.T, c *restClient, rng *rand.Rand, i int) {
	var live []*ledgerKey
	for _, k := range r.keys {
		if !k.invalidated {
			live = append(live, k)
		}
	}
	op := []string{"create", "create", "update", "invalidate", "get"}[i%5]
	if op != "create" && len(live) == 0 {
		op = "create"
	}
	r.ops[op]++
	switch op {
	case "create":
		k := &ledgerKey{createdKey: r.w.create(t, fmt.Sprintf("%s-%d", r.name, i)), v: "0"}
		if k.ID == "" {
			return
		}
		r.keys = append(r.keys, k)
		expectAuthenticate(t, c, r.name+" create", k, http.StatusOK)
	case "update":
		k := live[rng.IntN(len(live))]
		v := fmt.Sprint(i)
		if r.w.update(t, k.ID, v) {
			k.v = v
		}
	case "invalidate":
		k := live[rng.IntN(len(live))]
		if !r.w.invalidate(t, k.ID) {
			return
		}
		k.invalidated = true
		if r.cli {
			expectAuthenticate(t, c, r.name+" invalidate", k, http.StatusUnauthorized)
		}
	case "get":
		k := r.keys[rng.IntN(len(r.keys))]
		checkStored(t, r.name+" get", k, r.w.get(t, k.ID))
	}
}

// expectAuthenticate asserts apikeyd's answer to the key's next
// authentication.
func expectAuthenticate(t *testing.T, c *restClient, who string, k *ledgerKey, want int) {
	t.Helper()
	status, err := c.call(http.MethodGet, "/_security/_authenticate", "ApiKey "+k.Encoded, nil, nil)
	if err != nil || status != want {
		t.Errorf("%s: apikeyd authenticates key %s: status %d, %v; want %d", who, k.ID, status, err, want)
	}
}

// TestConcurrentWriters runs apikeyd and several apikeyctl --db
// processes on the same file at once, all creating, updating,
// invalidating and reading keys: every apikeyctl exits 0 with a clean
// stderr (no "database is locked" reaches a user), apikeyd refuses a key
// invalidated by apikeyctl at its next authentication, and at the end
// every acknowledged write is in the file, as written, and every valid
// key authenticates.
func TestConcurrentWriters(t *testing.T) {
	const (
		cliWriters = 3
		cliOps     = 12 // processes per apikeyctl writer
		apiWriters = 2
	)
	rng := testSeed(t)
	dir := shortTempDir(t)
	d := tcpDaemon(t, dir)
	db := filepath.Join(dir, "data", "apikeys.db")
	sock := socketClient(filepath.Join(dir, "d.sock"))
	tcp := tcpClient(d.Addr)
	env := []string{"XDG_CONFIG_HOME=" + t.TempDir()}
	start := time.Now()

	var runs []*writerRun
	for i := range cliWriters {
		runs = append(runs, &writerRun{name: fmt.Sprintf("cli%d", i), w: &cliWriter{db: db, env: env}, ops: map[string]int{}, cli: true})
	}
	for i := range apiWriters {
		runs = append(runs, &writerRun{name: fmt.Sprintf("api%d", i), w: &httpWriter{c: sock}, ops: map[string]int{}})
	}
	var (
		cliDone = make(chan struct{})
		cliWG   sync.WaitGroup
		apiWG   sync.WaitGroup
	)
	for _, r := range runs {
		wrng := rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64()))
		if r.cli {
			cliWG.Go(func() {
				for i := range cliOps {
					r.step(t, tcp, wrng, i)
				}
			})
			continue
		}
		// apikeyd's own writers keep writing while the processes run.
		apiWG.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-cliDone:
					return
				default:
				}
				r.step(t, tcp, wrng, i)
			}
		})
	}
	cliWG.Wait()
	close(cliDone)
	apiWG.Wait()
	elapsed := time.Since(start)

	// Every acknowledged write, as apikeyd and as apikeyctl --db see it;
	// every valid key authenticates.
	var want []string
	for _, r := range runs {
		for _, k := range r.keys {
			want = append(want, k.ID)
			checkStored(t, "after the run, apikeyd", k, (&httpWriter{c: sock}).get(t, k.ID))
			if !k.invalidated {
				expectAuthenticate(t, tcp, "after the run", k, http.StatusOK)
			}
		}
	}
	got := strings.Fields(apikeyctl(t, env, "", "--db", db, "get", "--field", "id"))
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("apikeyctl --db get lists %d keys, want the %d created", len(got), len(want))
	}
	if log := d.stderr.String(); t.Failed() || strings.Contains(log, "locked") || strings.Contains(log, "busy") {
		t.Errorf("apikeyd's log:\n%s", log)
	}
	for _, r := range runs {
		t.Logf("%s: %d creates, %d updates, %d invalidations, %d reads; %d keys checked", r.name, r.ops["create"], r.ops["update"], r.ops["invalidate"], r.ops["get"], len(r.keys))
	}
	t.Logf("%d apikeyctl --db processes beside apikeyd's %d writers in %v: %d keys, every write present, every apikeyctl exit 0 with a clean stderr, every invalidation by apikeyctl refused at the next authentication",
		cliWriters*cliOps, apiWriters, elapsed.Round(time.Millisecond), len(want))
}
