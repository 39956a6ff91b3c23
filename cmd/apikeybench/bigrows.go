package main

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"time"
)

// basic is the Basic credential of a benchmark user.
func basic(user string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+benchPassword))
}

// bigRows measures the rows of the big database: the daemon's peak memory
// while it authenticates (with hot, credentials of keys it holds) and
// aggregates, an aggregation, a bulk update and an invalidation through
// the daemon, then apikeyctl --db and the file's size.
func (b *bench) bigRows(ctx context.Context, t *target, admin string, templates []ownerTemplate, hot []string) ([]result, error) {
	d, err := t.start(ctx, b, "apikeyd")
	if err != nil {
		return nil, err
	}
	defer d.stop()
	base := "http://" + d.addr
	var hotRSS, aggRSS int64
	if b.wants("peak-rss" + t.suffix) {
		b.step("peak-rss: authenticating @%d", b.o.keys)
		if _, err := runLoad(ctx, d.tcp, 64, b.o.duration, 0, d.cmd.Process.Pid, authenticate(base+"/_security/_authenticate", hot), nil); err != nil {
			return nil, err
		}
		hotRSS, _ = peakRSS(d.cmd.Process.Pid)
	}
	return b.measure([]row{
		{"terms-agg" + t.suffix, func() (result, error) {
			r, err := b.termsAgg(ctx, d, t, admin)
			aggRSS, _ = peakRSS(d.cmd.Process.Pid)
			return r, err
		}},
		{"bulk-update" + t.suffix, func() (result, error) { return b.bulkUpdate(ctx, d, t, templates[2].username) }},
		{"invalidate" + t.suffix, func() (result, error) { return b.invalidate(ctx, d, admin, templates[1].username) }},
		{"ctl-get" + t.suffix, func() (result, error) {
			if err := d.stop(); err != nil {
				return result{}, err
			}
			return b.ctlGet(ctx, t, templates[0].keyID)
		}},
		{"db-size" + t.suffix, func() (result, error) {
			if err := d.stop(); err != nil {
				return result{}, err
			}
			return b.dbSize(ctx, t)
		}},
		{"peak-rss" + t.suffix, func() (result, error) {
			return result{Row: "peak-rss", What: fmt.Sprintf("peak RSS during auth-hot and a terms aggregation @%d", b.o.keys),
				Apikeyd: fmt.Sprintf("%d MB, %d MB", hotRSS>>20, aggRSS>>20), Baseline: "—", RatioText: "—", Goal: "≤ 100 MB",
				Holds: hotRSS <= 100<<20 && aggRSS <= 100<<20}, nil
		}},
	})
}

// termsAgg times a terms aggregation on username against the GROUP BY by
// hand: the median of runs of each.
func (b *bench) termsAgg(ctx context.Context, d *daemon, t *target, admin string) (result, error) {
	body := map[string]any{"size": 0, "aggs": map[string]any{"users": map[string]any{"terms": map[string]any{"field": "username"}}}}
	const runs = 5
	times := make([]time.Duration, 0, runs)
	for i := range runs + 1 {
		start := time.Now()
		if err := call(ctx, d.tcp, http.MethodPost, "http://"+d.addr+"/_security/_query/api_key", admin, body, nil); err != nil {
			return result{}, err
		}
		if i > 0 { // the first run warms the page cache
			times = append(times, time.Since(start))
		}
	}
	got := median(times)
	want, err := t.handQuery(ctx, runs, "SELECT principal AS key, count(*) AS doc_count FROM api_keys GROUP BY principal ORDER BY doc_count DESC, key LIMIT 10")
	if err != nil {
		return result{}, err
	}
	ratio := float64(got) / float64(want)
	return ratioRow("terms-agg", fmt.Sprintf("terms aggregation on username @%d, over HTTP", b.o.keys),
		fmtDuration(got), "GROUP BY by hand over the owner index, no HTTP: "+fmtDuration(want), ratio, "≤ 1.5×", ratio <= 1.5), nil
}

