package cli

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// allCommands lists every command of the tree under root, root first.
func allCommands(root *cobra.Command) []*cobra.Command {
	cmds := []*cobra.Command{root}
	for _, c := range root.Commands() {
		cmds = append(cmds, allCommands(c)...)
	}
	return cmds
}

// TestHelpForEveryCommand runs `--help` on every command and `help TOPIC`
// on every topic: each exits 0 and says something on stdout.
func TestHelpForEveryCommand(t *testing.T) {
	for _, c := range allCommands(NewRootCmd(docsFactory())) {
		path := strings.Fields(c.CommandPath())[1:]
		args := append(path, "--help")
		if c.IsAdditionalHelpTopicCommand() {
			args = []string{"help", c.Name()}
		}
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, stdout, stderr := run(t, false, "", nil, args...)
			if code != 0 || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			want := "Usage:"
			if c.IsAdditionalHelpTopicCommand() {
				want = c.Long[:40]
			}
			if !strings.Contains(stdout, want) {
				t.Fatalf("help lacks %q:\n%s", want, stdout)
			}
		})
	}
}

// TestEveryCommandHasExamples: every command that does something (not a
// group, not a help topic) shows how, with commands that start with
// apikeyctl. cmd/apikeyctl's TestExamples runs them.
func TestEveryCommandHasExamples(t *testing.T) {
	for _, c := range allCommands(NewRootCmd(docsFactory())) {
		if c.HasSubCommands() || c.IsAdditionalHelpTopicCommand() || c.Name() == "help" {
			continue
		}
		if !strings.Contains(c.Example, "apikeyctl ") {
			t.Errorf("%s has no example (cobra.Command.Example)", c.CommandPath())
		}
	}
}
