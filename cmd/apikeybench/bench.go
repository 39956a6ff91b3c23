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
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// rowNames are the rows of the table on SQLite, in order.
var rowNames = []string{"auth-hot", "auth-last-used", "auth-cold", "create", "term-name", "bulk-update", "invalidate", "terms-agg", "ctl-get", "db-size", "peak-rss"}

// replicasRow is the row of auth-hot across three apikeyd processes
// sharing one store; only PostgreSQL is shared.
const replicasRow = "auth-hot-3-replicas"

// pgRowNames are the rows on PostgreSQL: every row of SQLite and the
// replicas, each suffixed -pg.
var pgRowNames = func() []string {
	var names []string
	for _, r := range rowNames {
		names = append(names, r+"-pg")
		if r == "auth-hot" {
			names = append(names, replicasRow+"-pg")
		}
	}
	return names
}()

// allRowNames are the rows --rows may name.
var allRowNames = append(append([]string{}, rowNames...), pgRowNames...)

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

// wants reports whether the run measures row: one of --rows, or, by
// default, every row on SQLite and, with --postgres, every row on
// PostgreSQL.
func (b *bench) wants(row string) bool {
	if len(b.o.rows) == 0 {
		return contains(rowNames, row) || b.o.postgres != "" && contains(pgRowNames, row)
	}
	return b.o.rows[row]
}

// wantsAny reports whether the run measures any of rows on t.
func (b *bench) wantsAny(t *target, rows ...string) bool {
	for _, r := range rows {
		if b.wants(r + t.suffix) {
			return true
		}
	}
	return false
}

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

// measure runs the rows asked for, in order; a row's result takes its
// name.
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
		res.Row = r.name
		b.step("%s: %s", res.Row, res.Apikeyd)
		results = append(results, res)
	}
	return results, nil
}

// run measures every row asked for on SQLite, then on PostgreSQL.
func (b *bench) run(ctx context.Context) ([]result, error) {
	var results []result
	if sqlite := newSQLiteTarget(b); b.wantsAny(sqlite, rowNames...) {
		res, err := b.runOn(ctx, sqlite)
		if err != nil {
			return nil, err
		}
		results = append(results, res...)
	}
	if slices.ContainsFunc(pgRowNames, b.wants) {
		t, cleanup, err := newPostgresTarget(ctx, b)
		if err != nil {
			return nil, err
		}
		defer cleanup()
		res, err := b.runOn(ctx, t)
		if err != nil {
			return nil, err
		}
		results = append(results, res...)
	}
	return results, nil
}

// runOn measures the rows asked for on t: those of the small database
// the API built, then those of the big one, grown from it.
func (b *bench) runOn(ctx context.Context, t *target) ([]result, error) {
	results, keys, templates, err := b.smallRows(ctx, t)
	if err != nil {
		return nil, err
	}
	if !b.wantsAny(t, "bulk-update", "invalidate", "terms-agg", "ctl-get", "db-size", "peak-rss") {
		return results, nil
	}
	b.step("growing the %s database to %d keys", t.name, b.o.keys)
	start := time.Now()
	if err := t.grow(ctx, templates, b.o.keys); err != nil {
		return nil, err
	}
	b.step("grown in %s", time.Since(start).Round(time.Millisecond))
	hot := make([]string, b.o.hotKeys)
	for i := range hot {
		hot[i] = keys[i].header()
	}
	big, err := b.bigRows(ctx, t, keys[0].header(), templates, hot)
	if err != nil {
		return nil, err
	}
	return append(results, big...), nil
}

