package cli

import (
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

// docsFactory is the factory of the command tree the docs describe.
func docsFactory() *Factory {
	ios, _, _, _ := iostreams.Test()
	return &Factory{IOStreams: ios, Getenv: func(string) string { return "" }, Now: time.Now, Version: BuildInfo{Version: "dev"}}
}
