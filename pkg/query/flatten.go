package query

import (
	"bytes"
	"fmt"

	"github.com/apikeyctl/apikeyctl/pkg/strictjson"
)

// Leaf is one leaf of a key's metadata as Elasticsearch's flattened field
// indexes it: the dotted path of object keys down to it (array positions
// left out) and its value as text. Strings are their value, numbers the
// text they were written with, booleans true or false; nulls, empty
// objects and empty arrays have no leaf.
type Leaf struct {
	Path  string
	Value string
}

// Flatten lists the leaves of a metadata object in document order. Empty
// input has none.
func Flatten(raw []byte) ([]Leaf, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	root, err := strictjson.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("flatten metadata: %w", err)
	}
	var leaves []Leaf
	addLeaves(root, "", &leaves)
	return leaves, nil
}

// addLeaves appends the leaves of n, found at path, to leaves.
func addLeaves(n *strictjson.Node, path string, leaves *[]Leaf) {
	switch n.Kind {
	case strictjson.Object:
		for _, m := range n.Members {
			p := m.Key
			if path != "" {
				p = path + "." + m.Key
			}
			addLeaves(m.Value, p, leaves)
		}
	case strictjson.Array:
		for _, e := range n.Elems {
			addLeaves(e, path, leaves)
		}
	case strictjson.Null:
	default:
		text, _ := n.ScalarText()
		*leaves = append(*leaves, Leaf{path, text})
	}
}
