// Package strictjson parses request bodies as Elasticsearch does: strictly
// (duplicate fields, nesting deeper than 1,000 levels and invalid UTF-8 are
// refused), keeping the order of object members and the position of every
// value, and reporting errors with Jackson's messages at a [line:column]
// counted in characters. It is the one reader of request JSON; it imports
// nothing of this module.
package strictjson

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Kind is the JSON kind of a Node.
type Kind int

// The kinds of JSON values.
const (
	Null Kind = iota
	True
	False
	Number
	String
	Object
	Array
)

// Token is the kind as Jackson names its tokens (VALUE_STRING,
// START_OBJECT, ...), as Elasticsearch's errors name them.
func (k Kind) Token() string {
	switch k {
	case Null:
		return "VALUE_NULL"
	case True, False:
		return "VALUE_BOOLEAN"
	case Number:
		return "VALUE_NUMBER"
	case String:
		return "VALUE_STRING"
	case Object:
		return "START_OBJECT"
	}
	return "START_ARRAY"
}

// Node is a parsed JSON value.
type Node struct {
	Kind Kind
	// Text is a string's value or a number's literal text.
	Text string
	// Members are an object's members, in the document's order.
	Members []Member
	// Elems are an array's elements.
	Elems []*Node
	// Pos is the position of the value's first character.
	Pos Pos
	// Start and End are the byte offsets of the value in the document:
	// data[Start:End] is its JSON text.
	Start, End int
}

// Member is a member of an object, with the position of its name.
type Member struct {
	Key    string
	KeyPos Pos
	Value  *Node
}

// Pos is a 1-based line and column, counted in characters.
type Pos struct{ Line, Col int }

// String renders the position as Elasticsearch does: [line:col].
func (p Pos) String() string { return fmt.Sprintf("[%d:%d]", p.Line, p.Col) }

// Get returns the value of the member named key; nil when there is none.
func (n *Node) Get(key string) *Node {
	for _, m := range n.Members {
		if m.Key == key {
			return m.Value
		}
	}
	return nil
}

// ScalarText is the text of a string, number or boolean, as Jackson's
// text() returns it; ok is false for other kinds.
func (n *Node) ScalarText() (string, bool) {
	switch n.Kind {
	case String, Number:
		return n.Text, true
	case True:
		return "true", true
	case False:
		return "false", true
	}
	return "", false
}

// parser is a strict JSON parser that keeps positions.
type parser struct {
	data []byte
	off  int
	line int
	col  int
	// depth guards against stack exhaustion on hostile input.
	depth int
}

// MaxDepth is the deepest nesting accepted, as Jackson's default
// StreamReadConstraints (1000) allows.
const MaxDepth = 1000

// SyntaxError is a JSON syntax error at a position, with Jackson's
// message.
type SyntaxError struct {
	At  Pos
	Msg string
}

func (e *SyntaxError) Error() string { return e.At.String() + " " + e.Msg }

// Parse parses the one JSON value that fills data (white space aside).
func Parse(data []byte) (*Node, error) {
	p := &parser{data: data, line: 1, col: 1}
	p.skipSpace()
	n, err := p.value()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.off < len(p.data) {
		return nil, p.unexpected("expected end of input")
	}
	return n, nil
}

func (p *parser) here() Pos { return Pos{p.line, p.col} }

// advance moves past one character.
func (p *parser) advance() {
	if p.off >= len(p.data) {
		return
	}
	if c := p.data[p.off]; c < utf8.RuneSelf && c != '\n' {
		p.off++
		p.col++
		return
	}
	r, size := utf8.DecodeRune(p.data[p.off:])
	p.off += size
	if r == '\n' {
		p.line++
		p.col = 1
	} else {
		p.col++
	}
}

func (p *parser) skipSpace() {
	for p.off < len(p.data) {
		switch p.data[p.off] {
		case ' ', '\t', '\r', '\n':
			p.advance()
		default:
			return
		}
	}
}

