package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// rowNames are the rows of the table, in order.
var rowNames = []string{"auth-hot", "auth-last-used", "auth-cold", "create", "term-name", "bulk-update", "invalidate", "terms-agg", "ctl-get", "db-size", "peak-rss"}

// benchPassword is the bootstrap password of elastic and the password of
// the benchmark's users.
const benchPassword = "bench-password-1"

// owners are the users who own the keys of the big database, so that a
// terms aggregation on username has buckets and invalidating by owner
// takes a tenth of the keys.
const owners = 10

// bench is one run.
type bench struct {
	o                  *options
	dir                string
	self               string
	apikeyd, apikeyctl string
	log                io.Writer
}

func newBench(ctx context.Context, o *options, log io.Writer) (*bench, error) {
	dir, err := os.MkdirTemp("", "apikeybench-")
	if err != nil {
		return nil, err
	}
	b := &bench{o: o, dir: dir, log: &lockedWriter{w: log}, apikeyd: o.apikeyd, apikeyctl: o.apikeyctl}
	if b.self, err = os.Executable(); err != nil {
		return nil, err
	}
	for _, p := range []struct {
		path *string
		pkg  string
	}{{&b.apikeyd, "apikeyd"}, {&b.apikeyctl, "apikeyctl"}} {
		if *p.path != "" {
			continue
		}
		*p.path = filepath.Join(dir, p.pkg)
		fmt.Fprintf(log, "building %s\n", p.pkg)
		cmd := exec.CommandContext(ctx, "go", "build", "-o", *p.path, "github.com/apikeyctl/apikeyctl/cmd/"+p.pkg)
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Run(); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("build %s (run apikeybench in its module, or give --%s): %w", p.pkg, p.pkg, err)
		}
	}
	return b, nil
}

// lockedWriter serialises writes: the benchmark's progress and the
// standard error of the processes it runs share the log.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (b *bench) cleanup() {
	if b.o.keep {
		fmt.Fprintf(b.log, "kept %s\n", b.dir)
		return
	}
	os.RemoveAll(b.dir)
}

func (b *bench) machine() string { return machineDescription() }

func (b *bench) wants(row string) bool { return len(b.o.rows) == 0 || b.o.rows[row] }

func (b *bench) step(format string, args ...any) {
	fmt.Fprintf(b.log, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// createdKey is a key the API created, with its credential.
type createdKey struct {
	ID     string `json:"id"`
	APIKey string `json:"api_key"`
	Name   string `json:"name"`
}

func (k createdKey) header() string {
	return "ApiKey " + base64.StdEncoding.EncodeToString([]byte(k.ID+":"+k.APIKey))
}

// row is one row's measurement.
type row struct {
	name    string
	measure func() (result, error)
}

// measure runs the rows asked for, in order.
func (b *bench) measure(rows []row) ([]result, error) {
	var results []result
	for _, r := range rows {
		if !b.wants(r.name) {
			continue
		}
		res, err := r.measure()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.name, err)
		}
		b.step("%s: %s", res.Row, res.Apikeyd)
		results = append(results, res)
	}
	return results, nil
}

// run measures every row asked for: those of the small database the API
// built, then those of the big one, grown from it.
func (b *bench) run(ctx context.Context) ([]result, error) {
	small := filepath.Join(b.dir, "small")
	results, keys, templates, err := b.smallRows(ctx, small)
	if err != nil {
		return nil, err
	}
	needBig := false
	for _, r := range []string{"bulk-update", "invalidate", "terms-agg", "ctl-get", "db-size", "peak-rss"} {
		needBig = needBig || b.wants(r)
	}
	if !needBig {
		return results, nil
	}
	dbFile := filepath.Join(small, "apikeys.db")
	b.step("growing the database to %d keys", b.o.keys)
	if err := growDatabase(ctx, dbFile, templates, b.o.keys); err != nil {
		return nil, err
	}
	hot := make([]string, b.o.hotKeys)
	for i := range hot {
		hot[i] = keys[i].header()
	}
	big, err := b.bigRows(ctx, small, dbFile, keys[0].header(), templates, hot)
	if err != nil {
		return nil, err
	}
	return append(results, big...), nil
}