// smallRows creates the keys of the small database through the socket,
// 64 clients at once (the create row), measures the rows of that database,
// and creates the owners of the big one.
func (b *bench) smallRows(ctx context.Context, t *target) ([]result, []createdKey, []ownerTemplate, error) {
	d, err := t.start(ctx, b, "apikeyd")
	if err != nil {
		return nil, nil, nil, err
	}
	defer d.stop()
	b.step("creating %d keys through the API", b.o.coldKeys)
	keys, created, err := b.createKeys(ctx, d, b.o.coldKeys)
	if err != nil {
		return nil, nil, nil, err
	}
	admin := keys[0].header()
	rows := []row{
		{"create" + t.suffix, func() (result, error) {
			raw, how, err := t.rawInserts(ctx, min(max(b.o.coldKeys/10, 200), 5000))
			return ratioRow("create", "64 concurrent clients over the socket", fmt.Sprintf("%.0f keys/s", created),
				how, created/raw, "≥ 1.5×", created/raw >= 1.5), err
		}},
		{"auth-hot" + t.suffix, func() (result, error) { return b.authHot(ctx, d, keys[:b.o.hotKeys]) }},
	}
	if t.replicated {
		rows = append(rows, row{replicasRow + t.suffix, func() (result, error) { return b.authHotReplicas(ctx, t, d, keys[:b.o.hotKeys]) }})
	}
	rows = append(rows,
		row{"auth-last-used" + t.suffix, func() (result, error) { return b.authLastUsed(ctx, t, keys[:b.o.hotKeys]) }},
		row{"auth-cold" + t.suffix, func() (result, error) { return b.authCold(ctx, d, t, keys) }},
		row{"term-name" + t.suffix, func() (result, error) { return b.termName(ctx, d, t, admin, keys) }},
	)
	results, err := b.measure(rows)
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
	size, err := answerSize(ctx, d, keys[0])
	if err != nil {
		return result{}, err
	}
	headers := headersOf(keys)
	b.step("auth-hot: warming the cache")
	if _, err := runLoad(ctx, d.tcp, 64, b.o.duration, 0, d.cmd.Process.Pid, authenticate(url, headers), nil); err != nil {
		return result{}, err
	}
	b.step("auth-hot: apikeyd")
	got, err := runLoad(ctx, d.tcp, 64, b.o.duration, 0, d.cmd.Process.Pid, authenticate(url, headers), nil)
	if err != nil {
		return result{}, err
	}
	want, err := b.bareAuthHot(ctx, size, headers)
	if err != nil {
		return result{}, err
	}
	return hotRow(fmt.Sprintf("GET /_security/_authenticate with ApiKey, 64 keep-alive conns, %d keys", len(keys)),
		got, "bare net/http, same body size: "+want.String(), want), nil
}

// hotRow compares an authentication load with the bare server's.
func hotRow(what string, got loadResult, baseline string, want loadResult) result {
	throughput := got.perSecond() / want.perSecond()
	cpu := float64(got.cpuPerRequest()) / float64(max(want.cpuPerRequest(), time.Microsecond))
	p99 := float64(got.p99) / float64(max(want.p99, time.Microsecond))
	return result{What: what, Apikeyd: got.String(), Baseline: baseline, Ratio: throughput,
		RatioText: fmt.Sprintf("%.2f× throughput, %.1f× CPU/req, %.1f× p99", throughput, cpu, p99),
		Goal:      "≥ 0.7× throughput, ≤ 2.5× CPU/req, ≤ 1.5× p99",
		Holds:     throughput >= 0.7 && cpu <= 2.5 && p99 <= 1.5}
}

// answerSize is the size of apikeyd's answer to an authentication with
// key.
func answerSize(ctx context.Context, d *daemon, key createdKey) (int, error) {
	url := "http://" + d.addr + "/_security/_authenticate"
	if err := call(ctx, d.tcp, http.MethodGet, url, key.header(), nil, &json.RawMessage{}); err != nil {
		return 0, err
	}
	resp, err := d.tcp.Do(mustRequest(http.MethodGet, url, key.header()))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	return int(n), err
}

