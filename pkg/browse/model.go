package browse

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/output"
)

// screen is what the browser shows.
type screen int

const (
	screenList screen = iota
	screenFilter
	screenDetail
	screenConfirm
	screenCloneName
	screenCloneCredential
	screenSecret
	screenSecretPath
	screenQuery
	screenEdit
	screenEditConfirm
)

// sortFields are the fields s cycles through, as the Query API keys API
// names them.
var sortFields = []string{"creation", "name", "username", "type", "expiration", "invalidated"}

// nearEnd is how close to the last loaded key the cursor comes before the
// next page is asked for.
const nearEnd = 10

// Model is the browser's state: a bubbletea model.
type Model struct {
	ctx  context.Context
	opts Options
	term *output.Terminal
	km   keyMap
	help help.Model

	width, height int
	screen        screen

	// keys are the loaded keys in the server's order; total is the number
	// of keys the query matches; more says whether another page may
	// follow the last one.
	keys    []api.APIKey
	total   int
	more    bool
	loading bool
	// gen counts the reloads: the answer to an older one is dropped.
	gen int

	sortIdx int
	desc    bool

	filter  textinput.Model
	visible []int // indices into keys that match the filter
	lines   []string
	header  string
	cursor  int // index into visible
	offset  int // first visible row on screen
	marked  map[string]bool

	detail     viewport.Model
	detailKey  api.APIKey
	detailNote string
	// detailFamily is the key's family tree, drawn below its card.
	detailFamily string

	// active is the query of the query box the list shows (nil: every
	// key); pending is one typed whose answer has not come yet.
	active, pending *userQuery
	queryBox        textinput.Model
	// queryErr is what was wrong with the query in the box.
	queryErr string
	// history are the queries typed in this session, oldest first;
	// histPos is the one shown in the box (len(history): draft, the
	// text being typed).
	history []string
	histPos int
	draft   string

	edit *edit

	input      textinput.Model
	confirmIDs []string
	cloneName  string
	secret     *api.CreateAPIKeyResponse

	status    string
	statusErr bool
	quitting  bool
}

// New returns the browser's model; Run shows it.
func New(ctx context.Context, opts Options) *Model {
	if opts.PageSize <= 0 {
		opts.PageSize = DefaultPageSize
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Getenv == nil {
		opts.Getenv = func(string) string { return "" }
	}
	term := newTerminal(opts.IOStreams, opts.Now())
	m := &Model{
		ctx:      ctx,
		opts:     opts,
		term:     term,
		km:       newKeyMap(),
		help:     help.New(),
		width:    term.Width,
		height:   24,
		desc:     true,
		marked:   map[string]bool{},
		filter:   newInput(term, "/"),
		input:    newInput(term, "> "),
		queryBox: newInput(term, ":"),
		detail:   viewport.New(viewport.WithWidth(term.Width), viewport.WithHeight(20)),
	}
	bold, muted := bubbleStyles(term)
	m.help.Styles = help.Styles{
		Ellipsis:       muted,
		ShortKey:       bold,
		ShortDesc:      muted,
		ShortSeparator: muted,
		FullKey:        bold,
		FullDesc:       muted,
		FullSeparator:  muted,
	}
	m.loading = true
	m.layout()
	return m
}

// bubbleStyles are term's bold and muted styles for the bubbles (the help
// and the inputs), which take Lip Gloss v2 styles where pkg/output renders
// with v1: the same SGR attributes when term has colour, none without, as
// output's styles do.
func bubbleStyles(term *output.Terminal) (bold, muted lipgloss.Style) {
	if !term.Color {
		return lipgloss.NewStyle(), lipgloss.NewStyle()
	}
	return lipgloss.NewStyle().Bold(true), lipgloss.NewStyle().Foreground(lipgloss.Color("8"))
}

// newInput is a text input styled by term. Its cursor is the terminal's
// own (View places it), so that the screen holds no attribute NO_COLOR
// would not want.
func newInput(term *output.Terminal, prompt string) textinput.Model {
	in := textinput.New()
	in.Prompt = prompt
	in.SetVirtualCursor(false)
	bold, muted := bubbleStyles(term)
	state := textinput.StyleState{
		Text:        lipgloss.NewStyle(),
		Placeholder: muted,
		Suggestion:  muted,
		Prompt:      bold,
	}
	in.SetStyles(textinput.Styles{
		Focused: state,
		Blurred: state,
		Cursor:  textinput.CursorStyle{Blink: false},
	})
	return in
}

// Init loads the first page and starts the refresh clock.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(m.query(nil, m.opts.PageSize, nil, true, true), m.tick())
}

