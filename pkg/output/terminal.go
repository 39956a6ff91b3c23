package output

import (
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/lipgloss/table"
	"github.com/charmbracelet/lipgloss/tree"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/apikeyctl/apikeyctl/pkg/iostreams"
)

// Terminal is what a terminal rendering (the table and wide formats) writes
// with. On a terminal it lays out aligned tables, cards and trees, styled
// when colour is allowed; on a pipe the same information is written as
// plain tab-separated rows, nothing truncated.
type Terminal struct {
	// Out is stdout: the answer. ErrOut is stderr: hints.
	Out    io.Writer
	ErrOut io.Writer
	// TTY is true when stdout is a terminal.
	TTY bool
	// Color is true when styling may be written (iostreams ColorEnabled).
	Color bool
	// Wide asks for every column, nothing truncated (-o wide).
	Wide bool
	// Detail asks for cards rather than table rows (Options.Detail).
	Detail bool
	// Width is the terminal's width in columns.
	Width int
	// Now is the instant statuses and relative times are computed at.
	Now time.Time
	// Styles are bound to a renderer whose colour profile follows Color, so
	// they render the same whatever the environment says.
	Styles Styles
}

// Styles are the styles of the terminal renderings.
type Styles struct {
	Bold    lipgloss.Style
	Muted   lipgloss.Style
	Header  lipgloss.Style
	Success lipgloss.Style
	Warning lipgloss.Style
	Error   lipgloss.Style
	// Box frames a secret that is shown once.
	Box lipgloss.Style

	renderer *lipgloss.Renderer
}

// NewTerminal returns the Terminal for ios: its TTY flag, colour policy and
// width, with the clock's current time. The lipgloss renderer is bound to
// stdout with an explicit colour profile (16 ANSI colours, or none), so the
// rendering does not depend on what the environment would make lipgloss
// detect.
func NewTerminal(ios *iostreams.IOStreams, now time.Time) *Terminal {
	color := ios.ColorEnabled()
	profile := termenv.Ascii
	if color {
		profile = termenv.ANSI
	}
	r := lipgloss.NewRenderer(ios.Out, termenv.WithProfile(profile))
	r.SetColorProfile(profile)
	r.SetHasDarkBackground(true)
	return &Terminal{
		Out:    ios.Out,
		ErrOut: ios.ErrOut,
		TTY:    ios.IsStdoutTTY(),
		Color:  color,
		Width:  ios.TerminalWidth(),
		Now:    now,
		Styles: newStyles(r),
	}
}

func newStyles(r *lipgloss.Renderer) Styles {
	return Styles{
		Bold:     r.NewStyle().Bold(true),
		Muted:    r.NewStyle().Foreground(lipgloss.Color("8")),
		Header:   r.NewStyle().Bold(true),
		Success:  r.NewStyle().Foreground(lipgloss.Color("2")),
		Warning:  r.NewStyle().Foreground(lipgloss.Color("3")),
		Error:    r.NewStyle().Foreground(lipgloss.Color("1")),
		Box:      r.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(lipgloss.Color("3")).Padding(0, 1),
		renderer: r,
	}
}

// Status is the style of a key status.
func (s Styles) Status(status string) lipgloss.Style {
	switch status {
	case StatusActive:
		return s.Success
	case StatusExpiring:
		return s.Warning
	case StatusExpired:
		return s.Error
	case StatusInvalidated:
		return s.Muted
	}
	return s.plain()
}

func (s Styles) plain() lipgloss.Style { return s.renderer.NewStyle() }

// Hint writes a line for people to stderr, such as "No API keys match.".
func (t *Terminal) Hint(format string, args ...any) {
	fmt.Fprintf(t.ErrOut, format+"\n", args...)
}

// Table writes a table of plain cells: on a terminal with a header row and
// columns fitted to the width (the widest ones truncated with "…" unless
// Wide); on a pipe as tab-separated rows without a header. Rows are cut or
// padded to the headers. No rows write nothing: say so with Hint. Commands
// with results the package has no rendering for use it from Options.Render.
func (t *Terminal) Table(headers []string, rows [][]string) error {
	cols := make([]column, len(headers))
	for i, h := range headers {
		cols[i] = column{header: h, flex: true}
	}
	cells := make([][]cell, len(rows))
	for i, row := range rows {
		cells[i] = make([]cell, len(headers))
		for j := range cells[i] {
			if j < len(row) {
				cells[i][j] = cell{text: row[j]}
			}
		}
	}
	return t.writeTable(cols, cells)
}

