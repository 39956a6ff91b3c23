package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParse(t *testing.T) {
	doc := "{\n  \"name\" : \"é-key\",\n  \"n\": -1.5e3, \"ok\": true, \"tags\": [\"a\", null], \"o\": {}\n}"
	root, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if root.Kind != Object || len(root.Members) != 5 {
		t.Fatalf("root = %+v", root)
	}
	tests := []struct {
		key      string
		kind     Kind
		text     string
		keyPos   Pos
		raw      string
		children int
	}{
		{"name", String, "é-key", Pos{2, 3}, `"é-key"`, 0},
		{"n", Number, "-1.5e3", Pos{3, 3}, `-1.5e3`, 0},
		{"ok", True, "", Pos{3, 16}, `true`, 0},
		{"tags", Array, "", Pos{3, 28}, `["a", null]`, 2},
		{"o", Object, "", Pos{3, 49}, `{}`, 0},
	}
	for i, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			m := root.Members[i]
			v := root.Get(tt.key)
			if m.Key != tt.key || v != m.Value {
				t.Fatalf("member %d is %q", i, m.Key)
			}
			if v.Kind != tt.kind || v.Text != tt.text || m.KeyPos != tt.keyPos {
				t.Errorf("got kind %v text %q key at %v, want %v %q %v", v.Kind, v.Text, m.KeyPos, tt.kind, tt.text, tt.keyPos)
			}
			if raw := doc[v.Start:v.End]; raw != tt.raw {
				t.Errorf("raw %q, want %q", raw, tt.raw)
			}
			if n := len(v.Elems) + len(v.Members); n != tt.children {
				t.Errorf("%d children, want %d", n, tt.children)
			}
		})
	}
	if root.Get("missing") != nil {
		t.Error("Get of a missing member is not nil")
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"duplicate field", `{"a":1,"a":2}`, `[1:8] Duplicate field 'a'`},
		{"too deep", strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1), `[1:1001] Document nesting depth (1001) exceeds the maximum allowed (1000)`},
		{"invalid UTF-8", "{\"a\":\"\xff\"}", `[1:7] Invalid UTF-8 middle byte`},
		{"trailing data", `{} x`, `[1:4] Unexpected character ('x' (code 120)): expected end of input`},
		{"unterminated", `{"a":`, `[1:6] Unexpected end-of-input: expected a value`},
		{"leading zero", `01`, `[1:1] Invalid numeric value: Leading zeroes not allowed`},
		{"bad literal", `tru`, `[1:1] Unrecognized token: was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')`},
		{"bad escape", `"\q"`, `[1:4] Unrecognized character escape 'q' (code 113)`},
		{"control character", "\"a\x01\"", `[1:3] Unexpected character (CTRL-CHAR, code 1 (code 1)): Illegal unquoted character: has to be escaped using backslash to be included in string value`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in))
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want a *SyntaxError", err)
			}
			if err.Error() != tt.want {
				t.Errorf("err = %q\nwant  %q", err, tt.want)
			}
		})
	}
}

func TestDepthLimitIsInclusive(t *testing.T) {
	doc := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	if _, err := Parse([]byte(doc)); err != nil {
		t.Errorf("nesting of exactly %d: %v", MaxDepth, err)
	}
}

// FuzzParse checks that Parse never panics, that an error is a
// SyntaxError at a position within the input, that what it accepts is JSON,
// and that every value's offsets hold its JSON text, which parses to the
// same kind (strings to what encoding/json reads).
func FuzzParse(f *testing.F) {
	for _, s := range []string{`{"a":[1,{"b":null}],"c":"\u00e9"}`, `[]`, `"x"`, `-0.5E+3`, `{"a":{}}`, `{"a":1,"a":2}`} {
		f.Add([]byte(s))
	}
	for _, s := range []string{strings.Repeat("[", MaxDepth+1), "{\"a\":\"\xff\"}", "\n\n  {\"a\" 1}", "{\"a\":\"\\ud800\\u0041\"}", "1e99999", "\"\\u12\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		root, err := Parse(data)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("%q: %T %v is not a SyntaxError", data, err, err)
			}
			// The position is a character of the input or the end of a
			// line, lines split at \n, every byte of invalid UTF-8 one
			// character.
			lines := bytes.Split(data, []byte("\n"))
			if se.At.Line < 1 || se.At.Line > len(lines) || se.At.Col < 1 || se.At.Col > utf8.RuneCount(lines[se.At.Line-1])+1 {
				t.Fatalf("%q: error %v is outside the input", data, err)
			}
			return
		}
		if !json.Valid(data) {
			t.Fatalf("%q: accepted, but it is not JSON", data)
		}
		var walk func(n *Node)
		walk = func(n *Node) {
			sub, err := Parse(data[n.Start:n.End])
			if err != nil || sub.Kind != n.Kind {
				t.Fatalf("value at %v: %q does not re-parse as %v: %v", n.Pos, data[n.Start:n.End], n.Kind, err)
			}
			var want string
			if n.Kind == String && (json.Unmarshal(data[n.Start:n.End], &want) != nil || want != n.Text) {
				t.Fatalf("string at %v: %q read as %q, encoding/json reads %q", n.Pos, data[n.Start:n.End], n.Text, want)
			}
			for _, m := range n.Members {
				walk(m.Value)
			}
			for _, e := range n.Elems {
				walk(e)
			}
		}
		walk(root)
	})
}
