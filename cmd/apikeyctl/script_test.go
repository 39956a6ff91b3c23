package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/apikeyctl/apikeyctl/pkg/cli"
	"github.com/apikeyctl/apikeyctl/pkg/daemon"
	"github.com/apikeyctl/apikeyctl/pkg/store/postgres/pgtest"
)

// TestMain lets the test binary run as apikeyctl and apikeyd, so the
// scripts drive the real commands in their own processes.
func TestMain(m *testing.M) {
	// Under -race every process would sleep a second at exit (the race
	// runtime's atexit_sleep_ms): the scripts run hundreds of them.
	if os.Getenv("GORACE") == "" {
		os.Setenv("GORACE", "atexit_sleep_ms=0")
	}
	testscript.Main(withPostgres{m}, map[string]func(){
		"apikeyctl": func() { os.Exit(cli.Main(os.Args[1:])) },
		"apikeyd":   func() { os.Exit(daemon.Main(os.Args[1:])) },
	})
}

// withPostgres runs the tests, then stops the PostgreSQL server that the
// scripts on a PostgreSQL store started, if any (pgtest).
type withPostgres struct{ m *testing.M }

func (w withPostgres) Run() int { return pgtest.Main(w.m) }

// TestScripts runs the CLI and daemon flows in testdata/script.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "../../testdata/script",
		Setup: func(env *testscript.Env) error {
			// Keep the Unix socket path short and the user's config out.
			dir, err := os.MkdirTemp("", "aks")
			if err != nil {
				return err
			}
			env.Defer(func() { os.RemoveAll(dir) })
			env.Setenv("SOCK", dir+"/apikeyd.sock")
			// apikeyctl's default target is apikeyd's default socket:
			// point it into the test's own directory.
			env.Setenv("APIKEYD_SOCKET", dir+"/default.sock")
			env.Setenv("XDG_CONFIG_HOME", env.WorkDir+"/config")
			env.Setenv("XDG_RUNTIME_DIR", dir)
			env.Setenv("NO_COLOR", "")
			return nil
		},
		// [postgres] is true when there is a PostgreSQL server for the
		// tests (see pgtest); a script on one skips without it.
		Condition: func(cond string) (bool, error) {
			if cond != "postgres" {
				return false, fmt.Errorf("unknown condition %q", cond)
			}
			return pgtest.Available() == nil, nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"pgstore":    pgStore,
			"pgexec":     pgExec,
			"wait-ready": waitReady,
			"wait-file":  waitFile,
			"wait-match": waitMatch,
			"envfile":    envFile,
			"jq":         jqCmd,
		},
	})
}

// pgStore NAME sets $NAME to the URL of a new, empty PostgreSQL database
// of the tests' server, dropped when the script ends, and ${NAME}_DB to
// the database's name: the script checks [postgres] first.
func pgStore(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: pgstore NAME")
	}
	dsn, drop, err := pgtest.NewDatabase(context.Background())
	ts.Check(err)
	cfg, err := pgx.ParseConfig(dsn)
	ts.Check(err)
	ts.Setenv(args[0]+"_DB", cfg.Database)
	ts.Defer(func() {
		if err := drop(); err != nil {
			ts.Logf("%v", err)
		}
	})
	ts.Setenv(args[0], dsn)
}

// pgExec SQL runs SQL on the PostgreSQL server of the tests, from
// outside the database of the script (to refuse its connections, say).
func pgExec(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: pgexec SQL")
	}
	ts.Check(pgtest.Exec(context.Background(), args[0]))
}

// waitReady FILE waits for apikeyd's ready file and sets $ADDR to the TCP
// address it listens on (when it does).
func waitReady(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: wait-ready FILE")
	}
	var ready struct {
		Socket string `json:"socket"`
		Addr   string `json:"addr"`
	}
	waitForFile(ts, args[0], "apikeyd did not become ready", func(data []byte) bool {
		return json.Unmarshal(data, &ready) == nil
	})
	ts.Setenv("ADDR", ready.Addr)
}

// waitFile FILE waits until FILE exists and is not empty: written by a
// process the script started (a daemon's hook).
func waitFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: wait-file FILE")
	}
	waitForFile(ts, args[0], "not written", func([]byte) bool { return true })
}

// waitMatch FILE REGEXP waits until FILE holds a match of REGEXP:
// written line by line by a process the script started (apikeyctl
// events -f).
func waitMatch(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: wait-match FILE REGEXP")
	}
	re, err := regexp.Compile(args[1])
	ts.Check(err)
	waitForFile(ts, args[0], "no match of "+args[1], re.Match)
}

// waitForFile polls until the file at name holds content that done
// accepts. The deadline only guards against a hang: the file is the
// signal, written by the process the script waits for.
func waitForFile(ts *testscript.TestScript, name, failure string, done func(data []byte) bool) {
	path := ts.MkAbs(name)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if data, err := os.ReadFile(path); err == nil && len(data) > 0 && done(data) {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("%s: %s", failure, path)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// envfile NAME FILE sets $NAME to the first line of FILE.
func envFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: envfile NAME FILE")
	}
	data := ts.ReadFile(args[1])
	ts.Setenv(args[0], strings.TrimSpace(strings.SplitN(data, "\n", 2)[0]))
}
