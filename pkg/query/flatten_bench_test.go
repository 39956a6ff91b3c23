package query

import "testing"

// BenchmarkFlatten measures flattening a typical metadata object.
func BenchmarkFlatten(b *testing.B) {
	raw := []byte(`{"env":"prod","team":"payments","tags":["ci","rotate","critical"],"version":1.50,"owner":{"team":"infra","oncall":true}}`)
	for b.Loop() {
		if _, err := Flatten(raw); err != nil {
			b.Fatal(err)
		}
	}
}
