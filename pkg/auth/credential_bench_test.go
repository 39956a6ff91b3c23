package auth

import (
	"encoding/base64"
	"testing"
)

func BenchmarkParseAuthorization(b *testing.B) {
	header := "ApiKey " + base64.StdEncoding.EncodeToString([]byte("VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw"))
	for b.Loop() {
		if _, err := ParseAuthorization(header); err != nil {
			b.Fatal(err)
		}
	}
}
