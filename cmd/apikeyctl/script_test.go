package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
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
	path := ts.MkAbs(args[0])
	deadline := time.Now().Add(20 * time.Second)
	for {
		data, err := os.ReadFile(path)
		if err == nil && len(data) > 0 {
			var ready struct {
				Socket string `json:"socket"`
				Addr   string `json:"addr"`
			}
			if err := json.Unmarshal(data, &ready); err == nil {
				ts.Setenv("ADDR", ready.Addr)
				return
			}
		}
		if time.Now().After(deadline) {
			ts.Fatalf("apikeyd did not become ready: %s not written", path)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitFile FILE waits until FILE exists and is not empty: written by a
// process the script started (a daemon's hook). The deadline only guards
// against a hang.
func waitFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: wait-file FILE")
	}
	path := ts.MkAbs(args[0])
	deadline := time.Now().Add(20 * time.Second)
	for {
		if info, err := os.Stat(path); err == nil && info.Size() > 0 {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("%s was not written", path)
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
