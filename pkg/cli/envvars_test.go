package cli

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func envVarNames() map[string]bool {
	names := map[string]bool{}
	for _, v := range envVars {
		names[v.name] = true
	}
	return names
}

// Every APIKEYCTL_ name this package's code holds (lookups, messages and
// help) is in envVars, the list 'apikeyctl help environment' shows.
func TestEnvVarsListsEveryName(t *testing.T) {
	listed := envVarNames()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	name := regexp.MustCompile(`APIKEYCTL_[A-Z0-9_]*[A-Z0-9]`)
	fset := token.NewFileSet()
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			for _, m := range name.FindAllString(lit.Value, -1) {
				if !listed[m] {
					t.Errorf("%s: %s is not in envVars", fset.Position(lit.Pos()), m)
				}
			}
			return true
		})
	}
}

// Every variable loading the configuration reads, settings read as
// envKey(flag) and the default socket's included, is in envVars.
func TestEnvVarsListsWhatConfigReads(t *testing.T) {
	listed := envVarNames()
	flags := pflag.NewFlagSet("test", pflag.ContinueOnError)
	NewRootCmd(testFactory(testStreams("", false, nil).ios, nil)).PersistentFlags().VisitAll(func(f *pflag.Flag) { flags.AddFlag(f) })
	for _, env := range []map[string]string{
		{"XDG_CONFIG_HOME": t.TempDir()},
		{"XDG_CONFIG_HOME": t.TempDir(), "APIKEYCTL_URL": "http://127.0.0.1:1", "APIKEYCTL_USERNAME": "u"},
	} {
		_, _ = loadConfig(flags, func(k string) string {
			if (strings.HasPrefix(k, "APIKEYCTL_") || strings.HasPrefix(k, "APIKEYD_") || strings.HasPrefix(k, "XDG_")) && !listed[k] {
				t.Errorf("configuration reads %s, which is not in envVars", k)
			}
			return env[k]
		})
	}
}

func TestHelpEnvironmentShowsEveryVariable(t *testing.T) {
	for _, v := range envVars {
		if !strings.Contains(environmentHelp, "\n  "+v.name+" ") && !strings.Contains(environmentHelp, "\n  "+v.name+"\n") {
			t.Errorf("help environment does not show %s", v.name)
		}
	}
}
