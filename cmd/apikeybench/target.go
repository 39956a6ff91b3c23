package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// storeBaselines is what differs between the stores a run measures: how
// apikeyd and apikeyctl are told to use it, and the baselines measured on
// the same store, by hand.
type storeBaselines interface {
	// daemonFlags and ctlFlags name the store to apikeyd and to
	// apikeyctl in local mode.
	daemonFlags() []string
	ctlFlags() []string
	// rawInserts measures n rows inserted by hand, one transaction each,
	// and says how.
	rawInserts(ctx context.Context, n int) (perSecond float64, how string, err error)
	// pointSelectAndHash is the time per key of a point SELECT of its hash
	// and one salted SHA-256.
	pointSelectAndHash(ctx context.Context, ids []string) (time.Duration, error)
	// handQuery times query (with ? placeholders), its rows encoded as
	// JSON: the median of n runs after one to warm up.
	handQuery(ctx context.Context, n int, query string, args ...any) (time.Duration, error)
	// jsonText is a JSON column read as its text.
	jsonText(column string) string
	// ownedIDs reads up to n ids of the valid keys owner owns.
	ownedIDs(ctx context.Context, owner string, n int) ([]string, error)
	// grow adds copies of the templates' keys until the store holds
	// target keys.
	grow(ctx context.Context, templates []ownerTemplate, target int) error
	// size is the store's size in bytes, the daemon stopped.
	size(ctx context.Context) (int64, error)
	// selectBaseline is the arguments of the benchmark's hidden mode that
	// reads the key id from the store in a process of its own.
	selectBaseline(id string) []string
}

// target is a store a run measures its rows on, in a data directory of
// its own.
type target struct {
	storeBaselines
	// name is the store's, for the log.
	name string
	// suffix ends the names of the rows measured on the store: "" for
	// SQLite, "-pg" for PostgreSQL.
	suffix  string
	dataDir string
	// replicated: the store is shared by several apikeyd processes, and
	// the run measures three of them.
	replicated bool
}

// start starts an apikeyd named name on the target's store.
func (t *target) start(ctx context.Context, b *bench, name string, extra ...string) (*daemon, error) {
	return b.startNamedDaemon(ctx, t.dataDir, name+t.suffix, append(t.daemonFlags(), extra...)...)
}

// sqliteStore is the default store: the database file in the data
// directory.
type sqliteStore struct {
	file string
	// rawFile is the database of the raw inserts.
	rawFile string
}

func newSQLiteTarget(b *bench) *target {
	dir := filepath.Join(b.dir, "small")
	return &target{storeBaselines: &sqliteStore{file: filepath.Join(dir, "apikeys.db"), rawFile: filepath.Join(b.dir, "raw.db")}, name: "SQLite", dataDir: dir}
}

func (s *sqliteStore) daemonFlags() []string { return nil }
func (s *sqliteStore) ctlFlags() []string    { return []string{"--db", s.file} }
func (s *sqliteStore) jsonText(column string) string {
	return column
}

func (s *sqliteStore) rawInserts(_ context.Context, n int) (float64, string, error) {
	perSecond, err := rawInserts(s.rawFile, n)
	return perSecond, fmt.Sprintf("raw SQLite inserts, 1 tx/row, WAL, synchronous=FULL: %.0f rows/s", perSecond), err
}

func (s *sqliteStore) pointSelectAndHash(_ context.Context, ids []string) (time.Duration, error) {
	return pointSelectAndHash(s.file, ids)
}

func (s *sqliteStore) handQuery(_ context.Context, n int, query string, args ...any) (time.Duration, error) {
	return handQuery(s.file, n, query, args...)
}

func (s *sqliteStore) ownedIDs(_ context.Context, owner string, n int) ([]string, error) {
	return ownedIDs(s.file, owner, n)
}

func (s *sqliteStore) grow(ctx context.Context, templates []ownerTemplate, target int) error {
	return growDatabase(ctx, s.file, templates, target)
}

func (s *sqliteStore) size(context.Context) (int64, error) { return fileSize(s.file) }

func (s *sqliteStore) selectBaseline(id string) []string {
	return []string{"baseline-select", s.file, id}
}

// rebind numbers the ? placeholders of query $1, $2 ..., as PostgreSQL
// wants them.
func rebind(query string) string {
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
