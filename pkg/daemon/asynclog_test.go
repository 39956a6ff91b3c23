package daemon

import (
	"bytes"
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// gatedWriter blocks every write until released, then keeps what it gets.
type gatedWriter struct {
	entered chan struct{}
	release chan struct{}
	once    sync.Once
	buf     bytes.Buffer
}

func (g *gatedWriter) Write(p []byte) (int, error) {
	g.once.Do(func() { close(g.entered) })
	<-g.release
	return g.buf.Write(p)
}

// TestAsyncLogNeverBlocks: records logged while the writer is stuck are
// queued or dropped and counted, never waited for; close writes the rest.
func TestAsyncLogNeverBlocks(t *testing.T) {
	w := &gatedWriter{entered: make(chan struct{}), release: make(chan struct{})}
	log, flush := newAsyncLog(slog.NewTextHandler(w, nil))
	log.Info("request", "n", 0)
	<-w.entered
	const n = 3 * logQueueSize
	reqLog := log.With("component", "http")
	for i := 1; i <= n; i++ {
		reqLog.Info("request", "n", i)
	}
	close(w.release)
	flush()
	log.Info("after close") // dropped silently

	out := w.buf.String()
	written := strings.Count(out, "msg=request")
	var dropped int
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "records were dropped") {
			d, err := strconv.Atoi(line[strings.LastIndex(line, "=")+1:])
			if err != nil {
				t.Fatalf("line %q: %v", line, err)
			}
			dropped += d
		}
	}
	if dropped == 0 || written+dropped != n+1 {
		t.Errorf("written %d + dropped %d, want %d records with some dropped", written, dropped, n+1)
	}
	if !strings.Contains(out, "component=http") {
		t.Errorf("the attributes of a derived logger are lost:\n%.500s", out)
	}
	if strings.Contains(out, "after close") {
		t.Error("a record logged after close was written")
	}
}

func BenchmarkRequestLog(b *testing.B) {
	var buf bytes.Buffer
	for _, c := range []struct {
		name string
		log  func() (*slog.Logger, func())
	}{
		{"sync", func() (*slog.Logger, func()) { return slog.New(slog.NewTextHandler(&buf, nil)), func() {} }},
		{"async", func() (*slog.Logger, func()) { return newAsyncLog(slog.NewTextHandler(&buf, nil)) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			log, flush := c.log()
			defer flush()
			for b.Loop() {
				log.LogAttrs(context.Background(), slog.LevelInfo, "request",
					slog.String("method", "GET"), slog.String("path", "/_security/_authenticate"), slog.Int("status", 200))
			}
		})
	}
}
