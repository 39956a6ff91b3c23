package store

import (
	"context"
	"sync/atomic"
)

// AllDone returns a context that is done once every one of ctxs is done
// (with the cause of one of them), or when the returned cancel is called: the context of a group commit's transaction, which holds the
// writes of several callers and must go on while any of them still waits
// for the answer. One context is simply wrapped.
func AllDone(ctxs []context.Context) (context.Context, context.CancelFunc) {
	if len(ctxs) == 1 {
		return context.WithCancel(ctxs[0])
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	var left atomic.Int64
	left.Store(int64(len(ctxs)))
	stops := make([]func() bool, len(ctxs))
	for i, c := range ctxs {
		stops[i] = context.AfterFunc(c, func() {
			if left.Add(-1) == 0 {
				cancel(context.Cause(c))
			}
		})
	}
	return ctx, func() {
		for _, stop := range stops {
			stop()
		}
		cancel(context.Canceled)
	}
}
