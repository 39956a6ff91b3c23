package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// loadResult is what one load measured.
type loadResult struct {
	requests int
	elapsed  time.Duration
	// cpu is the CPU time the server process used during the load.
	cpu time.Duration
	p99 time.Duration
}

// send sends one request of a load and checks its answer.
func send(ctx context.Context, c *http.Client, req *http.Request, worker int, onResponse func(int, []byte) error) error {
	resp, err := c.Do(req.WithContext(ctx))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if onResponse == nil {
		_, err = io.Copy(io.Discard, resp.Body)
	} else {
		var body []byte
		if body, err = io.ReadAll(resp.Body); err == nil && resp.StatusCode/100 == 2 {
			err = onResponse(worker, body)
		}
	}
	if err == nil && resp.StatusCode/100 != 2 {
		err = fmt.Errorf("%s %s: %s", req.Method, req.URL.Path, resp.Status)
	}
	return err
}

func (r loadResult) perSecond() float64 { return float64(r.requests) / r.elapsed.Seconds() }

// cpuPerRequest is the server's CPU per request.
func (r loadResult) cpuPerRequest() time.Duration {
	if r.requests == 0 {
		return 0
	}
	return r.cpu / time.Duration(r.requests)
}

func (r loadResult) String() string {
	return fmt.Sprintf("%.0f req/s, %.0f µs CPU/req, p99 %.2f ms", r.perSecond(),
		float64(r.cpuPerRequest().Microseconds()), float64(r.p99.Microseconds())/1000)
}

// runLoad sends requests from conns workers for d (or until each has sent
// limit requests, when limit > 0, or next returns errDone), each request
// made by next and its answer handed to onResponse (when not nil), and
// measures the server process pid. A request that does not answer 2xx
// fails the load.
func runLoad(ctx context.Context, c *http.Client, conns int, d time.Duration, limit int, pid int,
	next func(worker, n int) (*http.Request, error), onResponse func(worker int, body []byte) error) (loadResult, error) {
	return runLoadOn(ctx, c, conns, d, limit, []int{pid}, next, onResponse)
}

// runLoadOn is runLoad on several server processes, whose CPU it adds up.
func runLoadOn(ctx context.Context, c *http.Client, conns int, d time.Duration, limit int, pids []int,
	next func(worker, n int) (*http.Request, error), onResponse func(worker int, body []byte) error) (loadResult, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	before, err := cpuOf(pids)
	if err != nil {
		return loadResult{}, err
	}
	var (
		mu        sync.Mutex
		latencies []time.Duration
		firstErr  error
		wg        sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(d)
	for w := range conns {
		wg.Go(func() {
			var own []time.Duration
			for n := 0; (limit <= 0 || n < limit) && time.Now().Before(deadline) && ctx.Err() == nil; n++ {
				req, err := next(w, n)
				if errors.Is(err, errDone) {
					break
				}
				if err == nil {
					t := time.Now()
					err = send(ctx, c, req, w, onResponse)
					own = append(own, time.Since(t))
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil && ctx.Err() == nil {
						firstErr = err
					}
					mu.Unlock()
					cancel()
					return
				}
			}
			mu.Lock()
			latencies = append(latencies, own...)
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return loadResult{}, firstErr
	}
	after, err := cpuOf(pids)
	if err != nil {
		return loadResult{}, err
	}
	slices.Sort(latencies)
	r := loadResult{requests: len(latencies), elapsed: elapsed, cpu: after - before}
	if len(latencies) > 0 {
		r.p99 = latencies[len(latencies)*99/100]
	}
	return r, nil
}

// cpuOf is the CPU time the processes pids have used, together.
func cpuOf(pids []int) (time.Duration, error) {
	var cpu time.Duration
	for _, pid := range pids {
		st, err := readProcStat(pid)
		if err != nil {
			return 0, err
		}
		cpu += st.cpu
	}
	return cpu, nil
}
