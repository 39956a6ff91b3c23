package cli

import (
	"github.com/spf13/cobra"

	"github.com/apikeyctl/apikeyctl/pkg/output"
)

// outputFlags are the output flags every command takes.
type outputFlags struct {
	opts output.Options
}

func (o *outputFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.VarP(&o.opts.Format, "output", "o", output.FlagUsage)
	fl.StringVar(&o.opts.Field, "field", "", "print only this field, one raw value a line (e.g. encoded, id, metadata.env)")
	fl.StringVar(&o.opts.JQ, "jq", "", "filter the JSON answer with a jq `expression`")
	fl.StringVar(&o.opts.Template, "template", "", "render the JSON answer with a Go `template`")
	_ = cmd.RegisterFlagCompletionFunc("output", completeFormats)
}

// print writes a command's answer through the one exporter.
func (o *outputFlags) print(f *Factory, v any) error {
	opts := o.opts
	opts.Now = f.Now
	return output.Write(f.IOStreams, opts, v)
}

// printFound writes the answer of a lookup by name, then reports a
// NotFoundError saying so when nothing was found: the answer is printed
// either way, as the API gives it.
func (o *outputFlags) printFound(f *Factory, v any, found bool, notFound string) error {
	if err := o.print(f, v); err != nil {
		return err
	}
	if !found {
		return &NotFoundError{Msg: notFound}
	}
	return nil
}