// smallRows creates the keys of the small database through the socket,
// 64 clients at once (the create row), measures the rows of that database,
// and creates the owners of the big one.
func (b *bench) smallRows(ctx context.Context, dir string) ([]result, []createdKey, []ownerTemplate, error) {
	d, err := b.startDaemon(ctx, dir)
	if err != nil {
		return nil, nil, nil, err
	}
	defer d.stop()
	b.step("creating %d keys through the API", b.o.coldKeys)
	keys, created, err := b.createKeys(ctx, d, b.o.coldKeys)
	if err != nil {
		return nil, nil, nil, err
	}
	dbFile := filepath.Join(dir, "apikeys.db")
	admin := keys[0].header()
	results, err := b.measure([]row{
		{"create", func() (result, error) {
			raw, err := rawInserts(filepath.Join(b.dir, "raw.db"), min(max(b.o.coldKeys/10, 200), 5000))
			return ratioRow("create", "64 concurrent clients over the socket", fmt.Sprintf("%.0f keys/s", created),
				fmt.Sprintf("raw SQLite inserts, 1 tx/row, WAL, synchronous=FULL: %.0f rows/s", raw),
				created/raw, "≥ 1.5×", created/raw >= 1.5), err
		}},
		{"auth-hot", func() (result, error) { return b.authHot(ctx, d, keys[:b.o.hotKeys]) }},
		{"auth-last-used", func() (result, error) { return b.authLastUsed(ctx, keys[:b.o.hotKeys], dir) }},
		{"auth-cold", func() (result, error) { return b.authCold(ctx, d, keys, dbFile) }},
		{"term-name", func() (result, error) { return b.termName(ctx, d, admin, keys, dbFile) }},
	})
	if err != nil {
		return nil, nil, nil, err
	}
	templates, err := b.ownerTemplates(ctx, d)
	if err != nil {
		return nil, nil, nil, err
	}
	return results, keys, templates, d.stop()
}

// ratioRow is a row whose ratio is apikeyd's figure over the baseline's.
func ratioRow(row, what, apikeyd, baseline string, ratio float64, goal string, holds bool) result {
	return result{Row: row, What: what, Apikeyd: apikeyd, Baseline: baseline, Ratio: ratio,
		RatioText: fmt.Sprintf("%.2f×", ratio), Goal: goal, Holds: holds}
}

