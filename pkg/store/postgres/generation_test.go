package postgres

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/store"
	"github.com/apikeyctl/apikeyctl/pkg/store/postgres/pgtest"
)

// waitGuard bounds every wait for the listener: a failure guard, not a
// timing assumption.
const waitGuard = 30 * time.Second

// driven is a store whose listener ticks, and whose confirmations
// expire, only when the test says so.
type driven struct {
	*DB
	ticks chan time.Time
	// expire ends the last confirmation, as its timer would two intervals
	// after its liveness read.
	expire atomic.Pointer[func()]
}

// openDriven opens a store on dsn with a driven listener, closed when the
// test ends; started, it waits for the listener to be healthy.
func openDriven(tb testing.TB, dsn string, start bool) *driven {
	tb.Helper()
	d := &driven{DB: openDSN(tb, dsn), ticks: make(chan time.Time)}
	d.gen.newTicker = func(time.Duration) (<-chan time.Time, func()) { return d.ticks, func() {} }
	d.gen.afterFunc = func(_ time.Duration, f func()) func() bool {
		d.expire.Store(&f)
		return func() bool { return true }
	}
	if start {
		d.generation(tb)
		waitFor(tb, "the listener to be healthy", d.gen.healthy)
	}
	return d
}

// tick sends the listener one tick.
func (d *driven) tick(tb testing.TB) {
	tb.Helper()
	select {
	case d.ticks <- time.Now():
	case <-time.After(waitGuard):
		tb.Fatal("the listener took no tick")
	}
}

// generation calls Generation, failing tb on an error.
func (d *driven) generation(tb testing.TB) uint64 {
	tb.Helper()
	n, err := d.Generation(context.Background())
	if err != nil {
		tb.Fatalf("Generation: %v", err)
	}
	return n
}

// waitFor polls cond until it holds, failing tb after waitGuard.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(waitGuard)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("waited %v for %s", waitGuard, what)
		}
		time.Sleep(time.Millisecond)
	}
}

// write commits an empty write transaction through db and returns the
// counter it left.
func write(tb testing.TB, db *DB) uint64 {
	tb.Helper()
	if err := db.Update(context.Background(), func(store.Writer) error { return nil }); err != nil {
		tb.Fatalf("Update: %v", err)
	}
	return counter(tb, db)
}

// counter reads the change counter through db's pool.
func counter(tb testing.TB, db *DB) uint64 {
	tb.Helper()
	var n int64
	if err := db.pool.QueryRow(context.Background(), generationSQL).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return uint64(n)
}

// TestGenerationNotified: a write through one store reaches another's
// Generation by notification alone (its listener never ticks), without
// a read of the counter.
func TestGenerationNotified(t *testing.T) {
	dsn := pgtest.DSN(t)
	a, b := openDSN(t, dsn), openDriven(t, dsn, true)
	reads := b.gen.reads.Load()
	want := write(t, a)
	waitFor(t, "the notification", func() bool { return b.generation(t) == want })
	if got := b.gen.reads.Load(); got != reads {
		t.Errorf("Generation read the counter %d times, want none", got-reads)
	}
}

// TestGenerationOwnWrite: a store's Generation answers its own write's
// generation as soon as Update returns, without reading the counter.
func TestGenerationOwnWrite(t *testing.T) {
	a := openDriven(t, pgtest.DSN(t), true)
	before := a.generation(t)
	reads := a.gen.reads.Load()
	for range 3 {
		want := write(t, a.DB)
		if got := a.generation(t); got != want || got <= before {
			t.Fatalf("Generation = %d right after a write, want %d (it was %d)", got, want, before)
		}
		before = want
	}
	if got := a.gen.reads.Load(); got != reads {
		t.Errorf("Generation read the counter %d times, want none", got-reads)
	}
}

// TestGenerationMissedNotification: a change that sends no notification
// (plain SQL) is seen after the listener's next liveness tick and not
// before; and once the listener is two intervals late, Generation reads
// the counter itself.
func TestGenerationMissedNotification(t *testing.T) {
	t.Run("next tick", func(t *testing.T) {
		b := openDriven(t, pgtest.DSN(t), true)
		before := b.generation(t)
		if _, err := b.pool.Exec(t.Context(), "UPDATE store_generation SET n = n + 1"); err != nil {
			t.Fatal(err)
		}
		want := counter(t, b.DB)
		for range 3 {
			if got := b.generation(t); got != before {
				t.Fatalf("Generation = %d before the tick, want %d", got, before)
			}
		}
		b.tick(t)
		waitFor(t, "the liveness read", func() bool { return b.generation(t) == want })
		if got := b.gen.reads.Load(); got != 1 {
			t.Errorf("Generation read the counter %d times, want 1 (its first call)", got)
		}
	})
	t.Run("listener late", func(t *testing.T) {
		b := openDriven(t, pgtest.DSN(t), true)
		if _, err := b.pool.Exec(t.Context(), "UPDATE store_generation SET n = n + 1"); err != nil {
			t.Fatal(err)
		}
		want := counter(t, b.DB)
		if got := b.generation(t); got == want {
			t.Fatalf("Generation = %d before two intervals passed, want the older value", got)
		}
		(*b.expire.Load())()
		reads := b.gen.reads.Load()
		if got := b.generation(t); got != want {
			t.Fatalf("Generation = %d two intervals after the last liveness read, want %d", got, want)
		}
		if got := b.gen.reads.Load() - reads; got != 1 {
			t.Errorf("Generation read the counter %d times, want 1", got)
		}
	})
}

