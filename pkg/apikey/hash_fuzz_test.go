package apikey

import (
	"crypto/pbkdf2"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// TestVerifyRefusesCostlyHashes pins that a hash whose cost no configurable
// algorithm has is refused at once rather than computed: a put user
// request's password_hash chooses it, and every login attempt would pay it.
func TestVerifyRefusesCostlyHashes(t *testing.T) {
	key := base64.StdEncoding.EncodeToString(make([]byte, pbkdf2KeyLen))
	bcrypt31, err := bcrypt.GenerateFromPassword([]byte("s3cret"), 4)
	if err != nil {
		t.Fatal(err)
	}
	copy(bcrypt31[4:6], "31")
	tests := []struct{ name, hash string }{
		{"pbkdf2 billion iterations", "{PBKDF2}1000000000$salt$" + key},
		{"pbkdf2 stretch past a million iterations", "{PBKDF2_STRETCH}1000001$salt$" + key},
		{"pbkdf2 huge key", "{PBKDF2}1000000$salt$" + base64.StdEncoding.EncodeToString(make([]byte, 1<<20))},
		{"bcrypt cost 31", string(bcrypt31)},
		{"bcrypt cost 3", "$2a$03$" + string(bcrypt31[7:])},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			if Verify(tt.hash, "s3cret") {
				t.Fatalf("Verify(%q) accepted", tt.hash)
			}
			if d := time.Since(start); d > time.Second {
				t.Fatalf("Verify(%q) took %v", tt.hash, d)
			}
		})
	}
	// The same formats at a configurable cost still verify.
	salt := "c2FsdA=="
	sum, err := pbkdf2.Key(sha512.New, "s3cret", []byte(salt), 1000, pbkdf2KeyLen)
	if err != nil {
		t.Fatal(err)
	}
	if hash := fmt.Sprintf("{PBKDF2}1000$%s$%s", salt, base64.StdEncoding.EncodeToString(sum)); !Verify(hash, "s3cret") {
		t.Fatalf("Verify(%q) refused", hash)
	}
}

// FuzzVerify checks the hash formats both ways: arbitrary stored hashes
// do not panic (nor hang: their cost is bounded), and a hash made by a
// hasher verifies its secret and no other.
func FuzzVerify(f *testing.F) {
	for _, s := range []string{"{SSHA256}abcdEFGHxxxx", "{PBKDF2}1000$salt$AAAA", "{PBKDF2_STRETCH}10000$$", "$2a$04$abc", "$2y$31$", "{SSHA256}", ""} {
		f.Add(s, "s3cret", uint8(0))
	}
	hashers := []string{"ssha256", "pbkdf2_1000", "pbkdf2_stretch_1000", "bcrypt4"}
	f.Fuzz(func(t *testing.T, stored, secret string, which uint8) {
		_ = Verify(stored, secret)
		h, err := NewHasher(hashers[int(which)%len(hashers)])
		if err != nil {
			t.Fatal(err)
		}
		// bcrypt reads no more than 72 bytes of a secret.
		if h.Name() == "bcrypt4" && len(secret) >= 72 {
			return
		}
		hash, err := h.Hash(secret)
		if err != nil {
			t.Fatal(err)
		}
		if !Verify(hash, secret) || Verify(hash, secret+"x") {
			t.Fatalf("%s hash %q of %q", h.Name(), hash, secret)
		}
	})
}