func (p *parser) unexpected(expecting string) error {
	if p.off >= len(p.data) {
		return &SyntaxError{p.here(), "Unexpected end-of-input: " + expecting}
	}
	r, _ := utf8.DecodeRune(p.data[p.off:])
	return &SyntaxError{p.here(), fmt.Sprintf("Unexpected character (%s (code %d)): %s", quoteRune(r), r, expecting)}
}

func quoteRune(r rune) string {
	if r < 0x20 {
		return fmt.Sprintf("CTRL-CHAR, code %d", r)
	}
	return "'" + string(r) + "'"
}

// value parses the value at the current position.
func (p *parser) value() (*Node, error) {
	from := p.off
	n, err := p.parseValue()
	if err != nil {
		return nil, err
	}
	n.Start, n.End = from, p.off
	return n, nil
}

func (p *parser) parseValue() (*Node, error) {
	if p.off >= len(p.data) {
		return nil, p.unexpected("expected a value")
	}
	start := p.here()
	switch c := p.data[p.off]; {
	case c == '{':
		return p.object(start)
	case c == '[':
		return p.array(start)
	case c == '"':
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		return &Node{Kind: String, Text: s, Pos: start}, nil
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number(start)
	case c == 't':
		return p.literal("true", True, start)
	case c == 'f':
		return p.literal("false", False, start)
	case c == 'n':
		return p.literal("null", Null, start)
	}
	return nil, p.unexpected("expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')")
}

func (p *parser) literal(word string, k Kind, start Pos) (*Node, error) {
	if !strings.HasPrefix(string(p.data[p.off:min(len(p.data), p.off+len(word))]), word) {
		return nil, &SyntaxError{start, "Unrecognized token: was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')"}
	}
	for range word {
		p.advance()
	}
	return &Node{Kind: k, Pos: start}, nil
}

func (p *parser) number(start Pos) (*Node, error) {
	from := p.off
	if p.data[p.off] == '-' {
		p.advance()
	}
	digits := func() int {
		n := 0
		for p.off < len(p.data) && p.data[p.off] >= '0' && p.data[p.off] <= '9' {
			p.advance()
			n++
		}
		return n
	}
	intStart := p.off
	if digits() == 0 {
		return nil, p.unexpected("expected digit (0-9) to follow minus sign, for valid numeric value")
	}
	if p.data[intStart] == '0' && p.off-intStart > 1 {
		return nil, &SyntaxError{start, "Invalid numeric value: Leading zeroes not allowed"}
	}
	if p.off < len(p.data) && p.data[p.off] == '.' {
		p.advance()
		if digits() == 0 {
			return nil, p.unexpected("Decimal point not followed by a digit")
		}
	}
	if p.off < len(p.data) && (p.data[p.off] == 'e' || p.data[p.off] == 'E') {
		p.advance()
		if p.off < len(p.data) && (p.data[p.off] == '+' || p.data[p.off] == '-') {
			p.advance()
		}
		if digits() == 0 {
			return nil, p.unexpected("Exponent indicator not followed by a digit")
		}
	}
	return &Node{Kind: Number, Text: string(p.data[from:p.off]), Pos: start}, nil
}

