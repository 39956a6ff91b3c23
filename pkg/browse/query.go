package browse

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/spf13/pflag"

	"github.com/apikeyctl/apikeyctl/pkg/keyflags"
)

// userQuery is a query typed in the query box: the text as typed and the
// query clause it means (nil: every key).
type userQuery struct {
	text string
	dsl  json.RawMessage
}

// historyMax is how many queries the box remembers in a session.
const historyMax = 20

// notInBox are apikeyctl query's flags that are no filter, with what the
// browser does instead; the box knows them to say so.
var notInBox = []struct {
	name    string
	boolean bool
	instead string
}{
	{"sort", false, "s and S choose the sort"},
	{"limit", false, "the browser loads pages as you scroll"},
	{"all", true, "the browser loads pages as you scroll"},
	{"page-size", false, "the browser's page size is browse --page-size"},
	{"query-json", false, "type the JSON itself, starting with {"},
	{"aggs", false, "aggregations are apikeyctl query's"},
	{"with-limited-by", true, "enter shows a key's card with what it is limited by"},
	{"with-profile-uid", true, "profile uids are apikeyctl query's"},
}

// parseQuery reads the query box. Text starting with { is query DSL: a
// query object ({"prefix":{"name":"app-"}}) or a request body that holds
// one ({"query":{...}}), of which only "query" is taken. Anything else is
// apikeyctl query's filter flags, quoted as in a shell. Empty text is
// every key.
func parseQuery(text string) (*userQuery, error) {
	text = strings.TrimSpace(text)
	if strings.HasPrefix(text, "{") {
		return rawQuery(text)
	}
	words, err := splitWords(text)
	if err != nil {
		return nil, err
	}
	var f keyflags.Filters
	fs := pflag.NewFlagSet("query", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f.Register(fs)
	for _, n := range notInBox {
		if n.boolean {
			fs.Bool(n.name, false, "")
		} else {
			fs.String(n.name, "", "")
		}
	}
	if err := fs.Parse(words); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return nil, errors.New("the query box takes apikeyctl query's filter flags, or query DSL starting with {: ? shows them")
		}
		return nil, err
	}
	for _, n := range notInBox {
		if fs.Changed(n.name) {
			return nil, fmt.Errorf("--%s is not a filter: %s", n.name, n.instead)
		}
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("the query box takes flags, not arguments: %q (quote a value with spaces)", fs.Args())
	}
	q, err := f.Query(nil)
	if err != nil {
		return nil, err
	}
	uq := &userQuery{text: text}
	if q != nil {
		uq.dsl, err = json.Marshal(q)
	}
	return uq, err
}

// rawQuery reads query DSL: the server judges the query itself.
func rawQuery(text string) (*userQuery, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(text), &obj); err != nil {
		return nil, fmt.Errorf("the query is not a JSON object: %v", err)
	}
	q, ok := obj["query"]
	if !ok {
		return &userQuery{text: text, dsl: json.RawMessage(text)}, nil
	}
	var others []string
	for k := range obj {
		if k != "query" {
			others = append(others, fmt.Sprintf("%q", k))
		}
	}
	if len(others) > 0 {
		slices.Sort(others)
		return nil, fmt.Errorf("the browser takes only \"query\" from a request body, not %s: s and S sort, pages load as you scroll", strings.Join(others, ", "))
	}
	return &userQuery{text: text, dsl: q}, nil
}

// splitWords splits a line into words as a POSIX shell does, without
// expansions: blanks separate words, '…' keeps everything as written,
// "…" keeps everything but \" and \\, and \ outside quotes keeps the next
// character.
func splitWords(line string) ([]string, error) {
	var (
		words []string
		word  strings.Builder
		in    bool // in a word
		quote rune
	)
	rs := []rune(line)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case quote == '\'':
			if r == '\'' {
				quote = 0
			} else {
				word.WriteRune(r)
			}
		case quote == '"':
			switch {
			case r == '"':
				quote = 0
			case r == '\\' && i+1 < len(rs) && (rs[i+1] == '"' || rs[i+1] == '\\'):
				i++
				word.WriteRune(rs[i])
			default:
				word.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == '\\':
			if i+1 == len(rs) {
				return nil, errors.New("the query ends with a lone \\")
			}
			i++
			word.WriteRune(rs[i])
			in = true
		case r == ' ' || r == '\t':
			if in {
				words = append(words, word.String())
				word.Reset()
				in = false
			}
		default:
			word.WriteRune(r)
			in = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("a %c quote is not closed", quote)
	}
	if in {
		words = append(words, word.String())
	}
	return words, nil
}

// openQuery opens the query box with text in it and, after a query that
// failed, its error above it.
func (m *Model) openQuery(text, errText string) {
	m.screen = screenQuery
	m.queryErr = errText
	m.queryBox.SetValue(text)
	m.queryBox.CursorEnd()
	m.queryBox.Focus()
	m.histPos = len(m.history)
	m.layout()
}

func (m *Model) closeQuery() {
	m.queryBox.Blur()
	m.queryErr = ""
	m.screen = screenList
	m.layout()
}

// queryBoxKey edits the query box: enter runs the query, esc closes the
// box, up and down walk the session's history.
func (m *Model) queryBoxKey(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.Code {
	case tea.KeyEscape:
		m.closeQuery()
		return nil
	case tea.KeyEnter:
		return m.submitQuery()
	case tea.KeyUp:
		m.walkHistory(-1)
		return nil
	case tea.KeyDown:
		m.walkHistory(1)
		return nil
	}
	var cmd tea.Cmd
	m.queryBox, cmd = m.queryBox.Update(msg)
	return cmd
}

// walkHistory shows the query delta steps older (-1) or newer (+1) than
// the one shown; past the newest is the text being typed.
func (m *Model) walkHistory(delta int) {
	pos := m.histPos + delta
	if pos < 0 || pos > len(m.history) {
		return
	}
	if m.histPos == len(m.history) {
		m.draft = m.queryBox.Value()
	}
	m.histPos = pos
	if pos == len(m.history) {
		m.queryBox.SetValue(m.draft)
	} else {
		m.queryBox.SetValue(m.history[pos])
	}
	m.queryBox.CursorEnd()
}

// remember puts text at the end of the history, once.
func (m *Model) remember(text string) {
	if text == "" {
		return
	}
	m.history = slices.DeleteFunc(m.history, func(h string) bool { return h == text })
	m.history = append(m.history, text)
	if len(m.history) > historyMax {
		m.history = m.history[len(m.history)-historyMax:]
	}
}

// submitQuery runs the query in the box. A mistake keeps the box open
// with the text and says what is wrong; otherwise the box closes and the
// list starts over with the query, which becomes the active one once the
// answer comes (an error reopens the box).
func (m *Model) submitQuery() tea.Cmd {
	text := strings.TrimSpace(m.queryBox.Value())
	m.remember(text)
	q, err := parseQuery(text)
	if err != nil {
		m.openQuery(m.queryBox.Value(), err.Error())
		return nil
	}
	m.closeQuery()
	m.pending = q
	return m.resort()
}

// queryText is what the status line says of the active query.
func (m *Model) queryText() string {
	if m.active == nil {
		return ""
	}
	return m.active.text
}

// queryBoxHelp is the help line under the query box.
func queryBoxHelp() []key.Binding {
	return []key.Binding{
		key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "run")),
		key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑/↓", "history")),
		key.NewBinding(key.WithKeys("{"), key.WithHelp("{…}", "query DSL")),
		key.NewBinding(key.WithKeys("enter"), key.WithHelp("empty", "every key")),
	}
}
