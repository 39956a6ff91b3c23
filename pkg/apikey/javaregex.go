package apikey

import (
	"errors"
	"regexp"
	"strings"

	"github.com/dlclark/regexp2"
)

// compileJavaRegex reports whether pattern compiles as java.util.regex
// compiles it, the way Elasticsearch checks a certificate identity.
// regexp2 (a backtracking engine with .NET's syntax) does the compiling;
// first toDotNet rewrites the constructs Java has and .NET lacks, and
// refuses those that .NET has and Java does not.
func compileJavaRegex(pattern string) error {
	dotNet, err := toDotNet(pattern)
	if err != nil {
		return err
	}
	_, err = regexp2.Compile(dotNet, regexp2.None)
	return err
}

var (
	errJavaSyntax = errors.New("not a Java regular expression")
	// quantifierBraces is a {n}, {n,} or {n,m} quantifier at the start of
	// a string.
	quantifierBraces = regexp.MustCompile(`^\{[0-9]+(,[0-9]*)?\}`)
	// javaGroupName is a name Java takes for a named group.
	javaGroupName = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9]*$`)
	// javaOnlyProperty is a \p{...} name of Java's own: java* methods,
	// Is/In script, block and category forms, POSIX classes.
	javaOnlyProperty = regexp.MustCompile(`^(java[A-Za-z]+|Is[A-Za-z_]+|In[A-Za-z_]+|Lower|Upper|ASCII|Alpha|Digit|Alnum|Punct|Graph|Print|Blank|Cntrl|XDigit|Space|(script|sc|block|blk|general_category|gc)=[A-Za-z_]+)$`)
)

// toDotNet rewrites a Java pattern into one .NET compiles alike:
//
//   - \Q...\E quotes become escaped literals;
//   - possessive quantifiers (X*+, X{2}+) lose the +, which changes how
//     they match but not whether they compile;
//   - \h, \H, \R, \X and \x{...}, and \p{...} names of Java's own, become
//     classes .NET has;
//   - Java's inline flags d, u and U are dropped.
//
// It refuses what Java refuses and .NET would take: a { that starts no
// quantifier outside a class, the inline flag n, comments (?#...),
// conditionals (?(...)...), (?'name'...) groups and group names that are
// not a letter and letters or digits.
func toDotNet(p string) (string, error) {
	var b strings.Builder
	inClass := 0 // depth of [...] (Java nests classes)
	afterAtom := false
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c == '\\':
			if i+1 >= len(p) {
				return "", errJavaSyntax
			}
			n := p[i+1]
			switch n {
			case 'Q':
				end := strings.Index(p[i+2:], `\E`)
				lit := p[i+2:]
				next := len(p)
				if end >= 0 {
					lit, next = p[i+2:i+2+end], i+2+end+2
				}
				for _, r := range lit {
					if inClass > 0 {
						if strings.ContainsRune(`\]^-[`, r) {
							b.WriteByte('\\')
						}
						b.WriteRune(r)
					} else {
						b.WriteString(regexp2.Escape(string(r)))
					}
				}
				i, afterAtom = next, lit != ""
				continue
			case 'h', 'H':
				switch {
				case inClass > 0 && n == 'h':
					b.WriteString(`\s`)
				case inClass > 0:
					b.WriteString(`\S`)
				case n == 'h':
					b.WriteString(`[ \t\xA0]`)
				default:
					b.WriteString(`[^ \t\xA0]`)
				}
			case 'R', 'X':
				if inClass > 0 {
					return "", errJavaSyntax
				}
				if n == 'R' {
					b.WriteString(`(?:\r\n|[\n\v\f\r\x85])`)
				} else {
					b.WriteString(`.`)
				}
			case 'x':
				if i+2 < len(p) && p[i+2] == '{' {
					end := strings.IndexByte(p[i+2:], '}')
					if end < 0 || !isHex(p[i+3:i+2+end]) {
						return "", errJavaSyntax
					}
					b.WriteString(`\u0041`)
					i += 2 + end + 1
					afterAtom = true
					continue
				}
				b.WriteString(p[i : i+2])
			case 'p', 'P':
				if i+2 < len(p) && p[i+2] == '{' {
					end := strings.IndexByte(p[i+2:], '}')
					if end < 0 {
						return "", errJavaSyntax
					}
					name := p[i+3 : i+2+end]
					if javaOnlyProperty.MatchString(name) {
						b.WriteString(`\` + string(n) + `{L}`)
					} else {
						b.WriteString(p[i : i+3+end])
					}
					i += 2 + end + 1
					afterAtom = true
					continue
				}
				b.WriteString(p[i : i+2])
			case 'k':
				if i+2 < len(p) && p[i+2] == '<' {
					end := strings.IndexByte(p[i+2:], '>')
					if end < 0 || !javaGroupName.MatchString(p[i+3:i+2+end]) {
						return "", errJavaSyntax
					}
				} else {
					return "", errJavaSyntax
				}
				b.WriteString(p[i : i+2])
			default:
				b.WriteString(p[i : i+2])
			}
			i += 2
			afterAtom = true
			continue
		case inClass > 0:
			switch c {
			case '[':
				inClass++
			case ']':
				inClass--
			}
			b.WriteByte(c)
			i++
			afterAtom = inClass == 0
			continue
		case c == '[':
			inClass = 1
			b.WriteByte(c)
			i++
			// A ] first in a class (after an optional ^) is a literal.
			if i < len(p) && p[i] == '^' {
				b.WriteByte('^')
				i++
			}
			if i < len(p) && p[i] == ']' {
				b.WriteByte(']')
				i++
			}
			continue
		case c == '{':
			q := quantifierBraces.FindString(p[i:])
			if q == "" {
				return "", errJavaSyntax // "Illegal repetition"
			}
			b.WriteString(q)
			i += len(q)
			i = skipPossessive(p, i, &b)
			afterAtom = false
			continue
		case c == '*' || c == '+' || c == '?':
			b.WriteByte(c)
			i++
			if afterAtom {
				i = skipPossessive(p, i, &b)
			}
			afterAtom = false
			continue
		case c == '(' && strings.HasPrefix(p[i:], "(?"):
			rest := p[i+2:]
			switch {
			case strings.HasPrefix(rest, "#"), strings.HasPrefix(rest, "'"), strings.HasPrefix(rest, "("):
				return "", errJavaSyntax
			case strings.HasPrefix(rest, "<") && !strings.HasPrefix(rest, "<=") && !strings.HasPrefix(rest, "<!"):
				end := strings.IndexByte(rest, '>')
				if end < 0 || !javaGroupName.MatchString(rest[1:end]) {
					return "", errJavaSyntax
				}
			case len(rest) > 0 && (rest[0] == '-' || 'a' <= rest[0]|0x20 && rest[0]|0x20 <= 'z'):
				end := strings.IndexAny(rest, ":)")
				if end < 0 {
					return "", errJavaSyntax
				}
				flags := rest[:end]
				if strings.Trim(flags, "idmsuxU-") != "" {
					return "", errJavaSyntax // "Unknown inline modifier"
				}
				kept := strings.Map(func(r rune) rune {
					if r == 'd' || r == 'u' || r == 'U' {
						return -1
					}
					return r
				}, flags)
				if kept == "" || kept == "-" {
					kept = "i-i" // a no-op flag group: the group stays well formed
				}
				b.WriteString("(?" + kept)
				i += 2 + len(flags)
				afterAtom = false
				continue
			}
			b.WriteString("(?")
			i += 2
			afterAtom = false
			continue
		}
		b.WriteByte(c)
		i++
		afterAtom = c != '(' && c != '|'
	}
	return b.String(), nil
}

// skipPossessive skips the + of a possessive quantifier after a
// quantifier ending at i, writing the ? of a lazy one.
func skipPossessive(p string, i int, b *strings.Builder) int {
	if i < len(p) && p[i] == '+' {
		return i + 1
	}
	if i < len(p) && p[i] == '?' {
		b.WriteByte('?')
		return i + 1
	}
	return i
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return true
}
