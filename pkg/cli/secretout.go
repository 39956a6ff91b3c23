package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/output"
)

// The formats of --secret-format: how a new key's secret is written.
const (
	secretEncoded = "encoded" // the credential a client sends (base64 of id:key)
	secretIDKey   = "id:key"  // the id and the secret, colon-separated
	secretHeader  = "header"  // the Authorization header line
	secretEnv     = "env"     // APIKEY_ID=... and APIKEY_ENCODED=... lines
	secretJSON    = "json"    // {"id","name","api_key","encoded"}
)

// secretFormats lists the formats in the order help shows them.
var secretFormats = []string{secretEncoded, secretIDKey, secretHeader, secretEnv, secretJSON}

// The variables of --secret-format env. Their values (a key id, standard
// base64) need no quoting in a shell, a .env file or $GITHUB_ENV.
const (
	envSecretID      = "APIKEY_ID"
	envSecretEncoded = "APIKEY_ENCODED"
)

// secretFlags are --secret-out and --secret-format, shared by every
// command that makes a key and so shows a secret once (create, grant,
// clone, rotate). A command registers them and routes its call through
// deliver.
type secretFlags struct {
	out    secretDest
	format string
}

func (s *secretFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.Var(&s.out, "secret-out", "write the new key's secret to `fd:N` (an open file descriptor) or file:PATH (created 0600, never overwritten) and only the id, name and expiration to stdout")
	fl.StringVar(&s.format, "secret-format", "", "how the secret is written: "+strings.Join(secretFormats, ", ")+" (default encoded with --secret-out)")
	_ = cmd.RegisterFlagCompletionFunc("secret-format", cobra.FixedCompletions(secretFormats, cobra.ShellCompDirectiveNoFileComp))
}

// asked reports whether the secret goes anywhere but the usual answer.
func (s *secretFlags) asked() bool { return s.out.spec != "" || s.format != "" }

// deliver runs call, the request that makes one key, and writes its
// answer. Without --secret-out or --secret-format that is the usual
// answer (a card, the API's JSON). With --secret-format alone, stdout
// gets the secret in that format and nothing else. With --secret-out the
// destination is opened before call (a bad one costs no key), the secret
// goes there, and stdout gets the key's id, name and expiration only
// (through -o, --field, --jq and --template as usual). A
// file created for the secret is removed when anything fails after.
func (s *secretFlags) deliver(ctx context.Context, f *Factory, out *outputFlags, call func(context.Context) (*api.CreateAPIKeyResponse, error)) error {
	return s.deliverWith(ctx, f, out, func(ctx context.Context) (any, *api.CreateAPIKeyResponse, error) {
		resp, err := call(ctx)
		return resp, resp, err
	})
}

// deliverWith is deliver for a call whose answer holds more than the new
// key (a rotation's also says what became of the old one): call returns
// the whole answer, printed when no secret flag is given, and the new
// key within it.
func (s *secretFlags) deliverWith(ctx context.Context, f *Factory, out *outputFlags, call func(context.Context) (any, *api.CreateAPIKeyResponse, error)) error {
	if !s.asked() {
		answer, _, err := call(ctx)
		if err != nil {
			return err
		}
		return out.print(f, answer)
	}
	format := s.format
	if format == "" {
		format = secretEncoded
	}
	if err := checkSecretFormat(format); err != nil {
		return err
	}
	if o := out.opts; s.out.spec == "" && (o.Field != "" || o.JQ != "" || o.Template != "" || o.Format != output.Auto) {
		return usageErrorf("--secret-format without --secret-out prints the secret alone on stdout: it cannot be combined with -o, --field, --jq or --template (add --secret-out to send the secret elsewhere and format the rest)")
	}
	if s.out.spec == "" {
		_, resp, err := call(ctx)
		if err != nil {
			return err
		}
		return writeSecret(f.IOStreams.Out, format, resp)
	}
	sink, err := s.out.open()
	if err != nil {
		return err
	}
	_, resp, err := call(ctx)
	if err != nil {
		sink.abort()
		return err
	}
	err = writeSecret(sink.w, format, resp)
	if err == nil {
		err = sink.close()
	} else {
		sink.abort()
	}
	if err != nil {
		return fmt.Errorf("API key %s was created but its secret could not be written to %s (%v): invalidate it with 'apikeyctl invalidate %s'", resp.ID, s.out.spec, err, resp.ID)
	}
	created := &createdKey{ID: resp.ID, Name: resp.Name, Expiration: resp.Expiration}
	o := out.opts
	o.Now = f.Now
	o.Render = func(t *output.Terminal) error {
		expires := "never expires"
		if created.Expiration != nil {
			expires = "expires " + output.RelativeTime(output.Millis(*created.Expiration), t.Now)
		}
		if !t.TTY {
			return t.Table([]string{"ID", "NAME", "EXPIRATION"}, [][]string{{created.ID, created.Name, expires}})
		}
		_, err := fmt.Fprintf(t.Out, "%s Created API key %s (id %s), %s; its secret went to %s\n",
			t.Styles.Success.Render("✓"), created.Name, created.ID, expires, s.out.spec)
		return err
	}
	return output.Write(f.IOStreams, o, created)
}

