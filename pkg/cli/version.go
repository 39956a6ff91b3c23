package cli

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
)

func newVersionCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the version of apikeyctl",
		Example: "  apikeyctl version",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := f.Version
			line := "apikeyctl " + v.Version
			if v.Commit != "" {
				line += " (" + v.Commit
				if v.Date != "" {
					line += ", " + v.Date
				}
				line += ")"
			}
			_, err := fmt.Fprintf(f.IOStreams.Out, "%s %s/%s %s\n", line, runtime.GOOS, runtime.GOARCH, runtime.Version())
			return err
		},
	}
}
