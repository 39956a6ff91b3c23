package api

import (
	"slices"
	"testing"
)

// TestJavaHashOrder: the orders a java.util.HashMap (OpenJDK 17) iterated
// these keys in, put in the order given; the cases were printed by a Java
// program over the same keys.
func TestJavaHashOrder(t *testing.T) {
	tests := []struct {
		name       string
		keys, want []string
	}{
		{"written order and the HashMap's agree", []string{"level", "trusted", "tags"}, []string{"level", "trusted", "tags"}},
		{"the Elasticsearch docs' example", []string{"application", "environment"}, []string{"environment", "application"}},
		{"two keys", []string{"z", "a"}, []string{"a", "z"}},
		{"six keys", []string{"team", "env", "tags", "version", "owner", "rotated"}, []string{"owner", "rotated", "team", "env", "version", "tags"}},
		{"13 keys: a table of 32", []string{"tYgjmU", "h.Bel31iEl"}, []string{"tYgjmU", "h.Bel31iEl"}},
		{"25 keys: a table of 64", []string{"rL1spNxny", "2hpChYgCf"}, []string{"rL1spNxny", "2hpChYgCf"}},
		{"ten keys in one bucket of 16: a resize at the ninth", []string{"!", "1", "A", "Q", "a", "q", "\u0081", "\u0091", "\u00a1", "\u00b1"}, []string{"!", "A", "a", "\u0081", "\u00a1", "1", "Q", "q", "\u0091", "\u00b1"}},
		{"twelve keys in one bucket", []string{"0", "@", "P", "`", "p", "\u0080", "\u0090", "\u00a0", "\u00b0", "\u00c0", "\u00d0", "\u00e0"}, []string{"@", "`", "\u0080", "\u00a0", "\u00c0", "\u00e0", "0", "P", "p", "\u0090", "\u00b0", "\u00d0"}},
		{"nine in one bucket and two others", []string{"a!", "a1", "aA", "aQ", "aa", "aq", "a\u0081", "a\u0091", "a\u00a1", "x", "y"}, []string{"a!", "aA", "aa", "a\u0081", "a\u00a1", "a1", "aQ", "aq", "a\u0091", "x", "y"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, i := range javaHashOrder(tt.keys) {
				got = append(got, tt.keys[i])
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}
