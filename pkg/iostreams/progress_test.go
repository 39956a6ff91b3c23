package iostreams

import (
	"strings"
	"testing"
	"time"
)

func TestProgress(t *testing.T) {
	t.Run("not a terminal", func(t *testing.T) {
		ios, _, stdout, stderr := Test()
		ios.StartProgress("Purging")
		ios.UpdateProgress("Purging (1/2)")
		ios.StopProgress()
		if stderr.Len() != 0 || stdout.Len() != 0 {
			t.Fatalf("progress written without a terminal: stdout %q, stderr %q", stdout, stderr)
		}
	})
	t.Run("terminal", func(t *testing.T) {
		ios, _, stdout, stderr := Test()
		ios.SetStderrTTY(true)
		ios.StartProgress("Purging")
		time.Sleep(3 * spinnerInterval / 2)
		ios.UpdateProgress("Purging (1/2)")
		ios.StopProgress()
		ios.StopProgress() // a second stop is harmless
		got := stderr.String()
		if !strings.Contains(got, spinnerFrames[0]+" Purging") || !strings.Contains(got, "Purging (1/2)") {
			t.Errorf("spinner not drawn: %q", got)
		}
		if !strings.HasSuffix(got, "\r\x1b[K") {
			t.Errorf("the spinner's line is not erased at the end: %q", got)
		}
		if stdout.Len() != 0 {
			t.Errorf("progress on stdout: %q", stdout)
		}
	})
	t.Run("stopped without start", func(t *testing.T) {
		ios, _, _, stderr := Test()
		ios.SetStderrTTY(true)
		ios.UpdateProgress("nothing")
		ios.StopProgress()
		if stderr.Len() != 0 {
			t.Errorf("wrote %q", stderr)
		}
	})
}
