package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/store/postgres/pgserver"
	"github.com/apikeyctl/apikeyctl/pkg/store/postgres/pgtest"
)

// TestMain lets the test binary stand in for apikeybench when the
// benchmark runs itself as a baseline process.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 {
		if run, ok := hiddenModes[os.Args[1]]; ok {
			os.Exit(run(os.Args[2:]))
		}
	}
	os.Exit(m.Run())
}

// TestQuickRun runs the whole benchmark at its smallest and checks the
// table's shape: every row, each with apikeyd's figure, its baseline or
// none, a ratio where there is a baseline, and a goal. The rows on
// PostgreSQL run too when a server can be had: the one of
// APIKEYD_TEST_POSTGRES, or a private one the benchmark starts. It
// asserts nothing about speed: the benchmark measures, tests do not.
func TestQuickRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs apikeyd")
	}
	args := []string{"--quick", "-o", "json"}
	want := rowNames
	noPostgres := ""
	if dsn := os.Getenv(pgtest.EnvDSN); dsn != "" {
		args = append(args, "--postgres", dsn)
		want = allRowNames
	} else if _, err := pgserver.BinDir(); err == nil {
		args = append(args, "--rows", strings.Join(allRowNames, ","))
		want = allRowNames
	} else {
		noPostgres = fmt.Sprintf("no PostgreSQL server for the -pg rows: %v; set %s or install the PostgreSQL server", err, pgtest.EnvDSN)
	}
	var stdout, stderr bytes.Buffer
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	var out struct {
		Machine string   `json:"machine"`
		Rows    []result `json:"rows"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	if out.Machine == "" {
		t.Error("no machine description")
	}
	var got []string
	for _, r := range out.Rows {
		got = append(got, r.Row)
		if r.Apikeyd == "" || r.Baseline == "" || r.Goal == "" || r.RatioText == "" {
			t.Errorf("row %s incomplete: %+v", r.Row, r)
		}
		// A figure of nothing: a load that sent no request, an empty store.
		if strings.HasPrefix(r.Apikeyd, "0 ") {
			t.Errorf("row %s measured nothing: %+v", r.Row, r)
		}
		if r.Baseline != "—" && (r.Ratio <= 0 || math.IsInf(r.Ratio, 0)) {
			t.Errorf("row %s has a baseline but no ratio: %+v", r.Row, r)
		}
	}
	slices.Sort(got)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Errorf("rows\n%v\nwant\n%v", got, want)
	}
	t.Run("postgres", func(t *testing.T) {
		if noPostgres != "" {
			t.Skip(noPostgres)
		}
	})
}

func TestOptions(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // error fragment, "" for none
	}{
		{"defaults", nil, ""},
		{"quick json", []string{"--quick", "-o", "json"}, ""},
		{"some rows", []string{"--rows", "auth-hot,db-size"}, ""},
		{"rows on postgres", []string{"--rows", "auth-hot-pg,auth-hot-3-replicas-pg,db-size-pg"}, ""},
		{"no replicas row on sqlite", []string{"--rows", "auth-hot-3-replicas"}, `unknown row "auth-hot-3-replicas"`},
		{"unknown row", []string{"--rows", "auth-warm"}, `unknown row "auth-warm"`},
		{"unknown output", []string{"-o", "yaml"}, `-o "yaml"`},
		{"too few keys", []string{"--keys", "10"}, "--keys must be at least"},
		{"argument", []string{"now"}, `unexpected argument "now"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			_, err := parseOptions(tt.args, &stderr)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("error %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestMarkdown(t *testing.T) {
	var b bytes.Buffer
	rows := []result{
		ratioRow("create", "64 clients", "9000 keys/s", "raw: 4000 rows/s", 2.25, "≥ 1.5×", true),
		{Row: "db-size", What: "size", Apikeyd: "900 bytes/key", Baseline: "—", RatioText: "—", Goal: "≤ 800 bytes/key"},
	}
	if err := write(&b, "markdown", "2 CPUs", rows); err != nil {
		t.Fatal(err)
	}
	want := "Measured on 2 CPUs.\n\n| row | apikeyd | baseline | ratio | goal | holds |\n|---|---|---|---|---|---|\n" +
		"| create: 64 clients | 9000 keys/s | raw: 4000 rows/s | 2.25× | ≥ 1.5× | yes |\n" +
		"| db-size: size | 900 bytes/key | — | — | ≤ 800 bytes/key | **no** |\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
