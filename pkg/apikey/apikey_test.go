package apikey

import (
	"crypto/sha256"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

func TestIDsAndSecrets(t *testing.T) {
	urlSafe := regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	seen := map[string]bool{}
	for range 1000 {
		id, secret := NewID(), NewSecret()
		if len(id) != 20 || len(secret) != 22 || !urlSafe.MatchString(id) || !urlSafe.MatchString(secret) {
			t.Fatalf("id %q secret %q", id, secret)
		}
		if seen[id] {
			t.Fatalf("duplicate id %s", id)
		}
		seen[id] = true
	}
	// The example of Elasticsearch's documentation.
	if got := Encode("VuaCfGcBCdbkQm-e5aOx", "ui2lp2axTNmsyakw9tvNnw"); got != "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==" {
		t.Fatalf("Encode = %s", got)
	}
}

func TestHashers(t *testing.T) {
	for _, algo := range []string{"ssha256", "bcrypt4", "pbkdf2_1000", "pbkdf2_stretch_1000"} {
		t.Run(algo, func(t *testing.T) {
			h, err := NewHasher(algo)
			if err != nil {
				t.Fatal(err)
			}
			hash, err := h.Hash("s3cret")
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(hash, "s3cret") {
				t.Fatal("hash contains the secret")
			}
			if !Verify(hash, "s3cret") || Verify(hash, "s3creT") || Verify(hash, "") {
				t.Fatalf("Verify with %s", hash)
			}
			again, _ := h.Hash("s3cret")
			if again == hash {
				t.Fatal("hashes are not salted")
			}
		})
	}
	if _, err := NewHasher("md5"); err == nil || !strings.Contains(err.Error(), "invalid algorithm: md5") {
		t.Fatalf("NewHasher(md5): %v", err)
	}
}

// TestSSHA256Format checks the stored format against its definition:
// {SSHA256} + 8-char salt + base64(sha256(secret || salt)).
func TestSSHA256Format(t *testing.T) {
	sum := sha256.Sum256([]byte("secret" + "abcdEFGH"))
	hash := "{SSHA256}abcdEFGH" + base64.StdEncoding.EncodeToString(sum[:])
	if !Verify(hash, "secret") || Verify(hash, "other") {
		t.Fatal("SSHA256 format not verified")
	}
	for _, bad := range []string{"", "{SSHA256}", "{SSHA256}short", "{PBKDF2}x$y", "{PBKDF2}10$salt$!!", "plain"} {
		if Verify(bad, "secret") {
			t.Fatalf("Verify(%q) accepted", bad)
		}
	}
}

func TestValidateName(t *testing.T) {
	long := strings.Repeat("é", MaxNameLength)
	tests := []struct {
		name string
		in   *string
		want string
	}{
		{"missing", nil, "api key name is required"},
		{"empty", ptr(""), "api key name is required"},
		{"256 runes", &long, ""},
		{"257 characters", ptr(long + "x"), "may not be more than 256 characters long"},
		{"trailing space", ptr("k "), "may not begin or end with whitespace"},
		{"underscore", ptr("_k"), "may not begin with an underscore"},
		{"inner underscore and space", ptr("my key_1"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v api.Validation
			ValidateName(tt.in, &v)
			got := strings.Join(v.Messages(), ";")
			if !strings.Contains(got, tt.want) || (tt.want == "" && got != "") {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func ptr(s string) *string { return &s }