// refreshMsg is the refresh clock's beat.
type refreshMsg struct{}

func (m *Model) tick() tea.Cmd {
	if m.opts.Refresh <= 0 {
		return nil
	}
	return tea.Tick(m.opts.Refresh, func(time.Time) tea.Msg { return refreshMsg{} })
}

// Update handles a message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.SetWidth(msg.Width)
		m.layout()
		return m, nil
	case refreshMsg:
		var cmd tea.Cmd
		if !m.loading {
			cmd = m.reload()
		}
		return m, tea.Batch(cmd, m.tick())
	case pageMsg:
		return m, m.gotPage(msg)
	case detailMsg:
		m.gotDetail(msg)
		return m, nil
	case invalidatedMsg:
		return m, m.gotInvalidated(msg)
	case clonedMsg:
		return m, m.gotClone(msg)
	case updatedMsg:
		return m, m.gotUpdate(msg)
	case doneMsg:
		m.setStatus(msg.text, msg.err)
		return m, nil
	case tea.MouseMsg:
		return m, m.mouse(msg)
	case tea.PasteMsg:
		return m, m.paste(msg)
	case tea.KeyPressMsg:
		if msg.String() == "ctrl+c" {
			return m.quit()
		}
		return m.key(msg)
	}
	return m, nil
}

func (m *Model) quit() (tea.Model, tea.Cmd) {
	m.forgetSecret()
	m.quitting = true
	return m, tea.Quit
}

// forgetSecret drops the clone's secret: it is shown once.
func (m *Model) forgetSecret() { m.secret = nil }

func (m *Model) setStatus(text string, err error) {
	m.status, m.statusErr = text, err != nil
	if err != nil {
		m.status = text + err.Error()
	}
}

func (m *Model) key(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	switch m.screen {
	case screenFilter:
		return m, m.filterKey(msg)
	case screenQuery:
		return m, m.queryBoxKey(msg)
	case screenEdit:
		return m, m.editKey(msg)
	case screenEditConfirm:
		return m, m.editConfirmKey(msg)
	case screenDetail:
		return m.detailKeyMsg(msg)
	case screenConfirm:
		return m, m.confirmKey(msg)
	case screenCloneName, screenCloneCredential, screenSecretPath:
		return m, m.promptKey(msg)
	case screenSecret:
		return m, m.secretKey(msg)
	}
	return m.listKey(msg)
}

