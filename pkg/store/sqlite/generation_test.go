package sqlite

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// writerEnv names the database a child process of the test binary writes
// one key to (see TestMain).
const writerEnv = "APIKEYD_TEST_SQLITE_WRITE"

func TestMain(m *testing.M) {
	if path := os.Getenv(writerEnv); path != "" {
		os.Exit(writeOneKey(path))
	}
	os.Exit(m.Run())
}

// writeOneKey is the child process: it opens path, inserts a key, exits.
func writeOneKey(path string) int {
	ctx := context.Background()
	db, err := Open(ctx, path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer db.Close()
	err = db.Update(ctx, func(w store.Writer) error { return w.InsertAPIKey(ctx, leafKey("child", `{}`)) })
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// TestGenerationSeesOtherProcesses: a commit by another process changes
// the generation, through the mapped WAL-index header and through
// data_version alike.
func TestGenerationSeesOtherProcesses(t *testing.T) {
	for _, mapped := range []bool{true, false} {
		t.Run(fmt.Sprintf("mapped=%v", mapped), func(t *testing.T) {
			path := tempPath(t)
			db := mustOpen(t, path)
			if _, err := db.Generation(t.Context()); err != nil {
				t.Fatal(err)
			}
			if got := db.gen.header != nil; got != mapped {
				if mapped {
					t.Skip("the WAL-index header cannot be mapped here")
				}
				if err := db.closeWatch(); err != nil {
					t.Fatal(err)
				}
			}
			before, err := db.Generation(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), writerEnv+"="+path)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("child: %v\n%s", err, out)
			}
			after, err := db.Generation(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if after == before {
				t.Errorf("generation %d did not change with another process's commit", before)
			}
			if _, err := getKey(t, db, "child"); err != nil {
				t.Errorf("the child's key: %v", err)
			}
		})
	}
}
