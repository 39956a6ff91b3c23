package cli

import (
	"context"
	"fmt"
	"strings"
)

// confirm asks question on stderr and reads the answer from the first line
// of stdin (a terminal): only y or yes, in any case, is yes; an empty
// line or the end of input is no.
func (f *Factory) confirm(ctx context.Context, question string) (bool, error) {
	fmt.Fprint(f.IOStreams.ErrOut, question)
	line, err := readLineContext(ctx, f.IOStreams.In)
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		return false, nil
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}
