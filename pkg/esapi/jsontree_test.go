package esapi

import "testing"

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
			tree, err := parseTree([]byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			fp := parseFilterPath(tt.filter)
			if fp == nil {
				t.Fatalf("filter %q parsed to nothing", tt.filter)
			}
			if got := string(fp.apply(tree).render(false)); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
	if parseFilterPath(" , ") != nil {
		t.Errorf("an empty filter_path must filter nothing")
	}
}

func TestRender(t *testing.T) {
	tests := []struct {
		name, in, compact, pretty string
	}{
		{"scalars", `{"a":1.50,"b":"<&>","c":null,"d":true}`, `{"a":1.50,"b":"<&>","c":null,"d":true}`,
			"{\n  \"a\" : 1.50,\n  \"b\" : \"<&>\",\n  \"c\" : null,\n  \"d\" : true\n}\n"},
		{"empty containers", `{"a":{},"b":[]}`, `{"a":{},"b":[]}`, "{\n  \"a\" : { },\n  \"b\" : [ ]\n}\n"},
		{"array of scalars", `[1,"x"]`, `[1,"x"]`, "[\n  1,\n  \"x\"\n]\n"},
		{"unicode key", `{"é\u2028":1}`, `{"é\u2028":1}`, "{\n  \"é\\u2028\" : 1\n}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tree, err := parseTree([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if got := string(tree.render(false)); got != tt.compact {
				t.Errorf("compact %s, want %s", got, tt.compact)
			}
			if got := string(tree.render(true)); got != tt.pretty {
				t.Errorf("pretty %q, want %q", got, tt.pretty)
			}
		})
	}
}

func TestParseTreeRejectsTrailingData(t *testing.T) {
	if _, err := parseTree([]byte(`{} {}`)); err == nil {
		t.Error("want an error for two documents")
	}
}

func TestSimilarity(t *testing.T) {
	tests := []struct {
		a, b string
		want float32
	}{
		{"owner", "owner", 1},
		{"ownr", "owner", 0.8},
		{"", "", 1},
		{"", "x", 0},
		{"abc", "xyz", 0},
	}
	for _, tt := range tests {
		if got := similarity(tt.a, tt.b); got != tt.want {
			t.Errorf("similarity(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"abc", "abc", true},
		{"abc", "abd", false},
		{"*", "anything", true},
		{"a*", "abc", true},
		{"*c", "abc", true},
		{"a*c", "abbbc", true},
		{"a*c", "abcd", false},
		{"a*b*c", "axbyc", true},
		{"a*b*c", "axcyb", false},
	}
	for _, tt := range tests {
		if got := globMatch(tt.pattern, tt.name); got != tt.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
}