func (p *parser) str() (string, error) {
	p.advance() // the opening quote
	var b strings.Builder
	for {
		if p.off >= len(p.data) {
			return "", p.unexpected("was expecting closing quote for a string value")
		}
		c := p.data[p.off]
		switch {
		case c == '"':
			p.advance()
			return b.String(), nil
		case c < 0x20:
			return "", p.unexpected("Illegal unquoted character: has to be escaped using backslash to be included in string value")
		case c == '\\':
			p.advance()
			if p.off >= len(p.data) {
				return "", p.unexpected("was expecting an escaped character")
			}
			e := p.data[p.off]
			p.advance()
			switch e {
			case '"', '\\', '/':
				b.WriteByte(e)
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				r, err := p.hex4()
				if err != nil {
					return "", err
				}
				if utf16.IsSurrogate(r) && p.off+1 < len(p.data) && p.data[p.off] == '\\' && p.data[p.off+1] == 'u' {
					save := *p
					p.advance()
					p.advance()
					r2, err := p.hex4()
					if err == nil {
						if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
							b.WriteRune(d)
							continue
						}
					}
					*p = save
				}
				b.WriteRune(r)
			default:
				return "", &SyntaxError{p.here(), fmt.Sprintf("Unrecognized character escape %s (code %d)", quoteRune(rune(e)), e)}
			}
		default:
			r, size := utf8.DecodeRune(p.data[p.off:])
			if r == utf8.RuneError && size == 1 {
				return "", &SyntaxError{p.here(), "Invalid UTF-8 middle byte"}
			}
			b.WriteRune(r)
			p.advance()
		}
	}
}

func (p *parser) hex4() (rune, error) {
	if p.off+4 > len(p.data) {
		return 0, p.unexpected("expected a hex-digit for character escape sequence")
	}
	v, err := strconv.ParseUint(string(p.data[p.off:p.off+4]), 16, 32)
	if err != nil {
		return 0, p.unexpected("expected a hex-digit for character escape sequence")
	}
	for range 4 {
		p.advance()
	}
	return rune(v), nil
}

func (p *parser) object(start Pos) (*Node, error) {
	if p.depth++; p.depth > MaxDepth {
		return nil, &SyntaxError{start, fmt.Sprintf("Document nesting depth (%d) exceeds the maximum allowed (%d)", p.depth, MaxDepth)}
	}
	defer func() { p.depth-- }()
	p.advance()
	n := &Node{Kind: Object, Pos: start, Members: []Member{}}
	seen := map[string]bool{}
	p.skipSpace()
	if p.off < len(p.data) && p.data[p.off] == '}' {
		p.advance()
		return n, nil
	}
	for {
		p.skipSpace()
		if p.off >= len(p.data) || p.data[p.off] != '"' {
			return nil, p.unexpected("was expecting double-quote to start field name")
		}
		keyPos := p.here()
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		if seen[key] {
			return nil, &SyntaxError{keyPos, fmt.Sprintf("Duplicate field '%s'", key)}
		}
		seen[key] = true
		p.skipSpace()
		if p.off >= len(p.data) || p.data[p.off] != ':' {
			return nil, p.unexpected("was expecting a colon to separate field name and value")
		}
		p.advance()
		p.skipSpace()
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		n.Members = append(n.Members, Member{Key: key, KeyPos: keyPos, Value: v})
		p.skipSpace()
		if p.off >= len(p.data) {
			return nil, p.unexpected("expected close marker for Object")
		}
		switch p.data[p.off] {
		case ',':
			p.advance()
		case '}':
			p.advance()
			return n, nil
		default:
			return nil, p.unexpected("was expecting comma to separate Object entries")
		}
	}
}

func (p *parser) array(start Pos) (*Node, error) {
	if p.depth++; p.depth > MaxDepth {
		return nil, &SyntaxError{start, fmt.Sprintf("Document nesting depth (%d) exceeds the maximum allowed (%d)", p.depth, MaxDepth)}
	}
	defer func() { p.depth-- }()
	p.advance()
	n := &Node{Kind: Array, Pos: start, Elems: []*Node{}}
	p.skipSpace()
	if p.off < len(p.data) && p.data[p.off] == ']' {
		p.advance()
		return n, nil
	}
	for {
		p.skipSpace()
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		n.Elems = append(n.Elems, v)
		p.skipSpace()
		if p.off >= len(p.data) {
			return nil, p.unexpected("expected close marker for Array")
		}
		switch p.data[p.off] {
		case ',':
			p.advance()
		case ']':
			p.advance()
			return n, nil
		default:
			return nil, p.unexpected("was expecting comma to separate Array entries")
		}
	}
}