// bareAuthHot runs auth-hot's load against a bare HTTP server answering
// size bytes.
func (b *bench) bareAuthHot(ctx context.Context, size int, headers []string) (loadResult, error) {
	base, err := b.startHTTPBaseline(ctx, size)
	if err != nil {
		return loadResult{}, err
	}
	defer base.stop()
	baseClient := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128, MaxIdleConns: 128}}
	b.step("auth-hot: bare net/http")
	return runLoad(ctx, baseClient, 64, b.o.duration, 0, base.cmd.Process.Pid, authenticate("http://"+base.addr+"/", headers), nil)
}

// authHotReplicas runs auth-hot's load spread round robin over three
// apikeyd processes sharing t's store (first and two more), against one
// bare HTTP server: the machine's cores bound both, and a second and a
// third bare server would only share them. Its CPU per request is that
// of the three processes together.
func (b *bench) authHotReplicas(ctx context.Context, t *target, first *daemon, keys []createdKey) (result, error) {
	ds := []*daemon{first}
	for i := 2; i <= 3; i++ {
		d, err := t.start(ctx, b, fmt.Sprintf("apikeyd-%d", i))
		if err != nil {
			return result{}, err
		}
		defer d.stop()
		ds = append(ds, d)
	}
	urls := make([]string, len(ds))
	pids := make([]int, len(ds))
	for i, d := range ds {
		urls[i], pids[i] = "http://"+d.addr+"/_security/_authenticate", d.cmd.Process.Pid
	}
	size, err := answerSize(ctx, first, keys[0])
	if err != nil {
		return result{}, err
	}
	headers := headersOf(keys)
	// Every worker goes round the replicas, request by request, and
	// round the credentials from its own place.
	next := func(w, n int) (*http.Request, error) {
		return mustRequest(http.MethodGet, urls[(w+n)%len(urls)], headers[(w*7919+n)%len(headers)]), nil
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128, MaxIdleConns: 3 * 128}}
	b.step("auth-hot-3-replicas: warming the caches")
	if _, err := runLoadOn(ctx, client, 64, b.o.duration, 0, pids, next, nil); err != nil {
		return result{}, err
	}
	b.step("auth-hot-3-replicas: apikeyd ×3")
	got, err := runLoadOn(ctx, client, 64, b.o.duration, 0, pids, next, nil)
	if err != nil {
		return result{}, err
	}
	want, err := b.bareAuthHot(ctx, size, headers)
	if err != nil {
		return result{}, err
	}
	return hotRow(fmt.Sprintf("auth-hot round robin over 3 apikeyd on one database, 64 keep-alive conns, %d keys, CPU of the 3", len(keys)),
		got, "one bare net/http server, same body size: "+want.String(), want), nil
}

// headersOf is the Authorization headers of keys.
func headersOf(keys []createdKey) []string {
	headers := make([]string, len(keys))
	for i, k := range keys {
		headers[i] = k.header()
	}
	return headers
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
func (b *bench) authCold(ctx context.Context, d *daemon, t *target, keys []createdKey) (result, error) {
	url := "http://" + d.addr + "/_security/_authenticate"
	b.step("auth-cold: apikeyd")
	got, err := runLoad(ctx, d.tcp, 64, b.o.duration, 0, d.cmd.Process.Pid, authenticate(url, headersOf(keys)), nil)
	if err != nil {
		return result{}, err
	}
	ids := make([]string, 0, min(len(keys), 20000))
	for i := range cap(ids) {
		ids = append(ids, keys[(i*7919)%len(keys)].ID)
	}
	base, err := t.pointSelectAndHash(ctx, ids)
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
func (b *bench) termName(ctx context.Context, d *daemon, t *target, admin string, keys []createdKey) (result, error) {
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
	sqlTime, err := t.handQuery(ctx, 200, "SELECT id, name, type, creation, expiration, invalidated, invalidation, principal, realm, "+
		t.jsonText("metadata")+" AS metadata FROM api_keys WHERE name = ?", keys[len(keys)/2].Name)
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