// column is a table column. Flex columns are the ones shrunk to fit the
// terminal: the widest first, on a tie the one with the higher shrink
// value, none below min. A dropUniform column is left out of a terminal
// table that does not fit when all its cells are the same. A column with a
// drop rank is left out, lowest rank first, when the table still does not
// fit with every flex column at its floor (as gh drops columns).
type column struct {
	header      string
	flex        bool
	shrink      int
	min         int
	dropUniform bool
	drop        int
}

// cell is one table cell: its text and, optionally, its style.
type cell struct {
	text  string
	style *lipgloss.Style
}

func styled(text string, s lipgloss.Style) cell { return cell{text: text, style: &s} }

const columnGap = 2

func (t *Terminal) writeTable(cols []column, rows [][]cell) error {
	if len(rows) == 0 || len(cols) == 0 {
		return nil
	}
	if !t.TTY {
		var b strings.Builder
		for _, row := range rows {
			for j, c := range row {
				if j > 0 {
					b.WriteByte('\t')
				}
				b.WriteString(t.paint(c))
			}
			b.WriteByte('\n')
		}
		_, err := io.WriteString(t.Out, b.String())
		return err
	}

	_, err := io.WriteString(t.Out, t.tableString(cols, rows)+"\n")
	return err
}

// tableString lays out a terminal table: a header row and the rows, with
// the columns fitted to the width (the widest ones truncated with "…",
// then any line still wider cut with "…", unless Wide), without a final
// newline.
func (t *Terminal) tableString(cols []column, rows [][]cell) string {
	for _, row := range rows {
		for j := range row {
			row[j].text = clean(row[j].text)
		}
	}
	widths := naturalWidths(cols, rows)
	if !t.Wide {
		if tableWidth(widths) > t.Width {
			cols, rows = dropUniform(cols, rows)
			widths = naturalWidths(cols, rows)
		}
		for !fitColumns(cols, widths, t.Width) {
			j := droppable(cols)
			if j < 0 {
				break
			}
			cols, rows = dropColumn(cols, rows, j)
			widths = naturalWidths(cols, rows)
		}
	}
	headers := make([]string, len(cols))
	for j, c := range cols {
		headers[j] = c.header
	}
	data := make([][]string, len(rows))
	for i, row := range rows {
		data[i] = make([]string, len(row))
		for j, c := range row {
			data[i][j] = ansi.Truncate(c.text, widths[j], "…")
		}
	}
	last := len(cols) - 1
	tbl := table.New().
		Border(lipgloss.HiddenBorder()).
		BorderTop(false).BorderBottom(false).BorderLeft(false).BorderRight(false).
		BorderHeader(false).BorderColumn(false).
		Wrap(false).
		Headers(headers...).
		Rows(data...).
		StyleFunc(func(row, col int) lipgloss.Style {
			var s lipgloss.Style
			switch {
			case row == table.HeaderRow:
				s = t.Styles.Header
			case row < len(rows) && col < len(rows[row]) && rows[row][col].style != nil:
				s = *rows[row][col].style
			default:
				s = t.Styles.plain()
			}
			if col < last {
				s = s.PaddingRight(columnGap)
			}
			return s
		})
	out := trimLines(tbl.String())
	if !t.Wide {
		out = clipLines(out, t.Width)
	}
	return out
}

// clipLines cuts every line wider than width with "…": a terminal table
// never wraps, even when its narrowest layout is wider than the terminal.
func clipLines(s string, width int) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if ansi.StringWidth(l) > width {
			lines[i] = ansi.Truncate(l, width, "…")
		}
	}
	return strings.Join(lines, "\n")
}

func naturalWidths(cols []column, rows [][]cell) []int {
	widths := make([]int, len(cols))
	for j, c := range cols {
		widths[j] = lipgloss.Width(c.header)
	}
	for _, row := range rows {
		for j := range row {
			widths[j] = max(widths[j], lipgloss.Width(row[j].text))
		}
	}
	return widths
}

func tableWidth(widths []int) int {
	total := columnGap * (len(widths) - 1)
	for _, w := range widths {
		total += w
	}
	return total
}

// droppable is the column with the lowest drop rank, or -1 when no column
// may be dropped.
func droppable(cols []column) int {
	pick := -1
	for j, c := range cols {
		if c.drop > 0 && (pick < 0 || c.drop < cols[pick].drop) {
			pick = j
		}
	}
	return pick
}

// dropColumn leaves out column j.
func dropColumn(cols []column, rows [][]cell, j int) ([]column, [][]cell) {
	keep := make([]bool, len(cols))
	for i := range keep {
		keep[i] = i != j
	}
	return keepColumns(cols, rows, keep)
}

