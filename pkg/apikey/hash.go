package apikey

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// Hash prefixes of the stored formats, as Elasticsearch writes them.
const (
	prefixSSHA256       = "{SSHA256}"
	prefixPBKDF2        = "{PBKDF2}"
	prefixPBKDF2Stretch = "{PBKDF2_STRETCH}"
)

// saltAlphabet is the alphabet of SSHA256 salts.
const saltAlphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// Hasher hashes secrets into one stored format.
type Hasher interface {
	// Hash returns the prefixed hash of secret.
	Hash(secret string) (string, error)
	// Name is the algorithm name as configured (ssha256, pbkdf2_10000, bcrypt12 ...).
	Name() string
}

// NewHasher returns the hasher for an Elasticsearch hashing algorithm name:
// ssha256, bcrypt, bcrypt4..bcrypt14, pbkdf2, pbkdf2_<iterations>,
// pbkdf2_stretch, pbkdf2_stretch_<iterations>.
func NewHasher(algorithm string) (Hasher, error) {
	a := strings.ToLower(algorithm)
	switch {
	case a == "ssha256":
		return sshaHasher{}, nil
	case a == "bcrypt":
		return bcryptHasher{cost: 10}, nil
	case strings.HasPrefix(a, "bcrypt"):
		cost, err := strconv.Atoi(strings.TrimPrefix(a, "bcrypt"))
		if err != nil || cost < 4 || cost > 14 {
			break
		}
		return bcryptHasher{cost: cost}, nil
	case a == "pbkdf2":
		return pbkdf2Hasher{iterations: 10000}, nil
	case a == "pbkdf2_stretch":
		return pbkdf2Hasher{iterations: 10000, stretch: true}, nil
	case strings.HasPrefix(a, "pbkdf2_"):
		rest := strings.TrimPrefix(a, "pbkdf2_")
		stretch := strings.HasPrefix(rest, "stretch_")
		rest = strings.TrimPrefix(rest, "stretch_")
		n, err := strconv.Atoi(rest)
		if err != nil || !validIterations(n) {
			break
		}
		return pbkdf2Hasher{iterations: n, stretch: stretch}, nil
	}
	return nil, fmt.Errorf("invalid algorithm: %s. Valid values for password hashing are [ssha256, bcrypt, bcrypt4..bcrypt14, pbkdf2, pbkdf2_1000, pbkdf2_10000, pbkdf2_50000, pbkdf2_100000, pbkdf2_500000, pbkdf2_1000000, pbkdf2_stretch, pbkdf2_stretch_1000 .. pbkdf2_stretch_1000000]", algorithm)
}

func validIterations(n int) bool {
	switch n {
	case 1000, 10000, 50000, 100000, 500000, 1000000:
		return true
	}
	return false
}

// Verify reports whether secret matches hash, choosing the format from the
// hash's prefix, so keys hashed under an older default keep working. The
// comparison is constant-time.
func Verify(hash, secret string) bool {
	switch {
	case strings.HasPrefix(hash, prefixSSHA256):
		body := strings.TrimPrefix(hash, prefixSSHA256)
		if len(body) < 8 {
			return false
		}
		want := sshaDigest(secret, body[:8])
		return subtle.ConstantTimeCompare([]byte(want), []byte(body[8:])) == 1
	case strings.HasPrefix(hash, prefixPBKDF2Stretch):
		return verifyPBKDF2(strings.TrimPrefix(hash, prefixPBKDF2Stretch), stretch(secret))
	case strings.HasPrefix(hash, prefixPBKDF2):
		return verifyPBKDF2(strings.TrimPrefix(hash, prefixPBKDF2), secret)
	case strings.HasPrefix(hash, "$2a$"), strings.HasPrefix(hash, "$2b$"), strings.HasPrefix(hash, "$2y$"):
		// A cost outside bcrypt4..bcrypt14 is no hash Elasticsearch
		// writes: at 31 one check would take days.
		if cost, err := bcrypt.Cost([]byte(hash)); err != nil || cost < 4 || cost > 14 {
			return false
		}
		return bcrypt.CompareHashAndPassword([]byte(hash), []byte(secret)) == nil
	}
	return false
}

// IsSlow reports whether verifying hash costs real CPU time (PBKDF2,
// bcrypt), so that a verified result is worth caching.
func IsSlow(hash string) bool {
	return !strings.HasPrefix(hash, prefixSSHA256)
}

type sshaHasher struct{}

func (sshaHasher) Name() string { return "ssha256" }

func (sshaHasher) Hash(secret string) (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	salt := make([]byte, 8)
	for i, c := range b {
		salt[i] = saltAlphabet[int(c)%len(saltAlphabet)]
	}
	return prefixSSHA256 + string(salt) + sshaDigest(secret, string(salt)), nil
}

func sshaDigest(secret, salt string) string {
	sum := sha256.Sum256([]byte(secret + salt))
	return base64.StdEncoding.EncodeToString(sum[:])
}

type bcryptHasher struct{ cost int }

func (h bcryptHasher) Name() string {
	if h.cost == 10 {
		return "bcrypt"
	}
	return "bcrypt" + strconv.Itoa(h.cost)
}

func (h bcryptHasher) Hash(secret string) (string, error) {
	out, err := bcrypt.GenerateFromPassword([]byte(secret), h.cost)
	if err != nil {
		return "", fmt.Errorf("bcrypt: %w", err)
	}
	return string(out), nil
}

// pbkdf2KeyLen is the length in bytes of the PBKDF2 keys, 256 bits as
// Elasticsearch's.
const pbkdf2KeyLen = 32

// maxPBKDF2Iterations is the most iterations a configurable PBKDF2
// algorithm uses (pbkdf2_1000000).
const maxPBKDF2Iterations = 1_000_000

type pbkdf2Hasher struct {
	iterations int
	stretch    bool
}

func (h pbkdf2Hasher) Name() string {
	name := "pbkdf2"
	if h.stretch {
		name += "_stretch"
	}
	return name + "_" + strconv.Itoa(h.iterations)
}

func (h pbkdf2Hasher) Hash(secret string) (string, error) {
	salt := make([]byte, 32)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	prefix, input := prefixPBKDF2, secret
	if h.stretch {
		prefix, input = prefixPBKDF2Stretch, stretch(secret)
	}
	saltText := base64.StdEncoding.EncodeToString(salt)
	key, err := pbkdf2.Key(sha512.New, input, []byte(saltText), h.iterations, pbkdf2KeyLen)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s%d$%s$%s", prefix, h.iterations, saltText, base64.StdEncoding.EncodeToString(key)), nil
}

func verifyPBKDF2(body, input string) bool {
	parts := strings.Split(body, "$")
	if len(parts) != 3 {
		return false
	}
	// The work of a check is iterations times key blocks, both read from
	// the hash, which a put user request may supply: beyond the most
	// iterations a configurable algorithm uses, or a key longer than one
	// block, every login attempt would pay what the hash's author chose.
	n, err := strconv.Atoi(parts[0])
	if err != nil || n <= 0 || n > maxPBKDF2Iterations {
		return false
	}
	want, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(want) == 0 || len(want) > sha512.Size {
		return false
	}
	got, err := pbkdf2.Key(sha512.New, input, []byte(parts[1]), n, len(want))
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(got, want) == 1
}

// stretch is the input transform of the PBKDF2_STRETCH formats: the hex
// SHA-512 of the secret.
func stretch(secret string) string {
	sum := sha512.Sum512([]byte(secret))
	return hex.EncodeToString(sum[:])
}
