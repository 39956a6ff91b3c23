package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"
)

// authLastUsed is the cost of recording when keys are used: auth-hot's
// load against two new daemons over the database of the run, one that
// records (apikeyd's default, --last-used-interval 60s) and one with
// --last-used-interval off, alternately, three times each after a warm-up of
// both. The best run of each is kept (the machine's noise only ever slows
// a run down).
func (b *bench) authLastUsed(ctx context.Context, t *target, keys []createdKey) (result, error) {
	on, err := t.start(ctx, b, "apikeyd-on", "--last-used-interval", "60s")
	if err != nil {
		return result{}, err
	}
	defer on.stop()
	off, err := t.start(ctx, b, "apikeyd-off", "--last-used-interval", "off")
	if err != nil {
		return result{}, err
	}
	defer off.stop()
	headers := headersOf(keys)
	load := func(d *daemon) (loadResult, error) {
		return runLoad(ctx, d.tcp, 64, b.o.duration, 0, d.cmd.Process.Pid,
			authenticate("http://"+d.addr+"/_security/_authenticate", headers), nil)
	}
	for _, d := range []*daemon{on, off} {
		b.step("auth-last-used: warming the cache of %s", filepath.Base(d.socket))
		if _, err := load(d); err != nil {
			return result{}, err
		}
	}
	var best [2]loadResult
	for round := range 3 {
		for i, d := range []*daemon{on, off} {
			b.step("auth-last-used: round %d, recording %s", round+1, []string{"on", "off"}[i])
			got, err := load(d)
			if err != nil {
				return result{}, err
			}
			if round == 0 || got.perSecond() > best[i].perSecond() {
				best[i] = got
			}
		}
	}
	throughput := best[0].perSecond() / best[1].perSecond()
	cpu := float64(best[0].cpuPerRequest()) / float64(max(best[1].cpuPerRequest(), time.Microsecond))
	return result{Row: "auth-last-used", What: fmt.Sprintf("auth-hot recording the use of keys (--last-used-interval 60s), %d keys", len(keys)),
		Apikeyd: best[0].String(), Baseline: "--last-used-interval off, same database: " + best[1].String(), Ratio: throughput,
		RatioText: fmt.Sprintf("%.2f× throughput, %.2f× CPU/req", throughput, cpu),
		Goal:      "≥ 0.95× throughput",
		Holds:     throughput >= 0.95}, nil
}
