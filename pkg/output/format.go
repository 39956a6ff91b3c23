package output

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Format is the value of the -o flag: how a response is written.
type Format string

// The output formats. Auto, the zero value, is Table when stdout is a
// terminal and JSON otherwise.
const (
	Auto  Format = ""
	JSON  Format = "json"
	YAML  Format = "yaml"
	JSONL Format = "jsonl"
	Table Format = "table"
	Wide  Format = "wide"
)

// Formats lists the values -o accepts, in the order help texts show them.
func Formats() []Format { return []Format{JSON, YAML, JSONL, Table, Wide} }

func formatList() string {
	names := make([]string, 0, len(Formats()))
	for _, f := range Formats() {
		names = append(names, string(f))
	}
	return strings.Join(names, ", ")
}

// ParseFormat reads the value of -o. It accepts any letter case; the empty
// string is Auto. An unknown value is a *UsageError that lists the valid
// ones.
func ParseFormat(s string) (Format, error) {
	f := Format(strings.ToLower(strings.TrimSpace(s)))
	if f == Auto {
		return Auto, nil
	}
	for _, ok := range Formats() {
		if f == ok {
			return f, nil
		}
	}
	return Auto, usageErrorf("invalid output format %q: valid formats are %s", s, formatList())
}

// String returns the flag value; Auto is "".
func (f Format) String() string { return string(f) }

// Set parses s into f. With String and Type it makes *Format a pflag.Value:
//
//	cmd.Flags().VarP(&opts.Format, "output", "o", output.FlagUsage)
func (f *Format) Set(s string) error {
	p, err := ParseFormat(s)
	if err != nil {
		return err
	}
	*f = p
	return nil
}

// Type names the flag's value in help texts.
func (f *Format) Type() string { return "format" }

// FlagUsage is the help text of the -o flag.
var FlagUsage = "output format: " + formatList() + " (default: table on a terminal, json otherwise)"

// Options say how Write renders a response. The zero value is the default:
// table on a terminal, the API's JSON on a pipe.
type Options struct {
	// Format is the -o flag.
	Format Format
	// Field, the --field flag, prints one raw value per line: the field of
	// the response, or of every item of a list response. Dots reach into
	// nested objects (metadata.env) and numbers into arrays
	// (limited_by.0).
	Field string
	// JQ, the --jq flag, filters the response's JSON with a jq expression;
	// strings are printed raw, other values as indented JSON.
	JQ string
	// Template, the --template flag, renders the response's JSON with a Go
	// text/template (see TemplateFuncs).
	Template string

	// Detail renders each item of a list response as a card on a terminal
	// instead of a table row; commands set it when asked for one item
	// (get --id). Machine formats are not affected.
	Detail bool
	// Render, when set, replaces the built-in terminal rendering (table and
	// wide formats) of the value; machine formats still export the value.
	Render func(t *Terminal) error
	// Now is the clock for statuses and relative times; nil is time.Now.
	// Absolute times on a terminal are shown in the location of the time
	// it returns.
	Now func() time.Time
}

// Validate checks that the options do not contradict each other: at most one
// of Field, JQ and Template, and none of them with a format other than json.
func (o Options) Validate() error {
	var set []string
	if o.Field != "" {
		set = append(set, "--field")
	}
	if o.JQ != "" {
		set = append(set, "--jq")
	}
	if o.Template != "" {
		set = append(set, "--template")
	}
	if len(set) > 1 {
		return usageErrorf("%s cannot be used together", strings.Join(set, " and "))
	}
	if _, err := ParseFormat(string(o.Format)); err != nil {
		return err
	}
	if len(set) == 1 && o.Format != Auto && o.Format != JSON {
		return usageErrorf("%s cannot be used with -o %s", set[0], o.Format)
	}
	return nil
}

// resolve returns the format to use: Auto becomes Table on a terminal and
// JSON on a pipe.
func (o Options) resolve(stdoutTTY bool) Format {
	if o.Format != Auto {
		return o.Format
	}
	if stdoutTTY {
		return Table
	}
	return JSON
}

func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// UsageError is an error in the output options or in what they ask of a
// response (an unknown -o value, an unknown --field, a bad --jq expression).
// The CLI reports it as a usage error.
type UsageError struct {
	Err error
}

func (e *UsageError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *UsageError) Unwrap() error { return e.Err }

func usageErrorf(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// IsUsageError reports whether err is, or wraps, a *UsageError.
func IsUsageError(err error) bool {
	var u *UsageError
	return errors.As(err, &u)
}
