package browse

import "charm.land/bubbles/v2/key"

// keyMap holds the key bindings of the list and detail screens; the
// dialogs answer y, n, enter and esc, which they name themselves.
type keyMap struct {
	Up       key.Binding
	Down     key.Binding
	PageUp   key.Binding
	PageDown key.Binding
	Home     key.Binding
	End      key.Binding
	Filter   key.Binding
	Query    key.Binding
	Sort     key.Binding
	Reverse  key.Binding
	Mark     key.Binding
	Detail   key.Binding
	Back     key.Binding
	Edit     key.Binding
	Delete   key.Binding
	Clone    key.Binding
	Refresh  key.Binding
	Help     key.Binding
	Quit     key.Binding
}

func newKeyMap() keyMap {
	return keyMap{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+b"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+f"), key.WithHelp("pgdn", "page down")),
		Home:     key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g/home", "first")),
		End:      key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G/end", "last")),
		Filter:   key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Query:    key.NewBinding(key.WithKeys(":"), key.WithHelp(":", "query")),
		Sort:     key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort by next column")),
		Reverse:  key.NewBinding(key.WithKeys("S"), key.WithHelp("S", "reverse sort")),
		Mark:     key.NewBinding(key.WithKeys("space"), key.WithHelp("space", "mark")),
		Detail:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "details")),
		Back:     key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back/clear")),
		Edit:     key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "update")),
		Delete:   key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "invalidate")),
		Clone:    key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "clone")),
		Refresh:  key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh")),
		Help:     key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:     key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
	}
}

// ShortHelp is the help line: it fits 80 columns (enter and r, which
// people try first anyway, are in the full help).
func (k keyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Filter, k.Query, k.Edit, k.Delete, k.Clone, k.Help, k.Quit}
}

// FullHelp is the help shown by ?.
func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End},
		{k.Filter, k.Query, k.Sort, k.Reverse, k.Refresh, k.Back},
		{k.Mark, k.Detail, k.Edit, k.Delete, k.Clone, k.Help, k.Quit},
	}
}

// queryNote is what the full help says of the query box.
const queryNote = `  : takes apikeyctl query's filter flags, quoted as in a shell: --name 'ci-*'
    --owner alice --expires-within 7d --metadata env=prod --active …; or query
    DSL from {: a query ({"prefix":{"name":"app-"}}) or a body {"query":{…}},
    of which only "query" is used. Enter on an empty box shows every key.`
