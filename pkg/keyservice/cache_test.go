package keyservice

import (
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/apikey"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

func TestSecretCache(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	c := newSecretCache(func() time.Time { return now })
	h, _ := apikey.NewHasher("pbkdf2_1000")
	hash, _ := h.Hash("right")
	k := &store.APIKey{ID: "k1", Hash: hash}
	verify := func(k *store.APIKey, secret string) bool { return c.verify(k.ID, k.Hash, secret) }

	if verify(k, "wrong") {
		t.Fatal("a wrong secret verified")
	}
	if len(c.entries.entries) != 0 {
		t.Fatal("a failed verification was cached")
	}
	if !verify(k, "right") || len(c.entries.entries) != 1 {
		t.Fatal("a verified slow hash is not cached")
	}
	if !verify(k, "right") || verify(k, "wrong") || !c.known(k.ID, k.Hash) {
		t.Fatal("the cached entry answers wrongly")
	}
	// A changed hash does not match the cached entry.
	other, _ := h.Hash("new")
	if verify(&store.APIKey{ID: "k1", Hash: other}, "right") {
		t.Fatal("the cache outlived the key's hash")
	}
	c.evict(nil)
	if len(c.entries.entries) != 0 {
		t.Fatal("evict(nil) left entries")
	}
	// Fast hashes are never cached.
	fast, _ := apikey.NewHasher("ssha256")
	fh, _ := fast.Hash("s")
	if !verify(&store.APIKey{ID: "k2", Hash: fh}, "s") || len(c.entries.entries) != 0 {
		t.Fatal("an ssha256 verification was cached")
	}
	// Entries expire after the TTL.
	verify(k, "right")
	now = now.Add(defaultCacheTTL + time.Second)
	if verify(k, "wrong") {
		t.Fatal("an expired entry answered")
	}
}

// TestBoundedCache: never more entries than its bound, the oldest put
// evicted first, entries of another generation or too old not returned.
func TestBoundedCache(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	c := newBoundedCache[int](3, time.Minute, func() time.Time { return now })
	for i, name := range []string{"a", "b", "c", "d"} {
		c.put(name, 1, i)
	}
	if _, ok := c.get("a", 1); ok {
		t.Error("the oldest entry was not evicted")
	}
	for _, name := range []string{"b", "c", "d"} {
		if _, ok := c.get(name, 1); !ok {
			t.Errorf("entry %s is gone", name)
		}
	}
	if _, ok := c.get("b", 2); ok {
		t.Error("an entry of another generation was returned")
	}
	c.evict([]string{"c"})
	c.put("e", 1, 5)
	c.put("f", 1, 6)
	if n := len(c.entries); n > 3 {
		t.Errorf("%d entries, bound 3", n)
	}
	if v, ok := c.get("f", 1); !ok || v != 6 {
		t.Errorf("f = %v, %v", v, ok)
	}
	now = now.Add(2 * time.Minute)
	if _, ok := c.get("f", 1); ok {
		t.Error("an expired entry was returned")
	}
	// Many puts past the bound stay bounded and cost no more each.
	for i := range 10000 {
		c.put(string(rune('A'+i%50))+string(rune(i)), 1, i)
	}
	if n := len(c.entries); n > 3 {
		t.Errorf("%d entries after many puts, bound 3", n)
	}
}
