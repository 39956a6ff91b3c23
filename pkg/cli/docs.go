package cli

import (
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/apikeyctl/apikeyctl/pkg/iostreams"
)

// DocsCommand returns apikeyctl's command tree as its generated
// documentation (completions and man pages) describes it: no environment
// and no terminal, so what is rendered depends only on the code.
func DocsCommand() *cobra.Command {
	root := NewRootCmd(docsFactory())
	root.DisableAutoGenTag = true
	return root
}

// WriteCompletion writes the completion script of shell (bash, zsh, fish
// or powershell) for root.
func WriteCompletion(root *cobra.Command, shell string, w io.Writer) error {
	return writeCompletion(root, shell, w)
}

// docsFactory is the factory of the command tree the docs describe.
func docsFactory() *Factory {
	ios, _, _, _ := iostreams.Test()
	return &Factory{IOStreams: ios, Getenv: func(string) string { return "" }, Now: time.Now, Version: BuildInfo{Version: "dev"}}
}
