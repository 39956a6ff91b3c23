package cli

import (
	"bytes"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/iostreams"
)

// testIO are test streams and their buffers.
type testIO struct {
	ios    *iostreams.IOStreams
	stdout *bytes.Buffer
	stderr *bytes.Buffer
}

// testStreams returns streams with stdin holding stdin; tty makes stdin,
// stdout and stderr terminals.
func testStreams(stdin string, tty bool, env map[string]string) testIO {
	ios, in, out, errOut := iostreams.Test()
	in.WriteString(stdin)
	ios.SetStdinTTY(tty)
	ios.SetStdoutTTY(tty)
	ios.SetStderrTTY(tty)
	ios.SetGetenv(func(k string) string { return env[k] })
	return testIO{ios: ios, stdout: out, stderr: errOut}
}

// testClock is the fixed time of the CLI tests.
var testClock = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

// testFactory is a factory over ios reading env, at testClock.
func testFactory(ios *iostreams.IOStreams, env map[string]string) *Factory {
	return &Factory{
		IOStreams: ios,
		Getenv:    func(k string) string { return env[k] },
		Now:       func() time.Time { return testClock },
		Version:   BuildInfo{Version: "test"},
	}
}
