package cli

import (
	"encoding/base64"
	"regexp"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// refusedSecretFlags are flags people reach for out of habit (curl -u,
// docker login --password) that would put a secret on the command line,
// where every user sees it in ps and the shell keeps it in its history.
// They exist, hidden, only to be refused with the right advice.
var refusedSecretFlags = map[string]string{
	"password": "give it with --password-stdin, APIKEYCTL_PASSWORD, a context's password-env or password-command, or at the prompt",
	"api-key":  "give it with --api-key-stdin, APIKEYCTL_API_KEY, or a context's api-key-env or api-key-command",
}

func addRefusedSecretFlags(pf *pflag.FlagSet) {
	for name := range refusedSecretFlags {
		pf.String(name, "", "refused: secrets are never flags")
		_ = pf.MarkHidden(name)
	}
}

// encodedKeyRE matches what an encoded API key credential decodes to: a
// 20-character id, a colon, a 22-character secret.
var encodedKeyRE = regexp.MustCompile(`^[A-Za-z0-9_-]{20}:[A-Za-z0-9_-]{22}$`)

// looksLikeCredential reports whether s is an encoded API key credential,
// the secret a client sends.
func looksLikeCredential(s string) bool {
	if len(s) != 60 {
		return false
	}
	b, err := base64.StdEncoding.DecodeString(s)
	return err == nil && encodedKeyRE.Match(b)
}

// checkNoSecretFlags refuses a command line that carries a secret in a
// flag: the refused flags, a username with a password in it, or any flag
// value that is an encoded API key credential. (A password in --url is
// refused where the target is resolved.)
func checkNoSecretFlags(cmd *cobra.Command, root *pflag.FlagSet) error {
	var err error
	cmd.Flags().Visit(func(fl *pflag.Flag) {
		if err != nil {
			return
		}
		if advice, ok := refusedSecretFlags[fl.Name]; ok && root.Lookup(fl.Name) == fl {
			err = usageErrorf("--%s is refused: a secret on the command line is visible to other users and kept in shell history; %s", fl.Name, advice)
			return
		}
		if fl.Name == "username" && strings.Contains(fl.Value.String(), ":") {
			err = usageErrorf("--username must not hold a password (user:password): give the password with --password-stdin, APIKEYCTL_PASSWORD or at the prompt")
			return
		}
		values := []string{fl.Value.String()}
		if sv, ok := fl.Value.(pflag.SliceValue); ok {
			values = sv.GetSlice()
		}
		for _, v := range values {
			if _, after, ok := strings.Cut(v, "="); ok && looksLikeCredential(after) {
				v = after
			}
			if looksLikeCredential(v) {
				err = usageErrorf("the value of --%s is an API key credential: a secret on the command line is visible to other users and kept in shell history; pass it with --api-key-stdin or APIKEYCTL_API_KEY", fl.Name)
				return
			}
		}
	})
	return err
}
