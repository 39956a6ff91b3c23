package daemon

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// defaultLastUsedInterval is how often the uses of API keys noted in
// memory are written: at most one write per key per interval.
const defaultLastUsedInterval = "60s"

// finalFlushTimeout bounds the last write of the uses of API keys when
// the daemon stops.
const finalFlushTimeout = 10 * time.Second

// parseLastUsed parses --last-used-interval into c.LastUsed: a positive
// time value, or 0 or "off" to record no use.
func (c *Config) parseLastUsed() error {
	v := strings.TrimSpace(c.LastUsedInterval)
	if v == "off" || v == "0" {
		c.LastUsed = 0
		return nil
	}
	d, err := api.ParseTimeValue(v, "last-used-interval")
	if err != nil {
		return configErrorf("--last-used-interval %q: %v (or 0 or off to record no use)", c.LastUsedInterval, err)
	}
	if d < 0 {
		return configErrorf("--last-used-interval %q: must be positive (or 0 or off to record no use)", c.LastUsedInterval)
	}
	c.LastUsed = d
	return nil
}

// usageFlusher is what the flusher needs of the key service.
type usageFlusher interface {
	FlushUsage(ctx context.Context) error
}

// startFlusher writes the uses of API keys every interval until the
// returned stop is called; stop ends the loop and writes what is left,
// waiting for that last write. Nothing runs without recording.
func (b *backend) startFlusher(ctx context.Context, log *slog.Logger) (stop func()) {
	if b.usage == nil || b.lastUsed <= 0 {
		return func() {}
	}
	loopCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(b.lastUsed)
		defer t.Stop()
		for {
			select {
			case <-loopCtx.Done():
				return
			case <-t.C:
				if err := b.usage.FlushUsage(loopCtx); err != nil && loopCtx.Err() == nil {
					log.Warn("cannot write when API keys were last used; trying again at the next interval", "err", err)
				}
			}
		}
	}()
	return func() {
		cancel()
		<-done
		final, cancelFinal := context.WithTimeout(context.WithoutCancel(ctx), finalFlushTimeout)
		defer cancelFinal()
		if err := b.usage.FlushUsage(final); err != nil {
			log.Error("cannot write when API keys were last used before stopping; the uses since the last write are lost", "err", err)
		}
	}
}
