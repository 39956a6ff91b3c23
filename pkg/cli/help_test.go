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

// A mistyped command is a usage error (exit 2) that suggests the commands
// it is close to, also when flags follow it.
func TestUnknownCommandSuggests(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"gt"}, `unknown command "gt" for "apikeyctl". Did you mean get? See 'apikeyctl --help'`},
		{[]string{"invalidte", "ID"}, `Did you mean invalidate?`},
		{[]string{"gt", "--id", "x"}, `unknown command "gt" for "apikeyctl". Did you mean get?`},
		{[]string{"g"}, `Did you mean get or grant?`},
		{[]string{"user", "ad", "alice"}, `unknown command "ad" for "apikeyctl user". Did you mean add? See 'apikeyctl user --help'`},
		{[]string{"cross-cluster", "updte", "ID"}, `Did you mean update?`},
		{[]string{"frobnicate"}, `unknown command "frobnicate" for "apikeyctl". See 'apikeyctl --help'`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := run(t, false, "", nil, tt.args...)
			if code != ExitUsage || stdout != "" || !strings.Contains(stderr, tt.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and one line with %q", code, stdout, stderr, tt.want)
			}
		})
	}
}

// The bash completion script needs the bash-completion package: the help
// of completion says so, and what its absence looks like.
func TestCompletionHelpNamesBashCompletion(t *testing.T) {
	code, out, _ := run(t, false, "", nil, "completion", "--help")
	for _, want := range []string{"needs the bash-completion package", "_get_comp_words_by_ref: command not found", "bash-completion@2"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("completion --help (exit %d) does not say %q:\n%s", code, want, out)
		}
	}
}
