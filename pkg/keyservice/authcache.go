package keyservice

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// This file holds the caches of the authentication hot path: the records
// of API keys, decoded and with their subject built (Elasticsearch's
// API key document cache), and the users of the native realm with a
// digest of the password that last verified (its realm cache). Both are
// coherent with the store through store.Generation: an entry is used only
// while the generation it was read at is still the store's, so any commit,
// by this process or another sharing the database, is seen by the next
// authentication. Both are bounded in entries and in age.

// Defaults of the record caches.
const (
	// defaultKeyCacheMax bounds the cached key records, as Elasticsearch's
	// xpack.security.authc.api_key.cache.max_keys.
	defaultKeyCacheMax = 25000
	// defaultMissingKeyMax bounds the remembered unknown ids: clients that
	// keep using a deleted key cost a lookup in memory, not in the store.
	defaultMissingKeyMax = 10000
	// defaultKeyCacheTTL is the age of a key record, as Elasticsearch's
	// 5-minute API key document cache.
	defaultKeyCacheTTL = 5 * time.Minute
	// defaultUserCacheMax and defaultUserCacheTTL are Elasticsearch's
	// realm cache defaults, cache.max_users and cache.ttl.
	defaultUserCacheMax = 100000
	defaultUserCacheTTL = 20 * time.Minute
	// defaultDecodedMax bounds the distinct role descriptor sets kept
	// decoded (about one per key owner, and one per distinct set of a
	// key's own descriptors).
	defaultDecodedMax = 4096
)

// boundedCache maps names to entries read at a store generation, for at
// most ttl, holding at most max entries: when full, the entry put longest
// ago makes room (a ring of the names in the order they were put).
type boundedCache[E any] struct {
	mu      sync.RWMutex
	max     int
	ttl     time.Duration
	now     func() time.Time
	entries map[string]cached[E]
	// ring holds names in the order they were put, next the oldest
	// slot; a slot may name an entry since evicted.
	ring []string
	next int
	// hits, misses and evictions count the lookups and the entries put
	// out to make room, for the metrics (atomic: get takes no write lock).
	hits, misses, evictions atomic.Uint64
}

type cached[E any] struct {
	gen     uint64
	expires time.Time
	value   E
}

func newBoundedCache[E any](max int, ttl time.Duration, now func() time.Time) *boundedCache[E] {
	return &boundedCache[E]{max: max, ttl: ttl, now: now, entries: map[string]cached[E]{}, ring: make([]string, 0, max)}
}

// get returns the entry of name when it was read at generation gen and is
// not too old.
func (c *boundedCache[E]) get(name string, gen uint64) (E, bool) {
	c.mu.RLock()
	e, ok := c.entries[name]
	c.mu.RUnlock()
	if !ok || e.gen != gen || !c.now().Before(e.expires) {
		c.misses.Add(1)
		var zero E
		return zero, false
	}
	c.hits.Add(1)
	return e.value, true
}

// put stores the entry of name, read at generation gen.
func (c *boundedCache[E]) put(name string, gen uint64, value E) {
	expires := c.now().Add(c.ttl)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[name]; !ok {
		// Every entry has a slot, so there are never more than max; the
		// oldest slot makes room, whether its entry is still there or not
		// (an entry put again since keeps the older slot too, and goes a
		// little early).
		if len(c.ring) < c.max {
			c.ring = append(c.ring, name)
		} else {
			if _, held := c.entries[c.ring[c.next]]; held {
				c.evictions.Add(1)
			}
			delete(c.entries, c.ring[c.next])
			c.ring[c.next] = name
			c.next = (c.next + 1) % c.max
		}
	}
	c.entries[name] = cached[E]{gen: gen, expires: expires, value: value}
}

// stats reads the cache's counters, as the cache name.
func (c *boundedCache[E]) stats(name string) CacheStats {
	c.mu.RLock()
	n := len(c.entries)
	c.mu.RUnlock()
	return CacheStats{Name: name, Hits: c.hits.Load(), Misses: c.misses.Load(), Evictions: c.evictions.Load(), Entries: n}
}

// evict drops the entries of names, or every entry when names is nil.
func (c *boundedCache[E]) evict(names []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if names == nil {
		clear(c.entries)
		return
	}
	for _, name := range names {
		delete(c.entries, name)
	}
}

// evictWhere removes the entries for which drop holds.
func (c *boundedCache[E]) evictWhere(drop func(name string, value E) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for name, e := range c.entries {
		if drop(name, e.value) {
			delete(c.entries, name)
		}
	}
}

// keyRecord is a cached API key: the stored record, the subject it
// authenticates as and its allowed networks, parsed (or why either could
// not be built). The subject is shared by every request the key
// authenticates: it must not be changed.
type keyRecord struct {
	key        *store.APIKey
	subject    *auth.Subject
	networks   *networks
	subjectErr error
}

// userRecord is a cached user of the native realm that authenticated: a
// salted digest of the password that verified, and the user's subject,
// shared read-only like a key's.
type userRecord struct {
	digest  [32]byte
	subject *auth.Subject
}

// authCaches are the caches of the hot path.
type authCaches struct {
	keys    *boundedCache[*keyRecord]
	missing *boundedCache[struct{}]
	users   *boundedCache[*userRecord]
	// decoded holds role descriptors decoded from their stored JSON, by
	// that JSON: the limited-by snapshot of every key of an owner is one.
	decoded *boundedCache[api.RoleDescriptors]
	// salt makes the password digests useless outside this process.
	salt [16]byte
}

func newAuthCaches(now func() time.Time, salt [16]byte) *authCaches {
	return &authCaches{
		keys:    newBoundedCache[*keyRecord](defaultKeyCacheMax, defaultKeyCacheTTL, now),
		missing: newBoundedCache[struct{}](defaultMissingKeyMax, defaultKeyCacheTTL, now),
		users:   newBoundedCache[*userRecord](defaultUserCacheMax, defaultUserCacheTTL, now),
		decoded: newBoundedCache[api.RoleDescriptors](defaultDecodedMax, defaultKeyCacheTTL, now),
		salt:    salt,
	}
}

// descriptors decodes stored role descriptors, once per distinct JSON
// while it is in use. The result is shared: it must not be changed.
func (c *authCaches) descriptors(raw json.RawMessage) (api.RoleDescriptors, error) {
	// The JSON is its own key: the same bytes decode alike whatever the
	// store's generation.
	if rds, ok := c.decoded.get(string(raw), 0); ok {
		return rds, nil
	}
	var rds api.RoleDescriptors
	if err := unmarshalDescriptors(raw, &rds); err != nil {
		return nil, err
	}
	c.decoded.put(string(raw), 0, rds)
	return rds, nil
}

// passwordDigest is the salted digest a user record keeps of a password.
func (c *authCaches) passwordDigest(username, password string) [32]byte {
	h := sha256.New()
	h.Write(c.salt[:])
	h.Write([]byte(username))
	h.Write([]byte{0})
	h.Write([]byte(password))
	var d [32]byte
	h.Sum(d[:0])
	return d
}

// user returns the subject of a user whose password verified at
// generation gen, when password is that password.
func (c *authCaches) user(username, password string, gen uint64) (*auth.Subject, bool) {
	u, ok := c.users.get(username, gen)
	if !ok {
		return nil, false
	}
	d := c.passwordDigest(username, password)
	if subtle.ConstantTimeCompare(u.digest[:], d[:]) != 1 {
		return nil, false
	}
	return u.subject, true
}
