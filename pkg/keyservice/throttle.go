package keyservice

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
)

// FailureLimit is the brake on failed authentication, which Elasticsearch
// does not have: each client address, and each principal (user name or
// API key id), may fail Limit times per Window. Past that, an attempt of
// the client or for the principal is checked only if that costs no slow
// hash — a password that authenticated recently (the cache, as
// Elasticsearch's realm cache), an API key with a fast hash or a secret
// the cache verified — so a caller with a valid credential keeps working
// while guesses are answered 429 with Retry-After, and password guessing
// buys no bcrypt. Every refused attempt counts as a failure again.
type FailureLimit struct {
	// Limit is the failures allowed per window; 0 turns the brake off.
	Limit int
	// Window is the time over which Limit failures are given back.
	Window time.Duration
}

// maxThrottled bounds the addresses and principals the brake remembers;
// past it, the one met first is forgotten.
const maxThrottled = 100_000

// throttle is the token buckets of FailureLimit: a bucket holds Limit
// tokens, a failure takes one, and one comes back every Window/Limit. A
// full bucket is not stored.
type throttle struct {
	limit  float64
	refill time.Duration // the time one token takes to come back
	now    func() time.Time

	mu      sync.Mutex
	buckets map[string]bucket
	// stored is len(buckets), read without the lock: while nobody has
	// failed, authentication pays one atomic load for the brake.
	stored atomic.Int64
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newThrottle(l FailureLimit, now func() time.Time) *throttle {
	if l.Limit <= 0 || l.Window <= 0 {
		return nil
	}
	return &throttle{limit: float64(l.Limit), refill: l.Window / time.Duration(l.Limit), now: now, buckets: map[string]bucket{}}
}

// tokensLocked is what name's bucket holds now.
func (t *throttle) tokensLocked(name string, now time.Time) float64 {
	b, ok := t.buckets[name]
	if !ok {
		return t.limit
	}
	tokens := b.tokens + float64(now.Sub(b.at))/float64(t.refill)
	if tokens >= t.limit {
		delete(t.buckets, name)
		t.stored.Store(int64(len(t.buckets)))
		return t.limit
	}
	return tokens
}

// wait is how long until the buckets of the request's client and of the
// principal cred claims both hold a token; 0 when they do.
func (t *throttle) wait(ctx context.Context, cred auth.Credential) time.Duration {
	if t == nil || t.stored.Load() == 0 {
		return 0
	}
	var longest time.Duration
	for _, w := range t.waits(clientName(ctx), principalName(cred)) {
		longest = max(longest, w)
	}
	return longest
}

// waits is, for each of names, how long until its bucket holds a token: 0
// when it does, or when the name is "".
func (t *throttle) waits(names ...string) []time.Duration {
	out := make([]time.Duration, len(names))
	if t == nil {
		return out
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	for i, name := range names {
		if name == "" {
			continue
		}
		if tokens := t.tokensLocked(name, now); tokens < 1 {
			out[i] = time.Duration((1 - tokens) * float64(t.refill))
		}
	}
	return out
}

// fail takes a token from every bucket of names.
func (t *throttle) fail(names ...string) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	for _, name := range names {
		if name == "" {
			continue
		}
		tokens := t.tokensLocked(name, now)
		if _, ok := t.buckets[name]; !ok && len(t.buckets) >= maxThrottled {
			for other := range t.buckets {
				delete(t.buckets, other)
				break
			}
		}
		t.buckets[name] = bucket{tokens: max(tokens-1, 0), at: now}
	}
	t.stored.Store(int64(len(t.buckets)))
}

// stats reads the brake's counters; a nil brake is off.
func (t *throttle) stats() ThrottleStats {
	if t == nil {
		return ThrottleStats{}
	}
	return ThrottleStats{Enabled: true, Tracked: t.stored.Load()}
}

// clientName is the bucket of the request's client: its IP address (an
// IPv6 client by its /64, the block one host usually holds) — behind a
// trusted proxy the forwarded one (Origin.Client), so that one client
// does not brake every other behind the same proxy — or the OS user of a
// Unix socket peer; "" for a call that did not come over the network.
func clientName(ctx context.Context) string {
	o, ok := auth.OriginFrom(ctx)
	if !ok || o.Type != auth.OriginREST {
		return ""
	}
	if strings.HasPrefix(o.Address, "unix:") {
		return "client:" + o.Address
	}
	host, _, err := net.SplitHostPort(o.Address)
	if err != nil {
		host = o.Address
	}
	if o.Client.IsValid() {
		host = o.Client.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		host = ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return "client:" + host
}

// principalName is the bucket of the principal a credential claims. A
// long name (a client may send any) is remembered by its digest, so that
// the brake's memory stays bounded.
func principalName(cred auth.Credential) string {
	var name string
	switch cred.Scheme {
	case auth.SchemeBasic:
		name = "user:" + cred.Username
	case auth.SchemeAPIKey:
		name = "api_key:" + cred.KeyID
	default:
		return ""
	}
	if len(name) > 64 {
		sum := sha256.Sum256([]byte(name))
		name = "digest:" + hex.EncodeToString(sum[:])
	}
	return name
}

// tooManyFailures is the 429 of a throttled attempt.
func tooManyFailures(wait time.Duration) *api.Error {
	seconds := int(math.Ceil(wait.Seconds()))
	e := api.Errorf(api.TooManyRequests, "too many failed authentication attempts; retry in [%ds]", seconds)
	e.Header = map[string][]string{"Retry-After": {strconv.Itoa(seconds)}}
	return e
}

// slowHashes bounds the slow hash verifications (bcrypt, PBKDF2) running
// at once to half the processors, so that password guessing, however
// fast it comes, leaves the rest to authentication by API key.
type slowHashes chan struct{}

func newSlowHashes() slowHashes {
	return make(slowHashes, max(1, runtime.GOMAXPROCS(0)/2))
}

// acquire waits for a slot, to be given back with release; it fails
// when ctx ends first.
func (sh slowHashes) acquire(ctx context.Context) (release func(), err error) {
	select {
	case sh <- struct{}{}:
		return func() { <-sh }, nil
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}
