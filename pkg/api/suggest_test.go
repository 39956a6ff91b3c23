package api

import (
	"slices"
	"testing"
)

func TestSimilar(t *testing.T) {
	candidates := []string{"term", "terms", "range", "prefix", "pretty", "human"}
	tests := []struct {
		name      string
		in        string
		threshold float32
		want      []string
	}{
		{"one close candidate", "rnage", 0.5, []string{"range"}},
		{"most alike first, then by name", "termz", 0.7, []string{"term", "terms"}},
		{"nothing alike", "xyz", 0.5, []string{}},
		{"the threshold is exclusive", "prety", 0.8, []string{"pretty"}},
		{"exact match", "human", 0.99, []string{"human"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Similar(tt.in, candidates, tt.threshold); !slices.Equal(got, tt.want) {
				t.Errorf("Similar(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSimilarity(t *testing.T) {
	tests := []struct {
		a, b string
		want float32
	}{
		{"", "", 1},
		{"a", "", 0},
		{"kitten", "sitting", 1 - float32(3)/float32(7)},
		{"été", "ete", 1 - float32(2)/float32(3)},
	}
	for _, tt := range tests {
		if got := Similarity(tt.a, tt.b); got != tt.want {
			t.Errorf("Similarity(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
