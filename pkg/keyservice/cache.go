package keyservice

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/apikey"
)

// Defaults of the verified-secret cache, as Elasticsearch's
// xpack.security.authc.api_key.cache.max_keys and cache.ttl.
const (
	defaultCacheMaxKeys = 25000
	defaultCacheTTL     = 24 * time.Hour
)

// secretCache remembers secrets that verified against slow hashes (PBKDF2,
// bcrypt) — API key secrets and user passwords, as Elasticsearch's API key
// and realm caches do — so that a credential in use costs one SHA-256
// instead of a slow hash per request. It holds a salted digest of the
// secret, never the secret, and is keyed by key id (or userCacheID) and
// stored hash: a credential whose hash changed, or that is gone, no longer
// matches. The key record itself is always read
// from the store, so invalidation and expiry, by this process or another,
// take effect at once.
type secretCache struct {
	salt    [16]byte
	entries *boundedCache[secretEntry]
}

type secretEntry struct {
	hash   string
	digest [32]byte
}

func newSecretCache(now func() time.Time) *secretCache {
	c := &secretCache{entries: newBoundedCache[secretEntry](defaultCacheMaxKeys, defaultCacheTTL, now)}
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

// userCacheID is the cache id of a user's password: "/" is in no API key
// id.
func userCacheID(username string) string { return "user/" + username }

// verify reports whether secret matches hash, the stored hash of the
// credential id, from the cache when a slow hash already verified it.
func (c *secretCache) verify(id, hash, secret string) bool {
	if !apikey.IsSlow(hash) {
		return apikey.Verify(hash, secret)
	}
	d := c.digest(secret)
	// Entries do not depend on the store's generation: they are keyed by
	// the hash itself.
	if e, ok := c.entries.get(id, 0); ok && e.hash == hash {
		return subtle.ConstantTimeCompare(e.digest[:], d[:]) == 1
	}
	if !apikey.Verify(hash, secret) {
		return false
	}
	c.entries.put(id, 0, secretEntry{hash: hash, digest: d})
	return true
}

// known reports whether verify answers for the credential id without a
// slow hash: its hash is fast, or the cache holds an entry for it.
func (c *secretCache) known(id, hash string) bool {
	if !apikey.IsSlow(hash) {
		return true
	}
	e, ok := c.entries.get(id, 0)
	return ok && e.hash == hash
}

// evict drops the entries of ids, or every entry when ids is nil.
func (c *secretCache) evict(ids []string) { c.entries.evict(ids) }
