package cli

import (
	"github.com/spf13/cobra"
)

// helpTopics are the additional help topics: `apikeyctl help NAME`.
var helpTopics = []struct {
	name, short, long string
}{
	{"exit-codes", "Exit codes of apikeyctl and what each means", exitCodesHelp},
	{"environment", "Environment variables, the config file and contexts", environmentHelp},
	{"formatting", "Output formats: -o, --field, --jq, --template, colour", formattingHelp},
}

// addHelpTopics adds the help topics to root. A command without Run and
// without subcommands is a help topic for cobra: listed under "Additional
// help topics", shown by `apikeyctl help NAME`.
func addHelpTopics(root *cobra.Command) {
	for _, t := range helpTopics {
		root.AddCommand(&cobra.Command{Use: t.name, Short: t.short, Long: t.long})
	}
}

const exitCodesHelp = `apikeyctl exits with a code that tells a script what happened, without
parsing messages. Messages go to stderr as one line; stdout holds only the
answer.

  0    ok, also when the answer is empty (get that finds no keys)
  1    error: the API rejected the request (the reason is on stderr), or
       anything unexpected
  2    usage: bad flags or arguments, an unknown -o format or --field, an
       invalid --jq expression or --template, a secret given as a flag,
       a context that does not exist
  3    not found: a key, user or role named by id or name does not exist
       (get --id, inspect, user get NAME, role delete NAME)
  4    authentication: the credentials were refused, or none could be had
       (no password and no terminal to prompt on, a password-command that
       failed, an empty password-env), or too many failed attempts made
       the target refuse for a while (429); for explain, the credential
       explained would be refused (401 or 429)
  5    forbidden: authenticated, but not allowed to do this
  6    partial failure: bulk work done for some items only (invalidate of
       ids of which some were not invalidated, bulk-update errors)
  7    target unreachable: nothing listens on the socket, the connection
       was refused, the TLS handshake failed, or no target is configured
  8    keys expire soon: expiring found keys that expire within --within
       (0 when it found none), for cron jobs and CI steps
  9    conflict: the keys changed since they were read, and nothing was
       done (invalidate --query whose --plan or --expect-count no longer
       holds: make a new --dry-run)
  130  interrupted (Ctrl-C or SIGTERM)

For example:

  apikeyctl get --id "$ID" --field name
  case $? in
    0) echo "the key exists" ;;
    3) echo "no key with id $ID" ;;
    7) echo "apikeyd is not running" ;;
  esac
`

var environmentHelp = `Where apikeyctl sends its calls (the target) and how it authenticates are
chosen, highest precedence first, from:

  1. flags: --db, --socket, --url, --username, --ca-cert, --insecure,
     --password-stdin, --api-key-stdin, --context
  2. the environment: APIKEYCTL_DB, APIKEYCTL_SOCKET, APIKEYCTL_URL, ...
  3. a context of the config file: the one named by --context, else by
     APIKEYCTL_CONTEXT, else the file's current-context (without one, the
     file's top-level db, socket or url keys)
  4. the first of apikeyd's default sockets that answers, in the order
     the daemon chooses among them: $APIKEYD_SOCKET alone when set; else
     $XDG_RUNTIME_DIR/apikeyd/apikeyd.sock, then the data directory's
     apikeyd.sock ($APIKEYD_DATA_DIR, else $XDG_DATA_HOME/apikeyd or
     ~/.local/share/apikeyd: where a daemon started without
     XDG_RUNTIME_DIR, by su or cron, listens), then
     /run/apikeyd/apikeyd.sock (root's, the packaged daemon's). When none
     answers, the error lists the sockets tried.

The target comes whole from the highest layer that names one. A context
is used only when it supplies the target: its username, TLS settings and
credential sources never go to a target named by a flag or the
environment.

Environment variables:

` + envVarsHelp() + `
Secrets are never flags. A password comes from --password-stdin (the first
line of stdin), APIKEYCTL_PASSWORD, the context, or a no-echo prompt on a
terminal; an API key from --api-key-stdin, APIKEYCTL_API_KEY or the
context. --password and --api-key are refused, and so is any flag value
that is an API key credential.

The config file holds contexts, written by 'apikeyctl config set-context'
with mode 0600:

  current-context: prod
  contexts:
    local:
      socket: /run/apikeyd/apikeyd.sock
    prod:
      url: https://es.example.com:9200
      ca-cert: /etc/apikeyctl/prod-ca.pem
      username: key-admin
      password-command: pass show es/prod/key-admin
    ci:
      url: https://es.example.com:9200
      api-key-env: CI_ES_API_KEY

A context never stores a secret: password-env and api-key-env name an
environment variable that holds it, password-command and api-key-command
a command (run with sh -c) whose stdout is the secret, like a credential
helper. Context names are lower case: letters, digits, - and _.
`

const formattingHelp = `Every command prints its answer on stdout in one of these ways:

  (default)      on a terminal, a table or a card; on a pipe, the API's
                 JSON exactly as the REST API returns it
  -o json        the API's JSON, indented
  -o yaml        the same data as YAML, in the same order
  -o jsonl       one compact JSON line per item of a list (one key a line)
  -o table       a table; on a pipe, tab-separated rows without a header
  -o wide        a table with every column (roles, metadata), nothing cut
  --field NAME   one raw value a line: the field of the answer, or of
                 every item of a list (id, name, encoded, metadata.env);
                 dots reach into objects, numbers into arrays
  --jq EXPR      filter the JSON with a jq expression (built in, no jq
                 needed); strings print raw, other values as JSON
  --template T   render the JSON with a Go text/template; besides the
                 built-in functions:
                   join SEP LIST   the elements of LIST joined by SEP
                   ms2time MILLIS  epoch milliseconds as RFC 3339 (UTC)
                   timeago MILLIS  epoch milliseconds relative to now
                   json VALUE      VALUE as compact JSON

--field, --jq and --template work on the JSON answer whatever stdout is,
and take no -o other than json.

Colour and decoration only ever appear on a terminal: NO_COLOR, CLICOLOR=0
or --no-color turn colour off there; CLICOLOR_FORCE turns it on even on a
pipe. Tables follow the terminal's width; on a pipe nothing is cut.

Examples:

  apikeyctl get --name 'ci-*' --field id
  apikeyctl get -o jsonl | wc -l
  apikeyctl get --jq '.api_keys[] | select(.invalidated) | .name'
  apikeyctl get --template '{{range .api_keys}}{{.name}} {{timeago .creation}}{{"\n"}}{{end}}'
`