// TestGenerationDroppedConnection: when the listener's connection is
// cut, Generation reads the counter, so a write through another store is
// seen by its next call; at the next tick the listener connects again
// and is healthy, answering notifications.
func TestGenerationDroppedConnection(t *testing.T) {
	dsn := pgtest.DSN(t)
	a, b := openDSN(t, dsn), openDriven(t, dsn, true)
	pid := b.gen.pid.Load()
	var ok bool
	if err := a.pool.QueryRow(t.Context(), "SELECT pg_terminate_backend($1)", pid).Scan(&ok); err != nil || !ok {
		t.Fatalf("pg_terminate_backend(%d) = %v, %v", pid, ok, err)
	}
	waitFor(t, "the listener to see its connection cut", func() bool { return !b.gen.healthy() })

	want := write(t, a)
	reads := b.gen.reads.Load()
	if got := b.generation(t); got != want {
		t.Fatalf("Generation = %d right after a write elsewhere while the listener is down, want %d", got, want)
	}
	if got := b.gen.reads.Load() - reads; got != 1 {
		t.Errorf("Generation read the counter %d times, want 1", got)
	}

	b.tick(t)
	waitFor(t, "the listener to be healthy again", b.gen.healthy)
	if got := b.gen.pid.Load(); got == pid {
		t.Errorf("the listener is still on server process %d", pid)
	}
	reads = b.gen.reads.Load()
	want = write(t, a)
	waitFor(t, "the notification", func() bool { return b.generation(t) == want })
	if got := b.gen.reads.Load(); got != reads {
		t.Errorf("Generation read the counter %d times after the listener came back, want none", got-reads)
	}
}

// TestGenerationStrict: with apikeyd_coherence=strict, every call reads
// the counter, and no listener is started.
func TestGenerationStrict(t *testing.T) {
	dsn := pgtest.DSN(t)
	a, b := openDSN(t, dsn), openDSN(t, dsn+"&apikeyd_coherence=strict")
	for i := range 3 {
		want := write(t, a)
		got, err := b.Generation(t.Context())
		if err != nil || got != want {
			t.Fatalf("Generation = %d, %v right after a write elsewhere, want %d", got, err, want)
		}
		if reads := b.gen.reads.Load(); reads != int64(i+1) {
			t.Fatalf("after %d calls Generation read the counter %d times", i+1, reads)
		}
	}
	if b.gen.started.Load() {
		t.Error("strict mode started a listener")
	}
}

// TestGenerationListenerLifetime: a store that never calls Generation
// opens no listener, and Close stops a started one.
func TestGenerationListenerLifetime(t *testing.T) {
	dsn := pgtest.DSN(t)
	t.Run("never started", func(t *testing.T) {
		db := openDSN(t, dsn)
		write(t, db)
		if err := db.View(t.Context(), func(store.Reader) error { return nil }); err != nil {
			t.Fatal(err)
		}
		if db.gen.started.Load() {
			t.Error("a store that never called Generation started a listener")
		}
	})
	t.Run("closed", func(t *testing.T) {
		db, err := Open(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Generation(t.Context()); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the listener to be healthy", db.gen.healthy)
		done := db.gen.done
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		select {
		case <-done:
		default:
			t.Fatal("Close returned with the listener running")
		}
		if db.gen.healthy() {
			t.Error("the listener is healthy after Close")
		}
	})
}

func TestSplitCoherence(t *testing.T) {
	tests := []struct {
		name    string
		dsn     string
		wantDSN string
		want    coherence
		wantErr bool
	}{
		{"none in a URL", "postgres://u@h/db?sslmode=disable", "postgres://u@h/db?sslmode=disable", coherence{interval: time.Second}, false},
		{"none in keywords", "host=h dbname=db", "host=h dbname=db", coherence{interval: time.Second}, false},
		{"URL", "postgres://u@h/db?apikeyd_coherence=strict&sslmode=disable&apikeyd_coherence_interval=250ms",
			"postgres://u@h/db?sslmode=disable", coherence{strict: true, interval: 250 * time.Millisecond}, false},
		{"keywords", "host=h apikeyd_coherence=notify dbname=db apikeyd_coherence_interval = '2s'",
			"host=h dbname=db", coherence{interval: 2 * time.Second}, false},
		{"unknown mode", "postgres://h/db?apikeyd_coherence=eventual", "", coherence{}, true},
		{"bad interval", "host=h apikeyd_coherence_interval=soon", "", coherence{}, true},
		{"zero interval", "postgres://h/db?apikeyd_coherence_interval=0s", "", coherence{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dsn, got, err := splitCoherence(tt.dsn)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("splitCoherence(%q) = %q, %+v, want an error", tt.dsn, dsn, got)
				}
				return
			}
			if err != nil || dsn != tt.wantDSN || got != tt.want {
				t.Fatalf("splitCoherence(%q) = %q, %+v, %v, want %q, %+v", tt.dsn, dsn, got, err, tt.wantDSN, tt.want)
			}
		})
	}
}

// BenchmarkGeneration compares Generation answered by the listener
// (notify) with a read of the counter per call (strict).
func BenchmarkGeneration(b *testing.B) {
	dsn := pgtest.DSN(b)
	for _, mode := range []string{"notify", "strict"} {
		b.Run(mode, func(b *testing.B) {
			db := openDSN(b, dsn+"&apikeyd_coherence="+mode)
			ctx := context.Background()
			if _, err := db.Generation(ctx); err != nil {
				b.Fatal(err)
			}
			if mode == "notify" {
				waitFor(b, "the listener to be healthy", db.gen.healthy)
			}
			for b.Loop() {
				if _, err := db.Generation(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
