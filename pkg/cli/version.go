package cli

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
)

type versionOptions struct {
	f *Factory
}

func newVersionCmd(f *Factory) *cobra.Command {
	opts := &versionOptions{f: f}
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the version of apikeyctl",
		Example: "  apikeyctl version",
		Args:    noArgs,
		RunE:    func(*cobra.Command, []string) error { return runVersion(opts) },
	}
}

func runVersion(opts *versionOptions) error {
	v := opts.f.Version
	line := "apikeyctl " + v.Version
	if v.Commit != "" {
		line += " (" + v.Commit
		if v.Date != "" {
			line += ", " + v.Date
		}
		line += ")"
	}
	_, err := fmt.Fprintf(opts.f.IOStreams.Out, "%s %s/%s %s\n", line, runtime.GOOS, runtime.GOARCH, runtime.Version())
	return err
}