func (m *Model) listKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	rows := m.bodyHeight() - 1
	// A message stays until the next key.
	m.setStatus("", nil)
	switch {
	case key.Matches(msg, m.km.Quit):
		return m.quit()
	case key.Matches(msg, m.km.Up):
		return m, m.move(-1)
	case key.Matches(msg, m.km.Down):
		return m, m.move(1)
	case key.Matches(msg, m.km.PageUp):
		return m, m.move(-rows)
	case key.Matches(msg, m.km.PageDown):
		return m, m.move(rows)
	case key.Matches(msg, m.km.Home):
		return m, m.move(-len(m.visible))
	case key.Matches(msg, m.km.End):
		return m, m.move(len(m.visible))
	case key.Matches(msg, m.km.Filter):
		m.screen = screenFilter
		m.filter.Focus()
		m.layout()
	case key.Matches(msg, m.km.Query):
		m.openQuery("", "")
	case key.Matches(msg, m.km.Back):
		switch {
		case m.filter.Value() != "":
			m.filter.SetValue("")
			m.applyFilter()
		case len(m.marked) > 0:
			m.marked = map[string]bool{}
		case m.queryText() != "":
			m.pending = &userQuery{}
			m.setStatus("Every key again (: and ↑ bring the query back).", nil)
			return m, m.resort()
		}
	case key.Matches(msg, m.km.Sort):
		m.sortIdx = (m.sortIdx + 1) % len(sortFields)
		return m, m.resort()
	case key.Matches(msg, m.km.Reverse):
		m.desc = !m.desc
		return m, m.resort()
	case key.Matches(msg, m.km.Refresh):
		return m, m.reload()
	case key.Matches(msg, m.km.Help):
		m.help.ShowAll = !m.help.ShowAll
		m.layout()
	case key.Matches(msg, m.km.Mark):
		if k, ok := m.selected(); ok {
			if m.marked[k.ID] {
				delete(m.marked, k.ID)
			} else {
				m.marked[k.ID] = true
			}
			return m, m.move(1)
		}
	case key.Matches(msg, m.km.Detail):
		return m, m.openDetail()
	case key.Matches(msg, m.km.Delete):
		m.askInvalidate()
	case key.Matches(msg, m.km.Edit):
		m.openEdit()
	case key.Matches(msg, m.km.Clone):
		if k, ok := m.selected(); ok {
			m.screen = screenCloneName
			m.input.Prompt = "Name of the clone: "
			m.input.EchoMode = textinput.EchoNormal
			m.input.SetValue(k.Name)
			m.input.Focus()
			m.setStatus("", nil)
		}
	}
	return m, nil
}

// selected is the key under the cursor.
func (m *Model) selected() (api.APIKey, bool) {
	if m.cursor < 0 || m.cursor >= len(m.visible) {
		return api.APIKey{}, false
	}
	return m.keys[m.visible[m.cursor]], true
}

// move moves the cursor by delta rows and, near the end of what is
// loaded, asks for the next page.
func (m *Model) move(delta int) tea.Cmd {
	m.cursor = max(0, min(m.cursor+delta, len(m.visible)-1))
	m.scroll()
	return m.maybeNextPage()
}

// scroll keeps the cursor on screen.
func (m *Model) scroll() {
	rows := max(1, m.bodyHeight()-1)
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if m.cursor >= m.offset+rows {
		m.offset = m.cursor - rows + 1
	}
	m.offset = max(0, min(m.offset, len(m.visible)-rows))
}

// paste types pasted text (a bracketed paste) into the filter or the
// prompt on screen; elsewhere it is dropped, as it is no key.
func (m *Model) paste(msg tea.PasteMsg) tea.Cmd {
	var cmd tea.Cmd
	switch m.screen {
	case screenFilter:
		m.filter, cmd = m.filter.Update(msg)
		m.applyFilter()
		return tea.Batch(cmd, m.maybeNextPage())
	case screenCloneName, screenCloneCredential, screenSecretPath:
		m.input, cmd = m.input.Update(msg)
	case screenQuery:
		m.queryBox, cmd = m.queryBox.Update(msg)
	case screenEdit:
		if m.edit.field == 0 {
			m.edit.metadata, cmd = m.edit.metadata.Update(msg)
		} else {
			m.edit.expires, cmd = m.edit.expires.Update(msg)
		}
	}
	return cmd
}

func (m *Model) filterKey(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.Code {
	case tea.KeyEnter:
		m.filter.Blur()
		m.screen = screenList
		m.layout()
		return nil
	case tea.KeyEscape:
		m.filter.Blur()
		m.filter.SetValue("")
		m.screen = screenList
		m.applyFilter()
		return nil
	}
	var cmd tea.Cmd
	m.filter, cmd = m.filter.Update(msg)
	m.applyFilter()
	return tea.Batch(cmd, m.maybeNextPage())
}

