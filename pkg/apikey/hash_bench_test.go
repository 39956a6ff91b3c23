package apikey

import "testing"

// BenchmarkVerify verifies a secret against each hash of a fast format,
// the cost of an authentication whose record is cached.
func BenchmarkVerify(b *testing.B) {
	for _, algo := range []string{"ssha256", "pbkdf2_1000"} {
		b.Run(algo, func(b *testing.B) {
			h, err := NewHasher(algo)
			if err != nil {
				b.Fatal(err)
			}
			secret := NewSecret()
			hash, err := h.Hash(secret)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if !Verify(hash, secret) {
					b.Fatal("no match")
				}
			}
		})
	}
}
