package cli

import (
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/paths"
)

// The environment variables apikeyctl reads by name. The settings that
// flags also give (APIKEYCTL_DB, APIKEYCTL_URL, ...) are read as
// envKey(flag name).
const (
	envContext          = "APIKEYCTL_CONTEXT"
	envConfig           = "APIKEYCTL_CONFIG"
	envPassword         = "APIKEYCTL_PASSWORD"
	envAPIKey           = "APIKEYCTL_API_KEY"
	envSourceAPIKey     = "APIKEYCTL_SOURCE_API_KEY"
	envGrantPassword    = "APIKEYCTL_GRANT_PASSWORD"
	envGrantAccessToken = "APIKEYCTL_GRANT_ACCESS_TOKEN"
	envTokenPassword    = "APIKEYCTL_TOKEN_PASSWORD"
	envAccessToken      = "APIKEYCTL_ACCESS_TOKEN"
	envRefreshToken     = "APIKEYCTL_REFRESH_TOKEN"
)

// envVars is every environment variable apikeyctl reads, with what it
// does: the one list that the lookups name and 'apikeyctl help
// environment' shows (a test checks that every APIKEYCTL_ name in this
// package is in it).
var envVars = []struct{ name, help string }{
	{envKey("db"), "work directly on this apikeyd database file"},
	{envKey("store"), "work directly on this store: a postgres:// URL\n(or a database file)"},
	{envKey("socket"), "talk to apikeyd on this Unix socket"},
	{envKey("url"), "talk to apikeyd or Elasticsearch at this URL"},
	{envContext, "use this context of the config file"},
	{envConfig, "the config file (default\n$XDG_CONFIG_HOME/apikeyctl/config.yaml, else\n~/.config/apikeyctl/config.yaml)"},
	{envKey("username"), "authenticate as this user"},
	{envPassword, "the password of that user"},
	{envAPIKey, "authenticate with this encoded API key"},
	{envKey("ca-cert"), "trust this PEM file of CA certificates for https"},
	{envKey("insecure"), "true: do not verify the server's certificate"},
	{envSourceAPIKey, "clone: the encoded API key to clone (else stdin)"},
	{envGrantPassword, "grant --user: that user's password (else\n--user-password-stdin or a prompt)"},
	{envGrantAccessToken, "grant: the access token of the user the key is for\n(else --access-token-stdin)"},
	{envTokenPassword, "token create --user: that user's password (else\n--user-password-stdin or a prompt)"},
	{envAccessToken, "token invalidate: the access token (else stdin)"},
	{envRefreshToken, "token create/invalidate --refresh: the refresh\ntoken (else stdin)"},
	{paths.SocketEnv, "apikeyd's default socket, for apikeyd and apikeyctl"},
	{paths.DataDirEnv, "apikeyd's data directory: its socket is there\nwhen XDG_RUNTIME_DIR is not set"},
	{"XDG_RUNTIME_DIR", "apikeyd's socket is $XDG_RUNTIME_DIR/apikeyd/apikeyd.sock"},
	{"XDG_DATA_HOME", "apikeyd's data directory is $XDG_DATA_HOME/apikeyd\n(default ~/.local/share/apikeyd)"},
	{"XDG_CONFIG_HOME", "the config file is $XDG_CONFIG_HOME/apikeyctl/config.yaml"},
	{"NO_COLOR", "set: no colour (https://no-color.org)"},
	{"CLICOLOR_FORCE", "set (not 0): colour even on a pipe"},
	{"CLICOLOR", "0: no colour"},
	{"COLUMNS", "the terminal width when it cannot be read"},
}

// envVarsHelp is envVars as the help shows them: a name and its help,
// aligned; a name too long for the column has its help on the next line.
func envVarsHelp() string {
	const col = 24
	var b strings.Builder
	for _, v := range envVars {
		b.WriteString("  " + v.name)
		lines := strings.Split(v.help, "\n")
		if pad := col - 2 - len(v.name); pad >= 2 {
			b.WriteString(strings.Repeat(" ", pad))
		} else {
			b.WriteString("\n" + strings.Repeat(" ", col))
		}
		b.WriteString(lines[0] + "\n")
		for _, l := range lines[1:] {
			b.WriteString(strings.Repeat(" ", col) + l + "\n")
		}
	}
	return b.String()
}
