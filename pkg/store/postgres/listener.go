package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
)

// This file is the listener behind Generation: one connection of its own,
// outside the pool, that LISTENs on the change counter's channel and
// keeps the highest generation it hears of, so that authentications need
// no round trip to know that nothing changed.

const (
	// channelPrefix begins the name of the channel the change counter is
	// notified on; the counter table's oid ends it, so that stores in two
	// schemas of one database never hear each other.
	channelPrefix = "apikeyd_generation_"
	// channelSQL names the channel, resolving the counter table as the
	// write transactions do.
	channelSQL = "SELECT '" + channelPrefix + "' || 'store_generation'::regclass::oid::text"

	// coherenceParam and coherenceIntervalParam are the connection string
	// parameters of cache coherence, taken out before pgx sees the rest.
	coherenceParam         = "apikeyd_coherence"
	coherenceIntervalParam = "apikeyd_coherence_interval"
	// defaultInterval is how often the listener reads the counter to
	// confirm that it missed nothing, unless the connection string sets
	// apikeyd_coherence_interval.
	defaultInterval = time.Second
)

// keywordParam matches a coherence parameter in a key=value connection
// string, its value bare or single-quoted.
var keywordParam = regexp.MustCompile(`(?:^|\s)(` + coherenceParam + `(?:_interval)?)\s*=\s*(?:'([^']*)'|([^\s']*))`)

// coherence is how Generation keeps caches coherent.
type coherence struct {
	// strict reads the counter on every call; otherwise the listener
	// answers while it is healthy.
	strict bool
	// interval is the period of the listener's liveness reads.
	interval time.Duration
}

// splitCoherence takes the coherence parameters out of the connection
// string dsn: apikeyd_coherence (notify, the default, or strict) and
// apikeyd_coherence_interval (a positive duration such as 500ms or 2s).
// It returns the rest, for pgx, unchanged when there were none.
func splitCoherence(dsn string) (string, coherence, error) {
	c := coherence{interval: defaultInterval}
	values := map[string]string{}
	if IsDSN(dsn) {
		u, err := url.Parse(dsn)
		if err != nil {
			return dsn, c, nil // pgx says what is wrong with it
		}
		q := u.Query()
		for _, k := range []string{coherenceParam, coherenceIntervalParam} {
			if q.Has(k) {
				values[k] = q.Get(k)
				q.Del(k)
			}
		}
		if len(values) > 0 {
			u.RawQuery = q.Encode()
			dsn = u.String()
		}
	} else {
		for _, m := range keywordParam.FindAllStringSubmatch(dsn, -1) {
			values[m[1]] = m[2] + m[3]
		}
		dsn = keywordParam.ReplaceAllString(dsn, "")
	}
	if v, ok := values[coherenceParam]; ok {
		switch v {
		case "notify":
		case "strict":
			c.strict = true
		default:
			return "", c, fmt.Errorf("%s: want notify or strict, not %q", coherenceParam, v)
		}
	}
	if v, ok := values[coherenceIntervalParam]; ok {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return "", c, fmt.Errorf("%s: want a positive duration such as 500ms or 2s, not %q", coherenceIntervalParam, v)
		}
		c.interval = d
	}
	return dsn, c, nil
}

// generation is the state behind Generation and its listener.
type generation struct {
	coherence
	// config is the listener's connection's, a copy of the pool's.
	config *pgx.ConnConfig

	// n is the highest generation known committed: notified, read, or
	// committed by this process.
	n atomic.Uint64
	// confirmed is the number of the listener's last liveness read while
	// it is healthy, and 0 while it is not: it listens, and that read
	// began less than two intervals ago. A timer set at each read clears
	// it, unless a later read has replaced it, so that Generation needs
	// no clock.
	confirmed atomic.Uint64
	// reads counts the counter reads of Generation itself, and pid is the
	// server process of the listener's connection: for tests.
	reads atomic.Int64
	pid   atomic.Uint32

	// newTicker starts the liveness ticks and afterFunc the timers that
	// end a confirmation (as time.AfterFunc); tests replace them before
	// the first call of Generation.
	newTicker func(d time.Duration) (ticks <-chan time.Time, stop func())
	afterFunc func(d time.Duration, f func()) (stop func() bool)

	// started is set once the listener is started (at the first call of
	// Generation: a process that authenticates nothing, like apikeyctl
	// --store, never opens its connection); mu guards starting and
	// stopping.
	started atomic.Bool
	mu      sync.Mutex
	closed  bool
	cancel  context.CancelFunc
	// done is closed when the listener's goroutines have returned.
	done chan struct{}
}

// init sets up the generation state of a store whose pool connects with
// config.
func (g *generation) init(c coherence, config *pgx.ConnConfig) {
	config = config.Copy()
	// A canceled wait only sets a deadline on the socket: the connection
	// stays usable, and no cancel request reaches the server.
	config.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.DeadlineContextWatcherHandler{Conn: c.Conn()}
	}
	g.coherence, g.config = c, config
	g.newTicker = func(d time.Duration) (<-chan time.Time, func()) {
		t := time.NewTicker(d)
		return t.C, t.Stop
	}
	g.afterFunc = func(d time.Duration, f func()) func() bool {
		return time.AfterFunc(d, f).Stop
	}
}

// observe raises n to at least v and returns it.
func (g *generation) observe(v uint64) uint64 {
	for {
		n := g.n.Load()
		if v <= n {
			return n
		}
		if g.n.CompareAndSwap(n, v) {
			return v
		}
	}
}

// healthy reports whether the listener listens and its last liveness read
// began less than two intervals ago.
func (g *generation) healthy() bool {
	return g.confirmed.Load() != 0
}