// applyFilter recomputes the keys shown, keeping the cursor on the same key
// when it still is.
func (m *Model) applyFilter() {
	cur, _ := m.selected()
	m.refilter(cur.ID)
}

// refilter recomputes the keys shown and puts the cursor on the key with
// id keep when it is one of them, else on the first.
func (m *Model) refilter(keep string) {
	q := strings.ToLower(strings.TrimSpace(m.filter.Value()))
	m.visible = m.visible[:0]
	for i, k := range m.keys {
		if q == "" || matches(k, q) {
			m.visible = append(m.visible, i)
		}
	}
	m.cursor = 0
	for i, ki := range m.visible {
		if m.keys[ki].ID == keep {
			m.cursor = i
		}
	}
	m.layout()
}

// matches reports whether the name, the owner or a metadata value of k
// contains q (lower case).
func matches(k api.APIKey, q string) bool {
	if strings.Contains(strings.ToLower(k.Name), q) || strings.Contains(strings.ToLower(output.Owner(k)), q) {
		return true
	}
	return valueMatches(k.Metadata, q)
}

func valueMatches(v any, q string) bool {
	switch x := v.(type) {
	case api.Metadata:
		for _, m := range x {
			if valueMatches(m.Value, q) {
				return true
			}
		}
		return false
	case []any:
		for _, e := range x {
			if valueMatches(e, q) {
				return true
			}
		}
		return false
	case nil:
		return false
	}
	return strings.Contains(strings.ToLower(fmt.Sprint(v)), q)
}

// layout renders the table lines of the visible keys at the current width
// and clock; View shows a window of them.
func (m *Model) layout() {
	m.term.Now = m.opts.Now()
	m.term.Width = max(1, m.width-len(gutter("", "")))
	keys := make([]api.APIKey, len(m.visible))
	for i, ki := range m.visible {
		keys[i] = m.keys[ki]
	}
	lines := m.term.KeyTableLines(keys)
	m.header, m.lines = "", nil
	if len(lines) > 0 {
		m.header, m.lines = lines[0], lines[1:]
	}
	m.cursor = max(0, min(m.cursor, len(m.visible)-1))
	m.detail.SetWidth(m.width)
	m.detail.SetHeight(max(1, m.bodyHeight()))
	// The box scrolls a query longer than the line.
	m.queryBox.SetWidth(max(1, m.width-lipgloss.Width(m.queryBox.Prompt)-1))
	m.scroll()
}

// bodyHeight is the number of lines between the title and the status
// line.
func (m *Model) bodyHeight() int {
	return max(2, m.height-1-m.statusHeight()-lineCount(m.helpView()))
}

// statusHeight is the number of lines of the status line: more when the
// query box shows an error above it.
func (m *Model) statusHeight() int {
	if m.screen == screenQuery && m.queryErr != "" {
		return 1 + lineCount(m.queryErrView())
	}
	return 1
}

// queryErrLines is the most lines the error of the query box takes.
const queryErrLines = 3

// queryErrView is the error of the query box, wrapped to the width.
func (m *Model) queryErrView() string {
	lines := strings.Split(ansi.Wrap(m.queryErr, max(1, m.width), " "), "\n")
	if len(lines) > queryErrLines {
		lines = lines[:queryErrLines]
		lines[queryErrLines-1] = ansi.Truncate(lines[queryErrLines-1]+"…", m.width, "…")
	}
	return m.term.Styles.Error.Render(strings.Join(lines, "\n"))
}

func lineCount(s string) int { return strings.Count(s, "\n") + 1 }

// gutter is the two columns before a row: the cursor and the mark.
func gutter(cursor, mark string) string {
	return fmt.Sprintf("%1s%1s", cursor, mark)
}

