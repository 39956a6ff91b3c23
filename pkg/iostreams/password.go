package iostreams

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"golang.org/x/term"
)

// ErrNotTerminal is returned by ReadPassword when stdin is not a terminal, so
// there is no one to prompt. Callers answer it by pointing at a flag that
// reads the secret from stdin, such as --password-stdin.
var ErrNotTerminal = errors.New("stdin is not a terminal")

// ErrInterrupted is returned by ReadPassword when the user pressed Ctrl-C at
// the prompt. The terminal's echo has been restored.
var ErrInterrupted = errors.New("interrupted")

// ReadPassword writes prompt to stderr and reads one line from stdin with
// echo turned off. It fails with ErrNotTerminal, without prompting, when
// stdin is not a terminal. The line ending is not part of the result.
func (s *IOStreams) ReadPassword(prompt string) (string, error) {
	if !s.stdinTTY {
		return "", fmt.Errorf("cannot prompt for a secret: %w", ErrNotTerminal)
	}
	fmt.Fprint(s.ErrOut, prompt)
	secret, err := s.readPassword()
	// The newline the user typed was not echoed.
	fmt.Fprintln(s.ErrOut)
	if err != nil {
		return "", fmt.Errorf("read secret: %w", err)
	}
	return secret, nil
}

// readTerminalPassword reads from the stdin terminal without echo. A Ctrl-C
// while reading restores the terminal before returning ErrInterrupted; without
// this the shell would be left without echo.
func (s *IOStreams) readTerminalPassword() (string, error) {
	fd := s.stdinFd
	state, err := term.GetState(fd)
	if err != nil {
		return "", err
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt)
	defer signal.Stop(sigs)

	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := term.ReadPassword(fd)
		done <- result{b, err}
	}()
	select {
	case r := <-done:
		return string(r.b), r.err
	case <-sigs:
		_ = term.Restore(fd, state)
		return "", ErrInterrupted
	}
}

// readLine reads one line from r, without its line ending, one byte at a
// time so that a second prompt finds the next line; io.EOF only when r was
// empty.
func readLine(r io.Reader) (string, error) {
	var line []byte
	b := make([]byte, 1)
	for {
		n, err := r.Read(b)
		if n == 1 {
			if b[0] == '\n' {
				break
			}
			line = append(line, b[0])
			continue
		}
		if errors.Is(err, io.EOF) && len(line) > 0 {
			break
		}
		if err != nil {
			return "", err
		}
	}
	return strings.TrimSuffix(string(line), "\r"), nil
}
