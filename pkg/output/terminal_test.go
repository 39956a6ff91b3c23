package output

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/iostreams"
)

func TestRelativeTime(t *testing.T) {
	tests := []struct {
		name string
		d    time.Duration
		want string
	}{
		{"now", 0, "just now"},
		{"seconds ago", -30 * time.Second, "just now"},
		{"seconds ahead", 30 * time.Second, "in less than a minute"},
		{"one minute", -time.Minute, "1 minute ago"},
		{"minutes", -59 * time.Minute, "59 minutes ago"},
		{"one hour ahead", time.Hour, "in 1 hour"},
		{"hours", -23 * time.Hour, "23 hours ago"},
		{"one day", -24 * time.Hour, "1 day ago"},
		// A moment after create --expiration 30d / 1d.
		{"30d a moment later", 30*day - 5*time.Millisecond, "in 30 days"},
		{"1d a moment later", day - 5*time.Millisecond, "in 1 day"},
		{"30d a moment ago", -(30*day - 5*time.Millisecond), "30 days ago"},
		{"1d a moment ago", -(day - 5*time.Millisecond), "1 day ago"},
		{"just under 90 seconds", 89 * time.Second, "in 1 minute"},
		{"90 seconds", 90 * time.Second, "in 2 minutes"},
		{"59m29s", 59*time.Minute + 29*time.Second, "in 59 minutes"},
		{"59m30s", 59*time.Minute + 30*time.Second, "in 1 hour"},
		{"59m30s ago", -(59*time.Minute + 30*time.Second), "1 hour ago"},
		{"23h29m", 23*time.Hour + 29*time.Minute, "in 23 hours"},
		{"23h30m", 23*time.Hour + 30*time.Minute, "in 1 day"},
		{"23h30m ago", -(23*time.Hour + 30*time.Minute), "1 day ago"},
		{"days round down under a half", -(3*day + 11*time.Hour), "3 days ago"},
		{"days round up from a half", -(3*day + 12*time.Hour), "4 days ago"},
		{"days ahead", 29*day + time.Hour, "in 29 days"},
		{"89 days", 89 * day, "in 89 days"},
		{"89.5 days", 89*day + 12*time.Hour, "in 3 months"},
		{"months", -120 * day, "4 months ago"},
		{"23.5 months", 705 * day, "in 2 years"},
		{"years", 800 * day, "in 2 years"},
		{"years ago", -1000 * day, "3 years ago"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RelativeTime(fixedNow.Add(tt.d), fixedNow); got != tt.want {
				t.Errorf("RelativeTime(%v) = %q, want %q", tt.d, got, tt.want)
			}
		})
	}
}