// View is the screen on the alternate screen, with the mouse when
// Options.Mouse asks for it.
func (m *Model) View() tea.View {
	content, cursor := m.placeCursor(m.render())
	v := tea.NewView(content)
	v.Cursor = cursor
	v.AltScreen = true
	if m.opts.Mouse {
		v.MouseMode = tea.MouseModeCellMotion
	}
	return v
}

// cursorMark marks in the rendered screen where the focused input starts:
// a zero-width space, so that it moves nothing in the layout.
const cursorMark = "\u200b"

// inputView is in as the screen shows it, marked when it has the cursor.
func inputView(in textinput.Model) string {
	if !in.Focused() {
		return in.View()
	}
	return cursorMark + in.View()
}

// focusedInput is the input that has the cursor, if any.
func (m *Model) focusedInput() *textinput.Model {
	switch m.screen {
	case screenFilter:
		return &m.filter
	case screenQuery:
		return &m.queryBox
	case screenCloneName, screenCloneCredential, screenSecretPath:
		return &m.input
	case screenEdit:
		if m.edit.field == 0 {
			return &m.edit.metadata
		}
		return &m.edit.expires
	}
	return nil
}

// placeCursor takes the mark out of the screen and puts the terminal's
// cursor where it was, plus the input's own cursor position.
func (m *Model) placeCursor(screen string) (string, *tea.Cursor) {
	i := strings.Index(screen, cursorMark)
	if i < 0 {
		return screen, nil
	}
	in := m.focusedInput()
	var c *tea.Cursor
	if in != nil {
		c = in.Cursor()
	}
	if c != nil {
		lineStart := strings.LastIndex(screen[:i], "\n") + 1
		c.X += ansi.StringWidth(screen[lineStart:i])
		c.Y = strings.Count(screen[:i], "\n")
	}
	return strings.Replace(screen, cursorMark, "", 1), c
}

// render draws the screen: nothing once the user quit.
func (m *Model) render() string {
	if m.quitting {
		return ""
	}
	var b strings.Builder
	b.WriteString(m.title() + "\n")
	b.WriteString(m.body() + "\n")
	b.WriteString(m.statusLine() + "\n")
	b.WriteString(m.helpView())
	return b.String()
}

// helpView is the help, its lines cut to the width (bubbles' help lets
// the short one overflow).
func (m *Model) helpView() string {
	view := m.help.View(m.km)
	switch {
	case m.screen == screenQuery:
		view = m.help.ShortHelpView(queryBoxHelp())
	case m.help.ShowAll:
		view += "\n" + m.term.Styles.Muted.Render(queryNote)
	}
	lines := strings.Split(view, "\n")
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, m.width, "…")
	}
	return strings.Join(lines, "\n")
}

func (m *Model) title() string {
	st := m.term.Styles
	order := "↑"
	if m.desc {
		order = "↓"
	}
	right := fmt.Sprintf("sort %s %s", sortFields[m.sortIdx], order)
	left := st.Bold.Render("API keys")
	if m.opts.Target != "" {
		left += st.Muted.Render(" · " + m.opts.Target)
	}
	return spread(left, st.Muted.Render(right), m.width)
}

// spread puts left and right at the ends of a line of width columns.
func spread(left, right string, width int) string {
	gap := width - ansi.StringWidth(left) - ansi.StringWidth(right)
	if gap < 1 {
		return left
	}
	return left + strings.Repeat(" ", gap) + right
}

func (m *Model) body() string {
	h := m.bodyHeight()
	var content string
	switch m.screen {
	case screenDetail:
		content = m.detail.View()
	case screenConfirm:
		content = m.confirmView()
	case screenCloneName, screenCloneCredential:
		content = m.cloneView()
	case screenSecret, screenSecretPath:
		content = m.secretView()
	case screenEdit:
		content = m.editView()
	case screenEditConfirm:
		content = m.editConfirmView()
	default:
		content = m.listView(h)
	}
	return fit(content, h)
}

