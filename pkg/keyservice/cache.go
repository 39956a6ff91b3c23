package keyservice

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"sync"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/apikey"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// Defaults of the verified-secret cache, as Elasticsearch's
// xpack.security.authc.api_key.cache.max_keys and cache.ttl.
const (
	defaultCacheMaxKeys = 25000
	defaultCacheTTL     = 24 * time.Hour
)

// secretCache remembers secrets that verified against slow hashes (PBKDF2,
// bcrypt), so that a key in use costs one SHA-256 instead of a slow hash
// per request. It holds a salted digest of the secret, never the secret,
// and is keyed by key id and stored hash: a key whose hash changed, or
// that is gone, no longer matches. The key record itself is always read
// from the store, so invalidation and expiry, by this process or another,
// take effect at once.
type secretCache struct {
	mu      sync.Mutex
	salt    [16]byte
	maxKeys int
	ttl     time.Duration
	now     func() time.Time
	entries map[string]cacheEntry
}

type cacheEntry struct {
	hash    string
	digest  [32]byte
	expires time.Time
}

func newSecretCache(now func() time.Time) *secretCache {
	c := &secretCache{maxKeys: defaultCacheMaxKeys, ttl: defaultCacheTTL, now: now, entries: map[string]cacheEntry{}}
	_, _ = rand.Read(c.salt[:])
	return c
}

func (c *secretCache) digest(secret string) [32]byte {
	h := sha256.New()
	h.Write(c.salt[:])
	h.Write([]byte(secret))
	var d [32]byte
	copy(d[:], h.Sum(nil))
	return d
}

// verify reports whether secret matches k's hash, from the cache when a
// slow hash already verified it.
func (c *secretCache) verify(k *store.APIKey, secret string) bool {
	if !apikey.IsSlow(k.Hash) {
		return apikey.Verify(k.Hash, secret)
	}
	d := c.digest(secret)
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[k.ID]
	c.mu.Unlock()
	if ok && e.hash == k.Hash && now.Before(e.expires) {
		return subtle.ConstantTimeCompare(e.digest[:], d[:]) == 1
	}
	if !apikey.Verify(k.Hash, secret) {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.maxKeys {
		// Evict an arbitrary entry: map order is random enough to keep a
		// full cache from pinning the oldest keys.
		for id := range c.entries {
			delete(c.entries, id)
			break
		}
	}
	c.entries[k.ID] = cacheEntry{hash: k.Hash, digest: d, expires: now.Add(c.ttl)}
	return true
}

// evict drops the entries of ids, or every entry when ids is nil.
func (c *secretCache) evict(ids []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ids == nil {
		clear(c.entries)
		return
	}
	for _, id := range ids {
		delete(c.entries, id)
	}
}
