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

	if c.verify(k, "wrong") {
		t.Fatal("a wrong secret verified")
	}
	if len(c.entries) != 0 {
		t.Fatal("a failed verification was cached")
	}
	if !c.verify(k, "right") || len(c.entries) != 1 {
		t.Fatal("a verified slow hash is not cached")
	}
	if !c.verify(k, "right") || c.verify(k, "wrong") {
		t.Fatal("the cached entry answers wrongly")
	}
	// A changed hash does not match the cached entry.
	other, _ := h.Hash("new")
	if c.verify(&store.APIKey{ID: "k1", Hash: other}, "right") {
		t.Fatal("the cache outlived the key's hash")
	}
	c.evict(nil)
	if len(c.entries) != 0 {
		t.Fatal("evict(nil) left entries")
	}
	// Fast hashes are never cached.
	fast, _ := apikey.NewHasher("ssha256")
	fh, _ := fast.Hash("s")
	if !c.verify(&store.APIKey{ID: "k2", Hash: fh}, "s") || len(c.entries) != 0 {
		t.Fatal("an ssha256 verification was cached")
	}
	// Entries expire after the TTL.
	c.verify(k, "right")
	now = now.Add(defaultCacheTTL + time.Second)
	if c.verify(k, "wrong") {
		t.Fatal("an expired entry answered")
	}
}
