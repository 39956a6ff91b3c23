package daemon

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// logQueueSize bounds the log records waiting for the writer; when it is
// full a record is dropped and counted rather than holding up a request.
const logQueueSize = 4096

// asyncLog takes the writing of the daemon's log (the request log above
// all: a line per request) off the requests' path: its handlers queue each
// record, and one goroutine writes them, as soon as they are queued, with
// the handler they were logged through. What does not fit the queue is
// dropped, counted, and the count logged once there is room. close writes
// what is left.
type asyncLog struct {
	mu      sync.RWMutex // guards closed against the queue's close
	closed  bool
	queue   chan logRecord
	dropped atomic.Int64
	done    chan struct{}
	// notice writes the count of dropped records.
	notice slog.Handler
}

type logRecord struct {
	h slog.Handler
	r slog.Record
}

// newAsyncLog returns a logger whose records reach inner through the
// writer goroutine, and the function that stops it, writing what is left.
func newAsyncLog(inner slog.Handler) (*slog.Logger, func()) {
	l := &asyncLog{queue: make(chan logRecord, logQueueSize), done: make(chan struct{}), notice: inner}
	go l.writeLoop()
	return slog.New(&asyncHandler{inner: inner, log: l}), l.close
}

func (l *asyncLog) writeLoop() {
	defer close(l.done)
	for rec := range l.queue {
		_ = rec.h.Handle(context.Background(), rec.r)
		if n := l.dropped.Swap(0); n > 0 {
			r := slog.NewRecord(time.Now(), slog.LevelWarn, "the log could not keep up; records were dropped", 0)
			r.AddAttrs(slog.Int64("dropped", n))
			_ = l.notice.Handle(context.Background(), r)
		}
	}
}

func (l *asyncLog) close() {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.closed = true
	close(l.queue)
	l.mu.Unlock()
	<-l.done
}

// enqueue queues r for h, or counts it as dropped.
func (l *asyncLog) enqueue(h slog.Handler, r slog.Record) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return
	}
	select {
	case l.queue <- logRecord{h: h, r: r.Clone()}:
	default:
		l.dropped.Add(1)
	}
}

// asyncHandler is a slog.Handler that queues its records on an asyncLog.
type asyncHandler struct {
	inner slog.Handler
	log   *asyncLog
}

func (h *asyncHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.inner.Enabled(ctx, level)
}

func (h *asyncHandler) Handle(_ context.Context, r slog.Record) error {
	h.log.enqueue(h.inner, r)
	return nil
}

func (h *asyncHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &asyncHandler{inner: h.inner.WithAttrs(attrs), log: h.log}
}

func (h *asyncHandler) WithGroup(name string) slog.Handler {
	return &asyncHandler{inner: h.inner.WithGroup(name), log: h.log}
}