// bulkUpdate times a bulk update of up to 10,000 keys of owner.
func (b *bench) bulkUpdate(ctx context.Context, d *daemon, t *target, owner string) (result, error) {
	ids, err := t.ownedIDs(ctx, owner, 10000)
	if err != nil {
		return result{}, err
	}
	start := time.Now()
	var resp struct {
		Updated []string `json:"updated"`
	}
	err = call(ctx, d.tcp, http.MethodPost, "http://"+d.addr+"/_security/api_key/_bulk_update", basic(owner),
		map[string]any{"ids": ids, "metadata": map[string]any{"rotated": true}}, &resp)
	if err != nil {
		return result{}, err
	}
	took := time.Since(start)
	if len(resp.Updated) != len(ids) {
		return result{}, fmt.Errorf("%d of %d updated", len(resp.Updated), len(ids))
	}
	return result{Row: "bulk-update", What: fmt.Sprintf("bulk update of %d ids @%d", len(ids), b.o.keys),
		Apikeyd: fmtDuration(took), Baseline: "—", RatioText: "—", Goal: "< 0.5 s", Holds: took < 500*time.Millisecond}, nil
}

// invalidate times the invalidation of every key of owner.
func (b *bench) invalidate(ctx context.Context, d *daemon, admin, owner string) (result, error) {
	start := time.Now()
	var resp struct {
		Invalidated []string `json:"invalidated_api_keys"`
	}
	if err := call(ctx, d.tcp, http.MethodDelete, "http://"+d.addr+"/_security/api_key", admin, map[string]any{"username": owner}, &resp); err != nil {
		return result{}, err
	}
	took := time.Since(start)
	return result{Row: "invalidate", What: fmt.Sprintf("invalidate by username, %d keys of %d", len(resp.Invalidated), b.o.keys),
		Apikeyd: fmtDuration(took), Baseline: "—", RatioText: "—", Goal: "< 1 s", Holds: took < time.Second}, nil
}

// dbSize is the size of the store per key, the daemon stopped.
func (b *bench) dbSize(ctx context.Context, t *target) (result, error) {
	size, err := t.size(ctx)
	if err != nil {
		return result{}, err
	}
	perKey := size / int64(b.o.keys)
	return result{Row: "db-size", What: fmt.Sprintf("database size @%d keys", b.o.keys),
		Apikeyd: fmt.Sprintf("%d bytes/key", perKey), Baseline: "—", RatioText: "—", Goal: "≤ 800 bytes/key", Holds: perKey <= 800}, nil
}

// fileSize is the size of a file.
func fileSize(path string) (int64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// ownedIDs reads up to n ids of the keys owner owns, from the file.
func ownedIDs(dbFile, owner string, n int) ([]string, error) {
	db, err := sql.Open("sqlite", "file:"+dbFile+"?mode=ro")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.Query("SELECT id FROM api_keys WHERE principal = ? AND invalidated = 0 LIMIT ?", owner, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// ctlGet times apikeyctl --db FILE (or --store URL) get --id ID -o json
// against a process that opens the store and selects the key: the median
// of runs of each.
func (b *bench) ctlGet(ctx context.Context, t *target, id string) (result, error) {
	const runs = 10
	timeRuns := func(name string, args ...string) (time.Duration, error) {
		times := make([]time.Duration, 0, runs)
		for i := range runs + 1 {
			cmd := exec.CommandContext(ctx, name, args...)
			cmd.Stderr = b.log
			start := time.Now()
			if err := cmd.Run(); err != nil {
				return 0, fmt.Errorf("%s: %w", name, err)
			}
			if i > 0 {
				times = append(times, time.Since(start))
			}
		}
		return median(times), nil
	}
	flags := t.ctlFlags()
	got, err := timeRuns(b.apikeyctl, append(flags, "get", "--id", id, "-o", "json")...)
	if err != nil {
		return result{}, err
	}
	want, err := timeRuns(b.self, t.selectBaseline(id)...)
	if err != nil {
		return result{}, err
	}
	ratio := float64(got) / float64(want)
	what := "apikeyctl --db FILE get --id X -o json"
	if flags[0] == "--store" {
		what = "apikeyctl --store URL get --id X -o json"
	}
	return ratioRow("ctl-get", what, fmtDuration(got),
		"a process that opens the store and selects the key: "+fmtDuration(want), ratio, "≤ 2×", ratio <= 2), nil
}