// start starts the listener, once, unless the store is closed.
func (g *generation) start() {
	if g.started.Load() {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.started.Load() || g.closed {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	g.cancel, g.done = cancel, make(chan struct{})
	ticks, stop := g.newTicker(g.interval)
	l := &listener{g: g, ticks: ticks, pending: make(chan struct{}, 1)}
	forwarded := make(chan struct{})
	go func() {
		defer close(forwarded)
		l.forward(ctx)
	}()
	go func() {
		defer close(g.done)
		defer stop()
		l.run(ctx) // returns once ctx is done, as forward does
		<-forwarded
	}()
	g.started.Store(true)
}

// stop stops the listener, if it was started, and waits for it; a
// listener is never started after.
func (g *generation) stop() {
	g.mu.Lock()
	g.closed = true
	cancel, done := g.cancel, g.done
	g.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// listener is one run of the listener.
type listener struct {
	g     *generation
	ticks <-chan time.Time
	// pending holds a tick not yet acted on.
	pending chan struct{}
	// conn is the connection, nil while there is none; channel is the
	// channel it listens on, once listening is set.
	conn      *pgx.Conn
	channel   string
	listening bool
	// reads numbers the liveness reads; expire stops the timer of the
	// last confirmed one.
	reads  uint64
	expire func() bool

	// waitMu guards interrupt, which ends the wait for a notification.
	waitMu    sync.Mutex
	interrupt context.CancelFunc
}

// forward turns each tick into a pending one and interrupts the wait for
// a notification, until ctx is done.
func (l *listener) forward(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.ticks:
			select {
			case l.pending <- struct{}{}:
			default:
			}
			l.waitMu.Lock()
			if l.interrupt != nil {
				l.interrupt()
			}
			l.waitMu.Unlock()
		}
	}
}

// run listens until ctx is done: it connects, LISTENs and reads the
// counter (only then is it healthy), raises the generation with each
// notification, and reads the counter again at each tick. When any of
// that fails it is unhealthy, and tries again at the next tick.
func (l *listener) run(ctx context.Context) {
	defer l.disconnect()
	for ctx.Err() == nil {
		if !l.listening {
			if err := l.listen(ctx); err != nil {
				l.fail(err)
				l.waitTick(ctx)
				continue
			}
		}
		select {
		case <-l.pending:
			if err := l.confirm(ctx); err != nil {
				l.fail(err)
				l.waitTick(ctx)
			}
			continue
		default:
		}
		if err := l.wait(ctx); err != nil {
			l.fail(err)
			l.waitTick(ctx)
		}
	}
}

// listen connects unless connected, LISTENs, and confirms.
func (l *listener) listen(ctx context.Context) error {
	if l.conn == nil {
		conn, err := pgx.ConnectConfig(ctx, l.g.config)
		if err != nil {
			return err
		}
		l.conn = conn
		l.g.pid.Store(conn.PgConn().PID())
	}
	if err := l.conn.QueryRow(ctx, channelSQL).Scan(&l.channel); err != nil {
		return err
	}
	if _, err := l.conn.Exec(ctx, "LISTEN "+pgx.Identifier{l.channel}.Sanitize()); err != nil {
		return err
	}
	if err := l.confirm(ctx); err != nil {
		return err
	}
	l.listening = true
	return nil
}

// confirm reads the counter: every change committed before it began is
// then known, and the listener healthy.
func (l *listener) confirm(ctx context.Context) error {
	began := time.Now()
	ctx, cancel := context.WithTimeout(ctx, 2*l.g.interval)
	defer cancel()
	var n int64
	if err := l.conn.QueryRow(ctx, generationSQL).Scan(&n); err != nil {
		return err
	}
	l.g.observe(uint64(n))
	left := 2*l.g.interval - time.Since(began)
	if left <= 0 {
		return errors.New("the liveness read took two intervals")
	}
	l.stopExpiry()
	l.reads++
	read := l.reads
	l.g.confirmed.Store(read)
	l.expire = l.g.afterFunc(left, func() { l.g.confirmed.CompareAndSwap(read, 0) })
	return nil
}

// stopExpiry stops the timer of the last confirmation, if any.
func (l *listener) stopExpiry() {
	if l.expire != nil {
		l.expire()
		l.expire = nil
	}
}

// wait waits for a notification, a tick or the end of ctx; only a
// failure of the connection is an error.
func (l *listener) wait(ctx context.Context) error {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	l.waitMu.Lock()
	l.interrupt = cancel
	l.waitMu.Unlock()
	defer func() {
		l.waitMu.Lock()
		l.interrupt = nil
		l.waitMu.Unlock()
	}()
	if len(l.pending) > 0 {
		return nil
	}
	note, err := l.conn.WaitForNotification(wctx)
	if err != nil {
		if wctx.Err() != nil && !l.conn.IsClosed() {
			return nil
		}
		return err
	}
	if note.Channel == l.channel {
		if n, err := strconv.ParseUint(note.Payload, 10, 64); err == nil {
			l.g.observe(n)
		}
	}
	return nil
}

// waitTick waits for the next tick or the end of ctx.
func (l *listener) waitTick(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-l.pending:
	}
}

// fail marks the listener unhealthy after err. It keeps the connection
// when the server refused a statement on it (a hot standby refuses
// LISTEN until it is promoted), and closes it otherwise.
func (l *listener) fail(err error) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && l.conn != nil && !l.conn.IsClosed() {
		l.g.confirmed.Store(0)
		l.stopExpiry()
		l.listening = false
		return
	}
	l.disconnect()
}

// disconnect marks the listener unhealthy and closes its connection.
func (l *listener) disconnect() {
	l.g.confirmed.Store(0)
	l.stopExpiry()
	l.listening = false
	if l.conn != nil {
		closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		l.conn.Close(closeCtx)
		l.conn = nil
	}
}
