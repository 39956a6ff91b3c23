package esapi

import (
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/orderedjson"
)

func TestFilterPath(t *testing.T) {
	doc := `{"a":{"b":1,"c":{"d":2,"e":[{"f":3,"g":4},{"f":5}]}},"h":[1,2],"i":"x"}`
	tests := []struct {
		name   string
		filter string
		want   string
	}{
		{"one field", "i", `{"i":"x"}`},
		{"nested field", "a.b", `{"a":{"b":1}}`},
		{"through an array", "a.c.e.f", `{"a":{"c":{"e":[{"f":3},{"f":5}]}}}`},
		{"several", "i,a.b", `{"a":{"b":1},"i":"x"}`},
		{"star segment", "a.*.d", `{"a":{"c":{"d":2}}}`},
		{"star in a name", "a.c.*", `{"a":{"c":{"d":2,"e":[{"f":3,"g":4},{"f":5}]}}}`},
		{"double star", "**.g", `{"a":{"c":{"e":[{"g":4}]}}}`},
		{"double star in the middle", "a.**.f", `{"a":{"c":{"e":[{"f":3},{"f":5}]}}}`},
		{"trailing double star", "a.c.**", `{"a":{"c":{"d":2,"e":[{"f":3,"g":4},{"f":5}]}}}`},
		{"scalar array kept whole", "h", `{"h":[1,2]}`},
		{"no match", "zz", `{}`},
		{"too deep into a scalar", "i.x", `{}`},
		{"exclude", "-a", `{"h":[1,2],"i":"x"}`},
		{"exclude nested", "-a.c.e.g,-h", `{"a":{"b":1,"c":{"d":2,"e":[{"f":3},{"f":5}]}},"i":"x"}`},
		{"include and exclude", "a,-a.c", `{"a":{"b":1}}`},
		{"blank entries", " , i ,", `{"i":"x"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tree, err := orderedjson.Decode([]byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			fp := parseFilterPath(tt.filter)
			if fp == nil {
				t.Fatalf("filter %q parsed to nothing", tt.filter)
			}
			if got := string(orderedjson.Encode(fp.apply(tree), orderedjson.Format{})); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
	if parseFilterPath(" , ") != nil {
		t.Errorf("an empty filter_path must filter nothing")
	}
}
