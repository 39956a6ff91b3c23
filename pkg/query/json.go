package query

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// kind is the JSON kind of a node, named as Jackson names its tokens.
type kind int

const (
	kNull kind = iota
	kTrue
	kFalse
	kNumber
	kString
	kObject
	kArray
)

func (k kind) token() string {
	switch k {
	case kNull:
		return "VALUE_NULL"
	case kTrue, kFalse:
		return "VALUE_BOOLEAN"
	case kNumber:
		return "VALUE_NUMBER"
	case kString:
		return "VALUE_STRING"
	case kObject:
		return "START_OBJECT"
	}
	return "START_ARRAY"
}

// node is a parsed JSON value that remembers where it starts, so that
// errors can name a line and column as Elasticsearch's do.
type node struct {
	kind kind
	// text is a string's value or a number's literal text.
	text    string
	members []member
	elems   []*node
	// pos is the position of the value's first character.
	pos pos
}

// member is a member of an object, with the position of its name.
type member struct {
	key    string
	keyPos pos
	val    *node
}

// pos is a 1-based line and column, counted in characters.
type pos struct{ line, col int }

func (p pos) String() string { return fmt.Sprintf("[%d:%d]", p.line, p.col) }

// get returns the member named key.
func (n *node) get(key string) *node {
	for _, m := range n.members {
		if m.key == key {
			return m.val
		}
	}
	return nil
}

// scalarText is the text of a string, number or boolean, as Jackson's
// text() returns it; ok is false for other kinds.
func (n *node) scalarText() (string, bool) {
	switch n.kind {
	case kString, kNumber:
		return n.text, true
	case kTrue:
		return "true", true
	case kFalse:
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

// maxDepth is the deepest nesting accepted, as Jackson's default
// StreamReadConstraints (1000) allows.
const maxDepth = 1000

// syntaxErr is a JSON syntax error at a position.
type syntaxErr struct {
	at  pos
	msg string
}

func (e *syntaxErr) Error() string { return e.at.String() + " " + e.msg }

// parseJSON parses one JSON value that fills data (whitespace aside).
func parseJSON(data []byte) (*node, error) {
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

func (p *parser) here() pos { return pos{p.line, p.col} }

// advance moves past one character.
func (p *parser) advance() {
	if p.off >= len(p.data) {
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
		return &syntaxErr{p.here(), "Unexpected end-of-input: " + expecting}
	}
	r, _ := utf8.DecodeRune(p.data[p.off:])
	return &syntaxErr{p.here(), fmt.Sprintf("Unexpected character (%s (code %d)): %s", quoteRune(r), r, expecting)}
}

func quoteRune(r rune) string {
	if r < 0x20 {
		return fmt.Sprintf("CTRL-CHAR, code %d", r)
	}
	return "'" + string(r) + "'"
}

func (p *parser) value() (*node, error) {
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
		return &node{kind: kString, text: s, pos: start}, nil
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number(start)
	case c == 't':
		return p.literal("true", kTrue, start)
	case c == 'f':
		return p.literal("false", kFalse, start)
	case c == 'n':
		return p.literal("null", kNull, start)
	}
	return nil, p.unexpected("expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')")
}

func (p *parser) literal(word string, k kind, start pos) (*node, error) {
	if !strings.HasPrefix(string(p.data[p.off:min(len(p.data), p.off+len(word))]), word) {
		return nil, &syntaxErr{start, "Unrecognized token: was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')"}
	}
	for range word {
		p.advance()
	}
	return &node{kind: k, pos: start}, nil
}

func (p *parser) number(start pos) (*node, error) {
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
		return nil, &syntaxErr{start, "Invalid numeric value: Leading zeroes not allowed"}
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
	return &node{kind: kNumber, text: string(p.data[from:p.off]), pos: start}, nil
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
				return "", &syntaxErr{p.here(), fmt.Sprintf("Unrecognized character escape %s (code %d)", quoteRune(rune(e)), e)}
			}
		default:
			r, size := utf8.DecodeRune(p.data[p.off:])
			if r == utf8.RuneError && size == 1 {
				return "", &syntaxErr{p.here(), "Invalid UTF-8 middle byte"}
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

func (p *parser) object(start pos) (*node, error) {
	if p.depth++; p.depth > maxDepth {
		return nil, &syntaxErr{start, fmt.Sprintf("Document nesting depth (%d) exceeds the maximum allowed (%d)", p.depth, maxDepth)}
	}
	defer func() { p.depth-- }()
	p.advance()
	n := &node{kind: kObject, pos: start, members: []member{}}
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
			return nil, &syntaxErr{keyPos, fmt.Sprintf("Duplicate field '%s'", key)}
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
		n.members = append(n.members, member{key: key, keyPos: keyPos, val: v})
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

func (p *parser) array(start pos) (*node, error) {
	if p.depth++; p.depth > maxDepth {
		return nil, &syntaxErr{start, fmt.Sprintf("Document nesting depth (%d) exceeds the maximum allowed (%d)", p.depth, maxDepth)}
	}
	defer func() { p.depth-- }()
	p.advance()
	n := &node{kind: kArray, pos: start, elems: []*node{}}
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
		n.elems = append(n.elems, v)
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
