package iostreams

import (
	"errors"
	"testing"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestColorEnabled(t *testing.T) {
	off, on := false, true
	tests := []struct {
		name     string
		tty      bool
		env      map[string]string
		override *bool
		want     bool
	}{
		{name: "tty", tty: true, want: true},
		{name: "pipe", tty: false, want: false},
		{name: "tty NO_COLOR", tty: true, env: map[string]string{"NO_COLOR": "1"}, want: false},
		{name: "tty NO_COLOR empty", tty: true, env: map[string]string{"NO_COLOR": ""}, want: true},
		{name: "tty CLICOLOR=0", tty: true, env: map[string]string{"CLICOLOR": "0"}, want: false},
		{name: "tty CLICOLOR=1", tty: true, env: map[string]string{"CLICOLOR": "1"}, want: true},
		{name: "pipe CLICOLOR_FORCE", tty: false, env: map[string]string{"CLICOLOR_FORCE": "1"}, want: true},
		{name: "pipe CLICOLOR_FORCE=0", tty: false, env: map[string]string{"CLICOLOR_FORCE": "0"}, want: false},
		{name: "tty CLICOLOR_FORCE=0", tty: true, env: map[string]string{"CLICOLOR_FORCE": "0"}, want: true},
		{name: "CLICOLOR_FORCE beats NO_COLOR", tty: false, env: map[string]string{"CLICOLOR_FORCE": "yes", "NO_COLOR": "1"}, want: true},
		{name: "no-color flag beats tty", tty: true, override: &off, want: false},
		{name: "no-color flag beats CLICOLOR_FORCE", tty: true, env: map[string]string{"CLICOLOR_FORCE": "1"}, override: &off, want: false},
		{name: "forced on by caller", tty: false, env: map[string]string{"NO_COLOR": "1"}, override: &on, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := Test()
			ios.SetStdoutTTY(tt.tty)
			ios.SetGetenv(envOf(tt.env))
			if tt.override != nil {
				ios.SetColorEnabled(*tt.override)
			}
			if got := ios.ColorEnabled(); got != tt.want {
				t.Errorf("ColorEnabled() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestTestStreamsDefaults(t *testing.T) {
	ios, _, _, _ := Test()
	if ios.IsStdinTTY() || ios.IsStdoutTTY() || ios.IsStderrTTY() {
		t.Error("Test() streams must not be terminals until the test says so")
	}
	if ios.ColorEnabled() {
		t.Error("Test() streams must not have colour by default")
	}
	ios.SetStdinTTY(true)
	ios.SetStdoutTTY(true)
	ios.SetStderrTTY(true)
	if !ios.IsStdinTTY() || !ios.IsStdoutTTY() || !ios.IsStderrTTY() {
		t.Error("Set*TTY(true) did not stick")
	}
}

func TestTerminalWidth(t *testing.T) {
	tests := []struct {
		name string
		tty  bool
		set  int
		env  map[string]string
		want int
	}{
		{name: "pipe", want: DefaultWidth},
		{name: "test tty without a terminal", tty: true, want: DefaultWidth},
		{name: "override", tty: true, set: 120, want: 120},
		{name: "COLUMNS", env: map[string]string{"COLUMNS": "100"}, want: 100},
		{name: "bad COLUMNS", env: map[string]string{"COLUMNS": "wide"}, want: DefaultWidth},
		{name: "override beats COLUMNS", set: 60, env: map[string]string{"COLUMNS": "100"}, want: 60},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := Test()
			ios.SetStdoutTTY(tt.tty)
			ios.SetGetenv(envOf(tt.env))
			ios.SetTerminalWidth(tt.set)
			if got := ios.TerminalWidth(); got != tt.want {
				t.Errorf("TerminalWidth() = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestReadPassword(t *testing.T) {
	t.Run("not a terminal", func(t *testing.T) {
		ios, stdin, _, stderr := Test()
		stdin.WriteString("s3cret\n")
		_, err := ios.ReadPassword("Password: ")
		if !errors.Is(err, ErrNotTerminal) {
			t.Fatalf("err = %v, want ErrNotTerminal", err)
		}
		if stderr.Len() != 0 {
			t.Errorf("prompted on a pipe: %q", stderr.String())
		}
	})
	t.Run("terminal", func(t *testing.T) {
		ios, stdin, stdout, stderr := Test()
		ios.SetStdinTTY(true)
		stdin.WriteString("s3cret\r\nagain\n")
		got, err := ios.ReadPassword("Password: ")
		if err != nil {
			t.Fatal(err)
		}
		if got != "s3cret" {
			t.Errorf("got %q, want %q", got, "s3cret")
		}
		got, err = ios.ReadPassword("Again: ")
		if err != nil || got != "again" {
			t.Errorf("second prompt: got %q, %v", got, err)
		}
		if want := "Password: \nAgain: \n"; stderr.String() != want {
			t.Errorf("stderr = %q, want %q", stderr.String(), want)
		}
		if stdout.Len() != 0 {
			t.Errorf("prompt went to stdout: %q", stdout.String())
		}
	})
	t.Run("terminal at EOF", func(t *testing.T) {
		ios, _, _, _ := Test()
		ios.SetStdinTTY(true)
		if _, err := ios.ReadPassword("Password: "); err == nil {
			t.Fatal("want an error at EOF")
		}
	})
}
