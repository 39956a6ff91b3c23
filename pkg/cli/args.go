package cli

import (
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/apikeyctl/apikeyctl/pkg/keyflags"
)

// dashIDRE matches an API key id that begins with '-': ids are 20
// URL-safe base64 characters, so one in 64 does.
var dashIDRE = regexp.MustCompile(`^-[A-Za-z0-9_-]{19}$`)

// protectDashIDs moves the arguments that are API key ids beginning with
// '-' behind "--", so that `apikeyctl invalidate -mplHpLqMZrko4Jme84e` and
// `... --field id | xargs apikeyctl invalidate` take them as ids instead
// of failing on an unknown flag. An argument is left alone when it is a
// flag of the command (--new-password-stdin has an id's length), the value
// of the flag before it, or already behind "--". A single dash and 19
// more characters is never a valid flag: no shorthand takes such a value.
// The positional arguments after the first such id move with it, so that
// they keep their order (inspect shows its cards in the order asked);
// flags and their values stay in front of "--".
func protectDashIDs(root *cobra.Command, args []string) []string {
	cmd, _, err := root.Find(args)
	if err != nil || cmd == nil {
		cmd = root
	}
	var kept, ids []string
	for i, a := range args {
		if a == "--" {
			out := append(kept, "--")
			out = append(out, ids...)
			return append(out, args[i+1:]...)
		}
		if !takesValue(cmd, args[:i]) {
			isID := dashIDRE.MatchString(a) && !isFlag(cmd, a)
			if isID || (len(ids) > 0 && !looksLikeFlag(a)) {
				ids = append(ids, a)
				continue
			}
		}
		kept = append(kept, a)
	}
	if len(ids) == 0 {
		return args
	}
	return append(append(kept, "--"), ids...)
}

// looksLikeFlag reports whether cobra would parse a as a flag.
func looksLikeFlag(a string) bool {
	return len(a) > 1 && strings.HasPrefix(a, "-")
}

// isFlag reports whether a spells a long flag of cmd (an id may begin
// with "--" too).
func isFlag(cmd *cobra.Command, a string) bool {
	return strings.HasPrefix(a, "--") && cmd.Flag(a[2:]) != nil
}

// takesValue reports whether the last of before is a flag of cmd that
// takes the next argument as its value.
func takesValue(cmd *cobra.Command, before []string) bool {
	if len(before) == 0 {
		return false
	}
	prev := before[len(before)-1]
	if !strings.HasPrefix(prev, "-") || strings.Contains(prev, "=") || prev == "-" || prev == "--" {
		return false
	}
	var name string
	if strings.HasPrefix(prev, "--") {
		name = prev[2:]
	} else if len(prev) == 2 {
		if fl := cmd.Flags().ShorthandLookup(prev[1:]); fl != nil {
			name = fl.Name
		} else if fl := cmd.InheritedFlags().ShorthandLookup(prev[1:]); fl != nil {
			name = fl.Name
		}
	}
	fl := cmd.Flag(name)
	if fl == nil {
		return false
	}
	return fl.NoOptDefVal == ""
}

// changedString is v when the flag name was given, nil when it was not:
// the request field of an optional flag.
func changedString(cmd *cobra.Command, name string, v *string) *string {
	if cmd.Flags().Changed(name) {
		return v
	}
	return nil
}

// timeValueFlags are the flags, on any command, whose value is an
// Elasticsearch time value.
var timeValueFlags = []string{"expiration", "retention-period"}

// checkTimeValueFlags parses the time-value flags cmd was given as
// Elasticsearch would, so that a bad value is a flag error (exit 2) that
// names the flag rather than the server's parse error about a field.
func checkTimeValueFlags(cmd *cobra.Command) error {
	for _, name := range timeValueFlags {
		fl := cmd.Flags().Lookup(name)
		if fl == nil || !fl.Changed {
			continue
		}
		if err := keyflags.CheckTimeValue(name, fl.Value.String()); err != nil {
			return &UsageError{Err: err}
		}
	}
	return nil
}