// createKeys creates n keys through the socket from 64 clients, with
// metadata, and returns them and the rate.
func (b *bench) createKeys(ctx context.Context, d *daemon, n int) ([]createdKey, float64, error) {
	keys := make([]createdKey, n)
	var next atomic.Int64
	start := time.Now()
	pid := d.cmd.Process.Pid
	_, err := runLoad(ctx, d.admin, 64, time.Hour, 0, pid, func(_, _ int) (*http.Request, error) {
		i := int(next.Add(1)) - 1
		if i >= n {
			return nil, errDone
		}
		body, _ := json.Marshal(map[string]any{"name": fmt.Sprintf("key-%d", i),
			"metadata": map[string]any{"team": fmt.Sprintf("team-%d", i%20), "env": []string{"prod", "dev"}[i%2], "n": i}})
		req, err := http.NewRequest(http.MethodPost, "http://apikeyd/_security/api_key", bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		return req, nil
	}, func(_ int, resp []byte) error {
		var k createdKey
		if err := json.Unmarshal(resp, &k); err != nil {
			return err
		}
		var idx int
		if _, err := fmt.Sscanf(k.Name, "key-%d", &idx); err != nil || idx < 0 || idx >= n {
			return fmt.Errorf("created key named %q", k.Name)
		}
		keys[idx] = k
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return keys, float64(n) / time.Since(start).Seconds(), nil
}

// authHot authenticates with keys round robin from 64 keep-alive
// connections, then does the same against a bare HTTP server answering as
// many bytes.
func (b *bench) authHot(ctx context.Context, d *daemon, keys []createdKey) (result, error) {
	url := "http://" + d.addr + "/_security/_authenticate"
	var body bytes.Buffer
	if err := call(ctx, d.tcp, http.MethodGet, url, keys[0].header(), nil, &json.RawMessage{}); err != nil {
		return result{}, err
	}
	resp, err := d.tcp.Do(mustRequest(http.MethodGet, url, keys[0].header()))
	if err != nil {
		return result{}, err
	}
	io.Copy(&body, resp.Body)
	resp.Body.Close()
	headers := make([]string, len(keys))
	for i, k := range keys {
		headers[i] = k.header()
	}
	auth := func(url string) func(w, n int) (*http.Request, error) { return authenticate(url, headers) }
	b.step("auth-hot: warming the cache")
	if _, err := runLoad(ctx, d.tcp, 64, b.o.duration, 0, d.cmd.Process.Pid, auth(url), nil); err != nil {
		return result{}, err
	}
	b.step("auth-hot: apikeyd")
	got, err := runLoad(ctx, d.tcp, 64, b.o.duration, 0, d.cmd.Process.Pid, auth(url), nil)
	if err != nil {
		return result{}, err
	}
	base, err := b.startHTTPBaseline(ctx, body.Len())
	if err != nil {
		return result{}, err
	}
	defer base.stop()
	baseClient := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128, MaxIdleConns: 128}}
	b.step("auth-hot: bare net/http")
	want, err := runLoad(ctx, baseClient, 64, b.o.duration, 0, base.cmd.Process.Pid, auth("http://"+base.addr+"/"), nil)
	if err != nil {
		return result{}, err
	}
	throughput := got.perSecond() / want.perSecond()
	cpu := float64(got.cpuPerRequest()) / float64(max(want.cpuPerRequest(), time.Microsecond))
	p99 := float64(got.p99) / float64(max(want.p99, time.Microsecond))
	return result{Row: "auth-hot", What: fmt.Sprintf("GET /_security/_authenticate with ApiKey, 64 keep-alive conns, %d keys", len(keys)),
		Apikeyd: got.String(), Baseline: "bare net/http, same body size: " + want.String(), Ratio: throughput,
		RatioText: fmt.Sprintf("%.2f× throughput, %.1f× CPU/req, %.1f× p99", throughput, cpu, p99),
		Goal:      "≥ 0.7× throughput, ≤ 2.5× CPU/req, ≤ 1.5× p99",
		Holds:     throughput >= 0.7 && cpu <= 2.5 && p99 <= 1.5}, nil
}

// authenticate makes the requests of an authentication load: each worker
// goes round the credentials from its own place.
func authenticate(url string, headers []string) func(w, n int) (*http.Request, error) {
	return func(w, n int) (*http.Request, error) {
		return mustRequest(http.MethodGet, url, headers[(w*7919+n)%len(headers)]), nil
	}
}

// authCold authenticates with every key round robin, more keys than the
// record cache holds, from 64 keep-alive connections as auth-hot does (one
// connection at a time would measure the scheduler waking up for each
// request): CPU per request against a point SELECT and one salted
// SHA-256.
func (b *bench) authCold(ctx context.Context, d *daemon, keys []createdKey, dbFile string) (result, error) {
	url := "http://" + d.addr + "/_security/_authenticate"
	b.step("auth-cold: apikeyd")
	headers := make([]string, len(keys))
	for i, k := range keys {
		headers[i] = k.header()
	}
	got, err := runLoad(ctx, d.tcp, 64, b.o.duration, 0, d.cmd.Process.Pid, authenticate(url, headers), nil)
	if err != nil {
		return result{}, err
	}
	ids := make([]string, 0, min(len(keys), 20000))
	for i := range cap(ids) {
		ids = append(ids, keys[(i*7919)%len(keys)].ID)
	}
	base, err := pointSelectAndHash(dbFile, ids)
	if err != nil {
		return result{}, err
	}
	ratio := float64(base) / float64(max(got.cpuPerRequest(), time.Microsecond))
	return result{Row: "auth-cold", What: fmt.Sprintf("%d keys round robin", len(keys)),
		Apikeyd:  fmt.Sprintf("%.0f µs CPU/req", float64(got.cpuPerRequest().Microseconds())),
		Baseline: fmt.Sprintf("point SELECT + one salted SHA-256: %.0f µs", float64(base.Nanoseconds())/1000),
		Ratio:    ratio, RatioText: fmt.Sprintf("%.2f×", ratio), Goal: "≥ 0.5×", Holds: ratio >= 0.5}, nil
}

// termName queries one key by name, one request at a time, against the
// SQL by hand.
func (b *bench) termName(ctx context.Context, d *daemon, admin string, keys []createdKey, dbFile string) (result, error) {
	url := "http://" + d.addr + "/_security/_query/api_key"
	b.step("term-name: apikeyd")
	got, err := runLoad(ctx, d.tcp, 1, b.o.duration, 0, d.cmd.Process.Pid, func(_, n int) (*http.Request, error) {
		body := fmt.Sprintf(`{"query":{"term":{"name":%q}}}`, keys[(n*7919)%len(keys)].Name)
		req := mustRequest(http.MethodPost, url, admin)
		req.Body = io.NopCloser(bytes.NewReader([]byte(body)))
		req.ContentLength = int64(len(body))
		req.Header.Set("Content-Type", "application/json")
		return req, nil
	}, nil)
	if err != nil {
		return result{}, err
	}
	perRequest := got.elapsed / time.Duration(max(got.requests, 1))
	sqlTime, err := handQuery(dbFile, 200, "SELECT id, name, type, creation, expiration, invalidated, invalidation, principal, realm, metadata FROM api_keys WHERE name = ?", keys[len(keys)/2].Name)
	if err != nil {
		return result{}, err
	}
	// The same transport: one request at a time to a bare server.
	bare, err := b.startHTTPBaseline(ctx, 512)
	if err != nil {
		return result{}, err
	}
	defer bare.stop()
	trip, err := runLoad(ctx, &http.Client{}, 1, b.o.duration, 0, bare.cmd.Process.Pid, func(_, _ int) (*http.Request, error) {
		return mustRequest(http.MethodGet, "http://"+bare.addr+"/", ""), nil
	}, nil)
	if err != nil {
		return result{}, err
	}
	roundTrip := trip.elapsed / time.Duration(max(trip.requests, 1))
	base := sqlTime + roundTrip
	ratio := float64(perRequest) / float64(base)
	return ratioRow("term-name", fmt.Sprintf("term on name @%d, one request at a time", len(keys)), fmtDuration(perRequest),
		fmt.Sprintf("hand SQL + JSON encode (%s) + a bare HTTP round trip (%s): %s", fmtDuration(sqlTime), fmtDuration(roundTrip), fmtDuration(base)),
		ratio, "≤ 1.5×", ratio <= 1.5), nil
}

func fmtDuration(d time.Duration) string {
	if d < 10*time.Millisecond {
		return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000)
	}
	return fmt.Sprintf("%.0f ms", float64(d.Microseconds())/1000)
}

func mustRequest(method, url, auth string) *http.Request {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		panic(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	return req
}

// errDone ends a load whose work is all done.
var errDone = errors.New("done")
