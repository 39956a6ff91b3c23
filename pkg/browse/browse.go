// Package browse is the full-screen key browser of apikeyctl browse: a
// bubbletea v2 model over the API key endpoints of any target (the daemon,
// a database file, Elasticsearch). It lists keys page by page with
// search_after, narrows them with a query (apikeyctl query's filter flags
// or query DSL), filters and sorts them, shows a key's card, updates a
// key's metadata and expiration, invalidates keys and clones one, showing
// the clone's secret once.
//
// The table, the card and their colours are pkg/output's: the browser lays
// out the lines output.Terminal renders, so it looks as apikeyctl get does
// on a terminal, and NO_COLOR and --no-color act on both alike.
package browse

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/iostreams"
	"github.com/apikeyctl/apikeyctl/pkg/output"
)

// Service is the part of api.Service the browser uses.
type Service interface {
	GetAPIKeys(ctx context.Context, req *api.GetAPIKeysRequest) (*api.GetAPIKeysResponse, error)
	QueryAPIKeys(ctx context.Context, req *api.QueryAPIKeysRequest) (*api.QueryAPIKeysResponse, error)
	InvalidateAPIKeys(ctx context.Context, req *api.InvalidateAPIKeysRequest) (*api.InvalidateAPIKeysResponse, error)
	CloneAPIKey(ctx context.Context, req *api.CloneAPIKeyRequest) (*api.CreateAPIKeyResponse, error)
	UpdateAPIKey(ctx context.Context, req *api.UpdateAPIKeyRequest) (*api.UpdateAPIKeyResponse, error)
}

// DefaultPageSize is how many keys one query asks for.
const DefaultPageSize = 100

// Options configure a browser.
type Options struct {
	Service Service
	// IOStreams give the terminal (its colour policy and width) and the
	// streams the program reads and draws on.
	IOStreams *iostreams.IOStreams
	// Now is the clock of statuses and relative times.
	Now func() time.Time
	// Getenv tells whether the terminal is inside tmux or screen, which
	// need the clipboard escape sequence wrapped.
	Getenv func(string) string
	// Target names what is browsed, for the title line.
	Target string
	// Refresh is the interval of automatic reloads; 0 turns them off.
	Refresh time.Duration
	// PageSize is the number of keys a query asks for (DefaultPageSize
	// when 0).
	PageSize int
	// Mouse turns on the mouse: the wheel scrolls, a click selects.
	Mouse bool
	// LastUsed asks, for a key's card, when it was last used: only
	// apikeyd records it (Elasticsearch refuses the parameter).
	LastUsed bool
	// Lineage, when set, reads a key's family for its card (apikeyd's
	// clones and rotations; nil for Elasticsearch, which has none).
	Lineage func(ctx context.Context, id string) (*api.APIKeyLineage, error)
}

// Run shows the browser on the alternate screen until the user quits or ctx
// ends. Nothing it showed, a secret least of all, stays in the normal
// screen's scrollback. The view asks for the alternate screen and, with
// Options.Mouse, for the mouse (see View).
//
// The colour profile is the IOStreams' decision, as for every other
// command: 16 ANSI colours, or none; the inputs' cursor is the terminal's
// own, so a screen without colour holds no escape sequence at all.
func Run(ctx context.Context, opts Options) error {
	m := New(ctx, opts)
	profile := colorprofile.Ascii
	if m.term.Color {
		profile = colorprofile.ANSI
	}
	_, err := tea.NewProgram(m,
		tea.WithContext(ctx),
		tea.WithInput(opts.IOStreams.In),
		tea.WithOutput(opts.IOStreams.Out),
		tea.WithColorProfile(profile),
	).Run()
	m.forgetSecret()
	return err
}

// newTerminal is output's terminal for ios, always laid out as a terminal.
func newTerminal(ios *iostreams.IOStreams, now time.Time) *output.Terminal {
	t := output.NewTerminal(ios, now)
	t.TTY = true
	return t
}
