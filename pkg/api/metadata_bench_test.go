package api

import (
	"bytes"
	"encoding/json"
	"testing"
)

// BenchmarkMetadata decodes and encodes a typical metadata object as
// Metadata, and as the map it replaced for comparison.
func BenchmarkMetadata(b *testing.B) {
	raw := []byte(`{"env":"prod","team":"payments","tags":["ci","rotate","critical"],"version":1.50,"owner":{"team":"infra","oncall":true}}`)
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var m Metadata
			if err := json.Unmarshal(raw, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode-map", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.UseNumber()
			var m map[string]any
			if err := dec.Decode(&m); err != nil {
				b.Fatal(err)
			}
		}
	})
	var m Metadata
	var mm map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		b.Fatal(err)
	}
	mm = m.Map()
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encode-map", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(mm); err != nil {
				b.Fatal(err)
			}
		}
	})
}
