package query

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
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
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var leaves []Leaf
	// path holds the object keys above the current value; containers
	// marks the open containers that are arrays.
	var path []string
	var containers []bool // true for an array
	pendingKey := false
	join := func() string { return strings.Join(path, ".") }
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("flatten metadata: %w", err)
		}
		inObject := len(containers) > 0 && !containers[len(containers)-1]
		if inObject && !pendingKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				containers = containers[:len(containers)-1]
				endValue(&path, containers)
				continue
			}
			path = append(path, tok.(string))
			pendingKey = true
			continue
		}
		pendingKey = false
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				containers = append(containers, false)
			case '[':
				containers = append(containers, true)
			case ']':
				containers = containers[:len(containers)-1]
				endValue(&path, containers)
			}
			continue
		case string:
			leaves = append(leaves, Leaf{join(), v})
		case json.Number:
			leaves = append(leaves, Leaf{join(), v.String()})
		case bool:
			if v {
				leaves = append(leaves, Leaf{join(), "true"})
			} else {
				leaves = append(leaves, Leaf{join(), "false"})
			}
		case nil:
		}
		endValue(&path, containers)
	}
	return leaves, nil
}

// endValue pops the key of a member whose value just ended.
func endValue(path *[]string, containers []bool) {
	if len(containers) > 0 && !containers[len(containers)-1] && len(*path) > 0 {
		*path = (*path)[:len(*path)-1]
	}
}