// dropUniform leaves out the columns marked dropUniform whose cells all
// hold the same text: they tell nothing row by row (every key is a rest
// key), and the room goes to the names.
func dropUniform(cols []column, rows [][]cell) ([]column, [][]cell) {
	keep := make([]bool, len(cols))
	for j, c := range cols {
		keep[j] = true
		if !c.dropUniform {
			continue
		}
		uniform := true
		for _, row := range rows {
			if row[j].text != rows[0][j].text {
				uniform = false
				break
			}
		}
		keep[j] = !uniform
	}
	return keepColumns(cols, rows, keep)
}

// keepColumns is the table with only the columns keep marks.
func keepColumns(cols []column, rows [][]cell, keep []bool) ([]column, [][]cell) {
	var outCols []column
	for j, c := range cols {
		if keep[j] {
			outCols = append(outCols, c)
		}
	}
	outRows := make([][]cell, len(rows))
	for i, row := range rows {
		for j, c := range row {
			if keep[j] {
				outRows[i] = append(outRows[i], c)
			}
		}
	}
	return outCols, outRows
}

// fitColumns shrinks flex columns, one cell at a time, until the table fits
// width: the widest first (of equally wide ones, the one with the higher
// shrink value), each down to its floor (its header's width, at least min
// or 6), and says whether it fits.
// Other columns (ids, statuses, times) are never cut: a table that still
// does not fit drops columns (see column.drop).
func fitColumns(cols []column, widths []int, width int) bool {
	total := tableWidth(widths)
	floor := func(c column) int { return max(lipgloss.Width(c.header), c.min, 6) }
	for total > width {
		pick := -1
		for j, c := range cols {
			if !c.flex || widths[j] <= floor(c) {
				continue
			}
			if pick < 0 || widths[j] > widths[pick] ||
				(widths[j] == widths[pick] && c.shrink > cols[pick].shrink) {
				pick = j
			}
		}
		if pick < 0 {
			return false
		}
		widths[pick]--
		total--
	}
	return true
}

// paint renders a cell for a pipe: its text cleaned of tabs and newlines,
// styled only when colour was forced.
func (t *Terminal) paint(c cell) string {
	text := clean(c.text)
	if t.Color && c.style != nil {
		return c.style.Render(text)
	}
	return text
}

// Clean makes data from a server safe to show on a terminal, as the
// renderings do: tabs and line breaks become spaces, other control
// characters U+FFFD.
func Clean(s string) string { return clean(s) }

// clean makes data safe to show: tabs and line breaks become spaces and other
// control characters (which could drive the terminal) become U+FFFD.
func clean(s string) string {
	if strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return ' '
		case unicode.IsControl(r):
			return '\uFFFD'
		}
		return r
	}, s)
}

var trailingSpace = regexp.MustCompile(` +((?:\x1b\[[0-9;]*m)*)$`)

// trimLines removes the spaces lipgloss pads the last column with, keeping
// any escape sequences that close a style.
func trimLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		for {
			n := trailingSpace.ReplaceAllString(l, "$1")
			if n == l {
				break
			}
			l = n
		}
		lines[i] = l
	}
	return strings.Join(lines, "\n")
}

// field is one line of a card: a label and its value.
type field struct {
	// label is shown on a terminal; key, a --field path, on a pipe.
	label string
	key   string
	value string
	style *lipgloss.Style
}

// fieldsString renders a card's fields: on a terminal as aligned
// "Label  value" lines with muted labels, indented by indent spaces; on a
// pipe as "label<TAB>value" rows.
func (t *Terminal) fieldsString(fields []field, indent int) string {
	var b strings.Builder
	if !t.TTY {
		for _, f := range fields {
			if f.key == "" {
				continue
			}
			b.WriteString(f.key)
			b.WriteByte('\t')
			b.WriteString(t.paint(cell{text: f.value, style: f.style}))
			b.WriteByte('\n')
		}
		return b.String()
	}
	lw := 0
	for _, f := range fields {
		lw = max(lw, lipgloss.Width(f.label))
	}
	pad := strings.Repeat(" ", indent)
	for _, f := range fields {
		value := clean(f.value)
		if f.style != nil {
			value = f.style.Render(value)
		}
		label := f.label + strings.Repeat(" ", lw-lipgloss.Width(f.label)+columnGap)
		b.WriteString(trimLines(pad + t.Styles.Muted.Render(label) + value))
		b.WriteByte('\n')
	}
	return b.String()
}

// newTree starts a tree titled title, styled for this terminal.
func (t *Terminal) newTree(title string) *tree.Tree {
	return tree.Root(title).
		RootStyle(t.Styles.Bold).
		EnumeratorStyle(t.Styles.Muted.PaddingRight(1)).
		ItemStyle(t.Styles.plain())
}

// treeString renders a tree without trailing spaces.
func treeString(tr *tree.Tree) string {
	return trimLines(tr.String()) + "\n"
}