func TestKeyStatus(t *testing.T) {
	tests := []struct {
		name string
		key  api.APIKey
		want string
	}{
		{"never expires", api.APIKey{}, StatusActive},
		{"expires in 8 days", api.APIKey{Expiration: ms(8 * day)}, StatusActive},
		{"expires in 7 days", api.APIKey{Expiration: ms(7 * day)}, StatusExpiring},
		{"expires in a minute", api.APIKey{Expiration: ms(time.Minute)}, StatusExpiring},
		{"expires now", api.APIKey{Expiration: ms(0)}, StatusExpired},
		{"expired", api.APIKey{Expiration: ms(-day)}, StatusExpired},
		{"invalidated", api.APIKey{Invalidated: true, Expiration: ms(day)}, StatusInvalidated},
		{"invalidated and expired", api.APIKey{Invalidated: true, Expiration: ms(-day)}, StatusInvalidated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := KeyStatus(tt.key, fixedNow); got != tt.want {
				t.Errorf("KeyStatus = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEmptyResults(t *testing.T) {
	tests := []struct {
		name string
		v    any
		hint string
	}{
		{"keys", api.GetAPIKeysResponse{APIKeys: []api.APIKey{}}, NoKeysHint},
		{"keys detail", api.GetAPIKeysResponse{}, NoKeysHint},
		{"users", api.GetUsersResponse{}, NoUsersHint},
		{"roles", api.GetRolesResponse{}, NoRolesHint},
		{"application privileges", api.GetPrivilegesResponse{}, NoPrivilegesHint},
		{"invalidate on a pipe", api.InvalidateAPIKeysResponse{}, "No API key was invalidated."},
	}
	for _, tt := range tests {
		for _, m := range allModes {
			t.Run(tt.name+"/"+m.name, func(t *testing.T) {
				if tt.name == "invalidate on a pipe" && m.tty {
					return
				}
				out, errOut, err := run(t, m, Options{Format: Table, Detail: tt.name == "keys detail"}, tt.v)
				if err != nil {
					t.Fatal(err)
				}
				if out != "" {
					t.Errorf("stdout = %q, want nothing", out)
				}
				if errOut != tt.hint+"\n" {
					t.Errorf("stderr = %q, want %q", errOut, tt.hint+"\n")
				}
			})
		}
	}
	t.Run("invalidate on a terminal answers on stdout", func(t *testing.T) {
		out := mustRun(t, modeTTYNoColor, Options{}, api.InvalidateAPIKeysResponse{PreviouslyInvalidatedAPIKeys: []string{"abc"}})
		if out != "No API key was invalidated.\nAlready invalidated: abc\n" {
			t.Errorf("got %q", out)
		}
	})
	t.Run("json of an empty list", func(t *testing.T) {
		out := mustRun(t, modePipe, Options{}, api.GetAPIKeysResponse{APIKeys: []api.APIKey{}})
		if out != "{\n  \"api_keys\": []\n}\n" {
			t.Errorf("got %q", out)
		}
	})
}

// typicalKeys are keys of everyday width: rest keys, created this month.
func typicalKeys() api.GetAPIKeysResponse {
	return api.GetAPIKeysResponse{APIKeys: []api.APIKey{keyActive(), keyExpiring()}}
}

func TestTableWidth(t *testing.T) {
	render := func(t *testing.T, width int, format Format, v any) string {
		ios, _, out, _ := iostreams.Test()
		ios.SetStdoutTTY(true)
		ios.SetTerminalWidth(width)
		if err := Write(ios, Options{Format: format, Now: clock}, v); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	t.Run("fits 80 columns", func(t *testing.T) {
		got := render(t, 80, Auto, typicalKeys())
		for _, l := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
			if w := lipgloss.Width(l); w > 80 {
				t.Errorf("line is %d columns wide: %q", w, l)
			}
		}
		if !strings.Contains(got, "VuaCfGcBCdbkQm-e5aOx") {
			t.Errorf("an id was cut:\n%s", got)
		}
	})
	t.Run("no row wraps at any width", func(t *testing.T) {
		for width := 20; width <= 160; width++ {
			got := render(t, width, Auto, longKeys())
			lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
			if len(lines) != len(longKeys().APIKeys)+1 {
				t.Errorf("width %d: %d lines, want a header and a line per key:\n%s", width, len(lines), got)
			}
			for _, l := range lines {
				if w := lipgloss.Width(l); w > width {
					t.Errorf("width %d: line is %d columns wide: %q", width, w, l)
				}
			}
			if width >= 60 && !strings.Contains(got, "VuaCfGcBCdbkQm-e5aOx") {
				t.Errorf("width %d: an id was cut:\n%s", width, got)
			}
		}
	})
	t.Run("authorization header never cut", func(t *testing.T) {
		for _, width := range []int{40, 60, 80, 120} {
			got := ansi.Strip(render(t, width, Auto, createResponse()))
			if !strings.Contains(got, "\nAuthorization: ApiKey "+createResponse().Encoded+"\n") {
				t.Errorf("width %d: the header line is not whole:\n%s", width, got)
			}
		}
	})
	t.Run("nothing cut on a wide terminal", func(t *testing.T) {
		got := render(t, 200, Auto, keyList())
		if strings.Contains(got, "…") {
			t.Errorf("truncated at 200 columns:\n%s", got)
		}
	})
	t.Run("wide never truncates", func(t *testing.T) {
		got := render(t, 40, Wide, keyList())
		if strings.Contains(got, "…") || !strings.Contains(got, keyCrossCluster().Name) {
			t.Errorf("-o wide truncated:\n%s", got)
		}
	})
	t.Run("pipe never truncates", func(t *testing.T) {
		ios, _, out, _ := iostreams.Test()
		ios.SetTerminalWidth(20)
		if err := Write(ios, Options{Format: Table, Now: clock}, keyList()); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out.String(), "…") || !strings.Contains(out.String(), keyCrossCluster().Name+"\t") {
			t.Errorf("pipe output truncated:\n%s", out)
		}
	})
	t.Run("secret box dropped when too narrow", func(t *testing.T) {
		got := render(t, 60, Auto, createResponse())
		if strings.Contains(got, "╭") {
			t.Errorf("box wider than the terminal:\n%s", got)
		}
		if !strings.Contains(ansi.Strip(got), "Encoded  "+createResponse().Encoded+"\n") {
			t.Errorf("secret not on one line:\n%s", got)
		}
	})
}

func TestUntrustedTextIsCleaned(t *testing.T) {
	k := keyActive()
	k.Name = "evil\x1b]0;pwned\x07\tname\nnext"
	k.Metadata = api.Metadata{{Key: "note", Value: "bell\x07"}}
	v := singleKey(k)
	for _, m := range []mode{modeTTYNoColor, modePipe} {
		for _, detail := range []bool{false, true} {
			out := mustRun(t, m, Options{Format: Table, Detail: detail}, v)
			if strings.ContainsAny(out, "\x1b\x07") {
				t.Errorf("%s detail=%v: control characters reached the terminal: %q", m.name, detail, out)
			}
		}
	}
	out := mustRun(t, modePipe, Options{Format: Table}, v)
	if n := strings.Count(out, "\t"); n != 6 {
		t.Errorf("pipe row has %d tabs, want 6: %q", n, out)
	}
	if strings.Count(out, "\n") != 1 {
		t.Errorf("pipe row broken over lines: %q", out)
	}
	// --field is raw: what the user asked for, byte for byte.
	if got := mustRun(t, modePipe, Options{Field: "name"}, v); got != k.Name+"\n" {
		t.Errorf("--field changed the value: %q", got)
	}
}

func TestRenderingIgnoresProcessEnvironment(t *testing.T) {
	if *update {
		t.Skip("compares with the golden files TestRenderGolden writes")
	}
	// Only the IOStreams decide: the variables lipgloss and termenv would
	// read from the process make no difference.
	t.Setenv("CLICOLOR_FORCE", "1")
	t.Setenv("NO_COLOR", "1")
	t.Setenv("COLORTERM", "truecolor")
	t.Setenv("TERM", "xterm-256color")
	for _, m := range allModes {
		opts := Options{}
		if !m.tty {
			opts.Format = Table
		}
		assertGolden(t, "keys."+m.name, mustRun(t, m, opts, keyList()))
	}
}

func TestColorForcedOnPipe(t *testing.T) {
	out := mustRun(t, mode{env: map[string]string{"CLICOLOR_FORCE": "1"}}, Options{Format: Table}, typicalKeys())
	if !strings.Contains(out, "\x1b[32mactive\x1b[0m\t") {
		t.Errorf("CLICOLOR_FORCE did not colour the status:\n%q", out)
	}
	if strings.Contains(out, "ID") {
		t.Errorf("header row on a pipe:\n%s", out)
	}
}

func TestNoColorFlag(t *testing.T) {
	if *update {
		t.Skip("compares with the golden files TestRenderGolden writes")
	}
	ios, _, out, _ := iostreams.Test()
	ios.SetStdoutTTY(true)
	ios.SetColorEnabled(false)
	if err := Write(ios, Options{Now: clock}, keyList()); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "\x1b") {
		t.Errorf("--no-color output has escapes:\n%q", out)
	}
	assertGolden(t, "keys.tty-nocolor", out.String())
}

func TestCustomRender(t *testing.T) {
	v := api.PutUserResponse{Created: true}
	opts := Options{Render: func(t *Terminal) error {
		return t.Table([]string{"USER", "CREATED"}, [][]string{{"alice", "yes"}})
	}}
	t.Run("terminal", func(t *testing.T) {
		got := mustRun(t, modeTTYNoColor, opts, v)
		if got != "USER   CREATED\nalice  yes\n" {
			t.Errorf("got %q", got)
		}
	})
	t.Run("pipe table", func(t *testing.T) {
		o := opts
		o.Format = Table
		if got := mustRun(t, modePipe, o, v); got != "alice\tyes\n" {
			t.Errorf("got %q", got)
		}
	})
	t.Run("machine formats ignore it", func(t *testing.T) {
		if got := mustRun(t, modePipe, opts, v); got != "{\n  \"created\": true\n}\n" {
			t.Errorf("got %q", got)
		}
	})
	t.Run("its error is returned", func(t *testing.T) {
		boom := errors.New("boom")
		_, _, err := run(t, modeTTY, Options{Render: func(*Terminal) error { return boom }}, v)
		if !errors.Is(err, boom) {
			t.Errorf("err = %v", err)
		}
	})
}

func TestTerminalTableRaggedRows(t *testing.T) {
	opts := Options{Render: func(t *Terminal) error {
		return t.Table([]string{"A", "B"}, [][]string{{"1"}, {"2", "3", "extra"}})
	}}
	if got := mustRun(t, modeTTYNoColor, opts, nil); got != "A  B\n1\n2  3\n" {
		t.Errorf("terminal: got %q", got)
	}
	opts.Format = Table
	if got := mustRun(t, modePipe, opts, nil); got != "1\t\n2\t3\n" {
		t.Errorf("pipe: got %q", got)
	}
	opts.Render = func(t *Terminal) error { return t.Table([]string{"A"}, nil) }
	if got := mustRun(t, modeTTYNoColor, opts, nil); got != "" {
		t.Errorf("no rows: got %q", got)
	}
}
