package store

import (
	"context"
	"errors"
	"testing"
)

// TestAllDone: the context is done only once every context is, with the
// cause of one of them; cancel ends it at once.
func TestAllDone(t *testing.T) {
	errLast := errors.New("last")
	a, cancelA := context.WithCancel(context.Background())
	b, cancelB := context.WithCancelCause(context.Background())
	ctx, cancel := AllDone([]context.Context{a, b})
	defer cancel()
	cancelA()
	if ctx.Err() != nil {
		t.Fatal("done while one context was not")
	}
	cancelB(errLast)
	<-ctx.Done()
	if cause := context.Cause(ctx); !errors.Is(cause, errLast) && !errors.Is(cause, context.Canceled) {
		t.Fatalf("cause %v, want one of the contexts'", cause)
	}

	c, cancelC := context.WithCancel(context.Background())
	defer cancelC()
	ctx2, cancel2 := AllDone([]context.Context{c, context.Background()})
	cancel2()
	if ctx2.Err() == nil {
		t.Fatal("cancel left the context going")
	}
}
