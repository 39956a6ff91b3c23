// Package iostreams holds the standard streams of apikeyctl and the policy
// that decides how output may look: whether stdin and stdout are terminals,
// whether colour is allowed (NO_COLOR, CLICOLOR, CLICOLOR_FORCE, --no-color)
// and how wide the terminal is. It also reads secrets from a terminal without
// echo.
//
// Every command writes through an IOStreams and never touches os.Stdout or
// os.Getenv itself, so tests can run a command with Test(), set the TTY flags
// they want, and compare what was written.
package iostreams

import (
	"bytes"
	"io"
	"os"
	"strconv"
	"sync"

	"golang.org/x/term"
)

// DefaultWidth is the terminal width assumed when stdout is not a terminal
// or its size cannot be read.
const DefaultWidth = 80

// IOStreams are the streams a command reads and writes, with what is known
// about them.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdinTTY  bool
	stdoutTTY bool
	stderrTTY bool

	// colorOverride, when set, replaces the environment's colour policy
	// (SetColorEnabled).
	colorOverride *bool
	// width, when positive, replaces the terminal's width (SetTerminalWidth).
	width int

	getenv func(string) string
	// stdoutFd and stdinFd are the file descriptors behind Out and In, or -1.
	stdoutFd int
	stdinFd  int
	// readPassword reads a line without echo; tests replace it.
	readPassword func() (string, error)

	// progressMu guards progress, the running spinner (StartProgress).
	progressMu sync.Mutex
	progress   *progress
}

// System returns the process's real standard streams. Whether each is a
// terminal is detected on its file descriptor, and the environment is read
// with os.Getenv.
func System() *IOStreams {
	return newSystem(os.Stdin, os.Stdout, os.Stderr, os.Getenv)
}

func newSystem(stdin, stdout, stderr *os.File, getenv func(string) string) *IOStreams {
	ios := &IOStreams{
		In:       stdin,
		Out:      stdout,
		ErrOut:   stderr,
		getenv:   getenv,
		stdoutFd: int(stdout.Fd()),
		stdinFd:  int(stdin.Fd()),
	}
	ios.stdinTTY = term.IsTerminal(ios.stdinFd)
	ios.stdoutTTY = term.IsTerminal(ios.stdoutFd)
	ios.stderrTTY = term.IsTerminal(int(stderr.Fd()))
	ios.readPassword = ios.readTerminalPassword
	return ios
}

// Test returns streams backed by buffers, for tests: nothing is a terminal
// until the test says so with SetStdinTTY, SetStdoutTTY and SetStderrTTY, the
// environment is empty until SetGetenv, and the terminal is DefaultWidth
// columns wide. ReadPassword, once stdin is marked as a terminal, reads a
// line from the stdin buffer.
func Test() (ios *IOStreams, stdin, stdout, stderr *bytes.Buffer) {
	stdin, stdout, stderr = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	ios = &IOStreams{
		In:       stdin,
		Out:      stdout,
		ErrOut:   stderr,
		getenv:   func(string) string { return "" },
		stdoutFd: -1,
		stdinFd:  -1,
	}
	ios.readPassword = func() (string, error) { return readLine(stdin) }
	return ios, stdin, stdout, stderr
}

// SetGetenv replaces the function the colour policy reads the environment
// with; tests use it to set NO_COLOR or CLICOLOR_FORCE.
func (s *IOStreams) SetGetenv(getenv func(string) string) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	s.getenv = getenv
}

// IsStdinTTY reports whether stdin is a terminal.
func (s *IOStreams) IsStdinTTY() bool { return s.stdinTTY }

// IsStdoutTTY reports whether stdout is a terminal. Output meant for people
// (tables, cards, relative times) is the default only then.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStderrTTY reports whether stderr is a terminal.
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// SetStdinTTY marks stdin as a terminal or not.
func (s *IOStreams) SetStdinTTY(isTTY bool) { s.stdinTTY = isTTY }

// SetStdoutTTY marks stdout as a terminal or not.
func (s *IOStreams) SetStdoutTTY(isTTY bool) { s.stdoutTTY = isTTY }

// SetStderrTTY marks stderr as a terminal or not.
func (s *IOStreams) SetStderrTTY(isTTY bool) { s.stderrTTY = isTTY }

// ColorEnabled reports whether stdout may carry colour and other ANSI
// styling. In order:
//
//   - SetColorEnabled (the --no-color flag) decides when it was called;
//   - CLICOLOR_FORCE set to anything but "" or "0" turns colour on, even on a
//     pipe (for `| less -R`);
//   - NO_COLOR set to anything but "", or CLICOLOR=0, turns colour off;
//   - otherwise colour is on exactly when stdout is a terminal.
func (s *IOStreams) ColorEnabled() bool {
	if s.colorOverride != nil {
		return *s.colorOverride
	}
	if v := s.getenv("CLICOLOR_FORCE"); v != "" && v != "0" {
		return true
	}
	if s.getenv("NO_COLOR") != "" || s.getenv("CLICOLOR") == "0" {
		return false
	}
	return s.stdoutTTY
}

// SetColorEnabled overrides the environment's colour policy; the CLI calls
// SetColorEnabled(false) for --no-color.
func (s *IOStreams) SetColorEnabled(enabled bool) {
	s.colorOverride = &enabled
}

// TerminalWidth is the width of the terminal stdout writes to: the value set
// with SetTerminalWidth, else the size of the terminal when stdout is one,
// else DefaultWidth.
func (s *IOStreams) TerminalWidth() int {
	if s.width > 0 {
		return s.width
	}
	if s.stdoutTTY && s.stdoutFd >= 0 {
		if w, _, err := term.GetSize(s.stdoutFd); err == nil && w > 0 {
			return w
		}
	}
	if w, err := strconv.Atoi(s.getenv("COLUMNS")); err == nil && w > 0 {
		return w
	}
	return DefaultWidth
}

// SetTerminalWidth fixes the width TerminalWidth reports; 0 restores
// detection.
func (s *IOStreams) SetTerminalWidth(width int) { s.width = width }