// fit cuts or pads s to exactly h lines.
func fit(s string, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

func (m *Model) listView(h int) string {
	st := m.term.Styles
	if len(m.lines) == 0 {
		switch {
		case m.loading:
			return st.Muted.Render("Loading…")
		default:
			return st.Muted.Render(output.NoKeysHint)
		}
	}
	var b strings.Builder
	b.WriteString(gutter("", "") + m.header)
	for i := m.offset; i < len(m.lines) && i < m.offset+h-1; i++ {
		c, mk := "", ""
		if i == m.cursor {
			c = st.Bold.Render(">")
		}
		if m.marked[m.keys[m.visible[i]].ID] {
			mk = st.Warning.Render("*")
		}
		b.WriteString("\n" + gutter(c, mk) + m.lines[i])
	}
	return b.String()
}

func (m *Model) statusLine() string {
	st := m.term.Styles
	switch m.screen {
	case screenFilter:
		return inputView(m.filter)
	case screenQuery:
		if m.queryErr != "" {
			return m.queryErrView() + "\n" + inputView(m.queryBox)
		}
		return inputView(m.queryBox)
	case screenDetail:
		return st.Muted.Render(fmt.Sprintf("%3.f%%  ↑/↓ scroll · esc back", m.detail.ScrollPercent()*100))
	}
	if m.status != "" {
		if m.statusErr {
			return st.Error.Render(m.status)
		}
		return m.status
	}
	parts := []string{fmt.Sprintf("%d of %d keys", len(m.visible), m.total)}
	if len(m.keys) < m.total {
		parts[0] = fmt.Sprintf("%d shown, %d of %d loaded", len(m.visible), len(m.keys), m.total)
	}
	if q := m.queryText(); q != "" {
		parts = append(parts, "query "+output.Clean(q))
	}
	if f := m.filter.Value(); f != "" {
		parts = append(parts, "filter "+f)
	}
	if n := len(m.marked); n > 0 {
		parts = append(parts, fmt.Sprintf("%d marked", n))
	}
	if m.loading {
		parts = append(parts, "loading…")
	}
	return ansi.Truncate(st.Muted.Render(strings.Join(parts, " · ")), m.width, "…")
}

func (m *Model) detailKeyMsg(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	switch {
	case key.Matches(msg, m.km.Quit):
		return m.quit()
	case key.Matches(msg, m.km.Back), msg.Code == tea.KeyEnter:
		m.screen = screenList
		return m, nil
	case key.Matches(msg, m.km.Help):
		m.help.ShowAll = !m.help.ShowAll
		m.layout()
		return m, nil
	}
	var cmd tea.Cmd
	m.detail, cmd = m.detail.Update(msg)
	return m, cmd
}

// mouse scrolls with the wheel and selects the clicked row.
func (m *Model) mouse(msg tea.MouseMsg) tea.Cmd {
	if m.screen == screenDetail {
		var cmd tea.Cmd
		m.detail, cmd = m.detail.Update(msg)
		return cmd
	}
	if m.screen != screenList {
		return nil
	}
	switch msg := msg.(type) {
	case tea.MouseWheelMsg:
		switch msg.Button {
		case tea.MouseWheelUp:
			return m.move(-3)
		case tea.MouseWheelDown:
			return m.move(3)
		}
	case tea.MouseClickMsg:
		// Row 0 is the title, row 1 the table's header.
		if row := m.offset + msg.Y - 2; msg.Button == tea.MouseLeft && msg.Y >= 2 && row < len(m.visible) && msg.Y < 1+m.bodyHeight() {
			return m.move(row - m.cursor)
		}
	}
	return nil
}

// sortedIDs are the marked ids, in order.
func (m *Model) sortedIDs() []string {
	ids := make([]string, 0, len(m.marked))
	for id := range m.marked {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}
