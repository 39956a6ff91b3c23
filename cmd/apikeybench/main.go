// Command apikeybench measures apikeyd against baselines measured in the
// same run, on this machine, and prints the ratios as a markdown table (or
// JSON): authentication hot and cold against a bare HTTP server and a
// point SELECT with one salted SHA-256, concurrent creates against raw
// SQLite inserts, bulk update, invalidation by owner, aggregations and
// term queries against hand-written SQL, apikeyctl --db against a bare
// process that opens the file, database size and peak memory.
//
// The same rows, suffixed -pg, measure apikeyd on PostgreSQL (--store
// postgres://...) against the same baselines on the same server (raw pgx
// INSERTs, a point SELECT over pgx, SQL by hand), with one more:
// auth-hot-3-replicas-pg, auth-hot's load spread round robin over three
// apikeyd processes sharing the database. They run with --postgres URL
// (a role that may create databases: the run creates its own and drops
// it) or when --rows names them, on a private server started for the run
// when --postgres is not given (see pkg/store/postgres/pgserver).
//
// It builds apikeyd and apikeyctl (or takes --apikeyd and --apikeyctl),
// creates its data through the API in a temporary directory, grows the
// database to --keys keys with the store package (with COPY on
// PostgreSQL), and runs the real programs. CPU per request is read from
// the kernel's accounting of the measured process: on a shared machine
// it is steadier than throughput.
//
// It is a development tool: it is not shipped in releases.
//
//	go run ./cmd/apikeybench              # the full run, 1M keys
//	go run ./cmd/apikeybench --quick      # a smoke run in seconds
//	go run ./cmd/apikeybench --keys 100000 --rows create-pg,auth-hot-pg,auth-hot-3-replicas-pg
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"time"
)

func main() {
	if len(os.Args) > 1 {
		if run, ok := hiddenModes[os.Args[1]]; ok {
			os.Exit(run(os.Args[2:]))
		}
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// options are the command line.
type options struct {
	keys      int
	hotKeys   int
	coldKeys  int
	duration  time.Duration
	output    string
	apikeyd   string
	apikeyctl string
	keep      bool
	quick     bool
	postgres  string
	rows      map[string]bool
}

func parseOptions(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("apikeybench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &options{}
	fs.BoolVar(&o.quick, "quick", false, "small sizes and short runs: a smoke test of the benchmark, not a measurement")
	fs.IntVar(&o.keys, "keys", 1_000_000, "keys in the big database (bulk, invalidate, aggregation, size rows)")
	fs.IntVar(&o.hotKeys, "hot-keys", 10_000, "keys the auth-hot row authenticates with, round robin")
	fs.IntVar(&o.coldKeys, "cold-keys", 50_000, "keys the auth-cold row authenticates with, round robin (more than the cache holds)")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "how long each load runs")
	fs.StringVar(&o.output, "o", "markdown", "output: markdown or json")
	fs.StringVar(&o.apikeyd, "apikeyd", "", "the apikeyd binary (default: built from this module)")
	fs.StringVar(&o.apikeyctl, "apikeyctl", "", "the apikeyctl binary (default: built from this module)")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory and say where it is")
	fs.StringVar(&o.postgres, "postgres", os.Getenv(envPostgres), "a PostgreSQL `URL` (a role that may create databases) to measure the -pg rows on, in a database of the run's own (default $"+envPostgres+"; without it, the -pg rows --rows names run on a private server)")
	rows := fs.String("rows", "", "comma-separated rows to run (default all on SQLite, and on PostgreSQL with --postgres): "+strings.Join(allRowNames, ","))
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.quick {
		o.keys, o.hotKeys, o.coldKeys, o.duration = 3000, 300, 600, 300*time.Millisecond
	}
	if o.output != "markdown" && o.output != "json" {
		return nil, fmt.Errorf("-o %q: want markdown or json", o.output)
	}
	if o.hotKeys < 1 || o.coldKeys < 1 || o.keys < max(o.hotKeys, o.coldKeys, 20) {
		return nil, fmt.Errorf("--keys must be at least --hot-keys, --cold-keys and 20")
	}
	o.rows = map[string]bool{}
	for _, r := range strings.Split(*rows, ",") {
		if r == "" {
			continue
		}
		if !contains(allRowNames, r) {
			return nil, fmt.Errorf("--rows: unknown row %q (want %s)", r, strings.Join(allRowNames, ", "))
		}
		o.rows[r] = true
	}
	return o, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseOptions(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "apikeybench:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	b, err := newBench(ctx, o, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "apikeybench:", err)
		return 1
	}
	defer b.cleanup()
	results, err := b.run(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "apikeybench:", err)
		return 1
	}
	if err := write(stdout, o.output, b.machine(), results); err != nil {
		fmt.Fprintln(stderr, "apikeybench:", err)
		return 1
	}
	return 0
}

// result is one row of the table.
type result struct {
	Row      string  `json:"row"`
	What     string  `json:"what"`
	Apikeyd  string  `json:"apikeyd"`
	Baseline string  `json:"baseline"`
	Ratio    float64 `json:"ratio,omitempty"`
	// RatioText is how the ratio reads (e.g. "0.85×", "4.2× less CPU").
	RatioText string `json:"ratio_text"`
	Goal      string `json:"goal"`
	Holds     bool   `json:"holds"`
}

// write prints the results.
func write(w io.Writer, format, machine string, results []result) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Machine string   `json:"machine"`
			Rows    []result `json:"rows"`
		}{machine, results})
	}
	fmt.Fprintf(w, "Measured on %s.\n\n", machine)
	fmt.Fprintln(w, "| row | apikeyd | baseline | ratio | goal | holds |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, r := range results {
		holds := "yes"
		if !r.Holds {
			holds = "**no**"
		}
		fmt.Fprintf(w, "| %s: %s | %s | %s | %s | %s | %s |\n", r.Row, r.What, r.Apikeyd, r.Baseline, r.RatioText, r.Goal, holds)
	}
	return nil
}

// machine describes where the run happened.
func machineDescription() string {
	return fmt.Sprintf("%d CPUs, %s %s/%s", runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