// createdKey is what stdout shows of a new key whose secret went to
// --secret-out.
type createdKey struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Expiration *int64 `json:"expiration,omitempty"`
}

func checkSecretFormat(format string) error {
	for _, f := range secretFormats {
		if f == format {
			return nil
		}
	}
	return usageErrorf("invalid --secret-format %q: use one of %s", format, strings.Join(secretFormats, ", "))
}

// writeSecret writes the secret of resp to w in format, ending with a
// newline.
func writeSecret(w io.Writer, format string, resp *api.CreateAPIKeyResponse) error {
	var text string
	switch format {
	case secretEncoded:
		text = resp.Encoded + "\n"
	case secretIDKey:
		text = resp.ID + ":" + resp.APIKey + "\n"
	case secretHeader:
		text = "Authorization: ApiKey " + resp.Encoded + "\n"
	case secretEnv:
		text = envSecretID + "=" + resp.ID + "\n" + envSecretEncoded + "=" + resp.Encoded + "\n"
	case secretJSON:
		data, err := json.Marshal(struct {
			ID      string `json:"id"`
			Name    string `json:"name"`
			APIKey  string `json:"api_key"`
			Encoded string `json:"encoded"`
		}{resp.ID, resp.Name, resp.APIKey, resp.Encoded})
		if err != nil {
			return err
		}
		text = string(data) + "\n"
	default:
		return checkSecretFormat(format)
	}
	_, err := io.WriteString(w, text)
	return err
}

// secretDest is the value of --secret-out. A descriptor (fd:N) is
// claimed as the flag is parsed, before this process opens any file of
// its own (a database, a config file) that could take the number of a
// descriptor the shell did not open; a file (file:PATH) is created by
// open, just before the call that makes the key.
type secretDest struct {
	spec string
	fd   *os.File // fd:N, once checked open
	path string   // file:PATH
}

func (d *secretDest) String() string { return d.spec }
func (d *secretDest) Type() string   { return "fd:N|file:PATH" }

// Set parses fd:N, which must be a descriptor open in this process other
// than stdin, stdout and stderr, or file:PATH.
func (d *secretDest) Set(spec string) error {
	kind, arg, _ := strings.Cut(spec, ":")
	switch kind {
	case "fd":
		n, err := strconv.Atoi(arg)
		if err != nil || n < 0 {
			return fmt.Errorf("fd: takes a file descriptor number, such as fd:3")
		}
		if n <= 2 {
			return fmt.Errorf("fd:%d is stdin, stdout or stderr: use another descriptor (3>FILE in the shell), or --secret-format alone to print the secret on stdout", n)
		}
		file := os.NewFile(uintptr(n), "fd:"+arg)
		if file == nil {
			return fmt.Errorf("fd:%d is not an open file descriptor: open it in the shell, as in 3>secret.txt", n)
		}
		if _, err := file.Stat(); err != nil {
			return fmt.Errorf("fd:%d is not an open file descriptor: open it in the shell, as in 3>secret.txt", n)
		}
		d.fd = file
	case "file":
		if arg == "" {
			return fmt.Errorf("file: takes a path, such as file:secret.txt")
		}
		d.path = arg
	default:
		return fmt.Errorf("use fd:N (an open file descriptor) or file:PATH")
	}
	d.spec = spec
	return nil
}

// secretSink is where --secret-out writes: an inherited file descriptor,
// or a file created for it (removed again by abort).
type secretSink struct {
	w       *os.File
	created string // the file's path, when it was created here
}

// open opens the destination for writing: the claimed descriptor, or a
// new file of mode 0600 (an existing one is refused).
func (d *secretDest) open() (*secretSink, error) {
	if d.fd != nil {
		return &secretSink{w: d.fd}, nil
	}
	file, err := os.OpenFile(d.path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil, usageErrorf("--secret-out %s: the file exists, and a secret never overwrites a file: remove it or choose another path", d.path)
	}
	if err != nil {
		return nil, usageErrorf("--secret-out: %v", err)
	}
	return &secretSink{w: file, created: d.path}, nil
}

// close finishes the write: a created file is synced and closed.
func (s *secretSink) close() error {
	if s.created == "" {
		return nil
	}
	err := s.w.Sync()
	if cerr := s.w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(s.created)
	}
	return err
}

// abort removes a file created for the secret; an inherited descriptor
// is left to its owner.
func (s *secretSink) abort() {
	if s.created != "" {
		_ = s.w.Close()
		_ = os.Remove(s.created)
	}
}
