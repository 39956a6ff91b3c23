// Package apikey is the API key itself: id and secret generation, the
// encoded credential, the prefixed secret hash formats Elasticsearch uses
// (salted SHA-256, PBKDF2, bcrypt), and the rules for key names, metadata
// and the certificate identity of cross-cluster keys.
package apikey

import (
	"crypto/rand"
	"encoding/base64"
	"strings"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// MaxNameLength is the longest API key name Elasticsearch accepts.
const MaxNameLength = 256

// NewID returns a new key id, 20 characters of [A-Za-z0-9_-] like
// Elasticsearch's time-based ids: 15 bytes, whose first 42 bits are the
// creation instant in milliseconds and the other 78 random, in base64
// whose alphabet is in byte order. Ids made later sort after, so that new
// keys go to the end of every index on the id rather than to a random
// page of each; 42 bits of milliseconds last until 2109 and keep the
// first character a letter (never a "-" that a command line would take
// for a flag).
func NewID() string {
	var b [15]byte
	if _, err := rand.Read(b[:]); err != nil {
		// crypto/rand.Read never fails on supported platforms.
		panic("crypto/rand: " + err.Error())
	}
	head := uint64(time.Now().UnixMilli())<<6 | uint64(b[5]&0x3f)
	for i := range 6 {
		b[i] = byte(head >> (8 * (5 - i)))
	}
	return sortableBase64.EncodeToString(b[:])
}

// sortableBase64 is base64 over the URL-safe alphabet in ASCII order, so
// that encoded strings compare as the bytes they encode.
var sortableBase64 = base64.NewEncoding("-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz").WithPadding(base64.NoPadding)

// NewSecret returns a new key secret: 16 random bytes as 22 characters of
// URL-safe base64 without padding, as Elasticsearch 9 makes them.
func NewSecret() string {
	return randomString(16)
}

func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		// crypto/rand.Read never fails on supported platforms.
		panic("crypto/rand: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Encode returns the credential a client sends: standard base64, with
// padding, of "id:secret".
func Encode(id, secret string) string {
	return base64.StdEncoding.EncodeToString([]byte(id + ":" + secret))
}

// ValidateName adds Elasticsearch's API key name rules to v.
func ValidateName(name *string, v *api.Validation) {
	switch {
	case name == nil || *name == "":
		v.Add("api key name is required")
	case len([]rune(*name)) > MaxNameLength:
		v.Add("api key name may not be more than %d characters long", MaxNameLength)
	case *name != strings.TrimSpace(*name):
		v.Add("api key name may not begin or end with whitespace")
	case strings.HasPrefix(*name, "_"):
		v.Add("api key name may not begin with an underscore")
	}
}

// ValidateMetadata adds the reserved metadata key rule to v.
func ValidateMetadata(metadata api.Metadata, v *api.Validation) {
	if api.HasReservedKey(metadata) {
		v.Add("API key metadata keys may not start with [_]")
	}
}
