package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/apikeyctl/apikeyctl/pkg/store/postgres/pgserver"
)

// envPostgres names the environment variable that stands in for
// --postgres.
const envPostgres = "APIKEYBENCH_POSTGRES"

// pgStore is a PostgreSQL database of the run, created for it on the
// server of --postgres or on a private server.
type pgStore struct {
	dsn string
}

// newPostgresTarget creates the run's database: on the server of
// --postgres, or on a private server it starts, durable as a server in
// production is (fsync and synchronous_commit on) but for a --quick run,
// which measures nothing. It returns the target and the function that
// drops the database (unless --keep) and stops the private server.
func newPostgresTarget(ctx context.Context, b *bench) (*target, func(), error) {
	server := b.o.postgres
	var private *pgserver.Server
	if server == "" {
		b.step("starting a private PostgreSQL server")
		var settings []string
		if b.o.quick {
			settings = []string{"fsync=off", "synchronous_commit=off", "full_page_writes=off"}
		}
		s, err := pgserver.Start(settings...)
		if err != nil {
			return nil, nil, fmt.Errorf("no PostgreSQL server for the -pg rows (give --postgres URL or install the PostgreSQL server): %w", err)
		}
		private, server = s, s.DSN("postgres")
	}
	stopServer := func() {
		if private != nil {
			if err := private.Stop(); err != nil {
				fmt.Fprintf(b.log, "apikeybench: %v\n", err)
			}
		}
	}
	name := "apikeybench_" + randomHex()
	if err := adminExec(ctx, server, "CREATE DATABASE "+name); err != nil {
		stopServer()
		return nil, nil, fmt.Errorf("--postgres: create the database of the run (the role must be allowed to): %w", err)
	}
	dsn, err := pgserver.WithDatabase(server, name)
	if err != nil {
		stopServer()
		return nil, nil, fmt.Errorf("--postgres: %w", err)
	}
	cleanup := func() {
		switch {
		case private != nil:
			// The private server's databases go with it.
		case b.o.keep:
			fmt.Fprintf(b.log, "kept the database %s\n", name)
		default:
			if err := adminExec(context.Background(), server, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
				fmt.Fprintf(b.log, "apikeybench: drop the database %s: %v\n", name, err)
			}
		}
		stopServer()
	}
	dir := filepath.Join(b.dir, "pg")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		cleanup()
		return nil, nil, err
	}
	return &target{storeBaselines: &pgStore{dsn: dsn}, name: "PostgreSQL", suffix: "-pg", dataDir: dir, replicated: true}, cleanup, nil
}

// randomHex is 16 random hexadecimal digits.
func randomHex() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// adminExec runs one statement on the database dsn.
func adminExec(ctx context.Context, dsn, sql string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

func (s *pgStore) daemonFlags() []string         { return []string{"--store", s.dsn} }
func (s *pgStore) ctlFlags() []string            { return []string{"--store", s.dsn} }
func (s *pgStore) jsonText(column string) string { return column + "::text" }

// rawConns is how many connections the raw inserts use: as many as
// apikeyd's pool holds, each inserting one row a transaction.
const rawConns = 10

// rawInserts inserts n rows by hand, one transaction each, from one
// connection and then from rawConns at once, into a table of the
// schema apikeybench (beside the store's), and returns the better rate.
func (s *pgStore) rawInserts(ctx context.Context, n int) (float64, string, error) {
	pool, err := pgxpool.New(ctx, s.dsn)
	if err != nil {
		return 0, "", err
	}
	defer pool.Close()
	_, err = pool.Exec(ctx, `CREATE SCHEMA apikeybench;
		CREATE TABLE apikeybench.raw (id text PRIMARY KEY, name text NOT NULL, creation bigint NOT NULL, hash text NOT NULL, metadata json)`)
	if err != nil {
		return 0, "", err
	}
	const insert = "INSERT INTO apikeybench.raw VALUES ($1, $2, $3, $4, $5)"
	insertRows := func(conns int, first int) (float64, error) {
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			firstErr error
		)
		start := time.Now()
		for c := range conns {
			wg.Go(func() {
				for i := first + c; i < first+n; i += conns {
					_, err := pool.Exec(ctx, insert, fmt.Sprintf("id-%09d", i), "name", time.Now().UnixMilli(), "{SSHA256}abcdefghijklmnopqrstuvwxyz", `{"team":"a"}`)
					if err != nil {
						mu.Lock()
						if firstErr == nil {
							firstErr = err
						}
						mu.Unlock()
						return
					}
				}
			})
		}
		wg.Wait()
		return float64(n) / time.Since(start).Seconds(), firstErr
	}
	one, err := insertRows(1, 0)
	if err != nil {
		return 0, "", err
	}
	many, err := insertRows(rawConns, n)
	if err != nil {
		return 0, "", err
	}
	return max(one, many), fmt.Sprintf("raw pgx INSERTs, 1 tx/row, the better of 1 conn (%.0f rows/s) and %d conns (%.0f rows/s)", one, rawConns, many), nil
}

// pointSelectAndHash selects the hash of each key by id over one
// connection (pgx prepares the statement once) and computes one salted
// SHA-256.
func (s *pgStore) pointSelectAndHash(ctx context.Context, ids []string) (time.Duration, error) {
	conn, err := pgx.Connect(ctx, s.dsn)
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.Background())
	salt := []byte("0123456789abcdef")
	start := time.Now()
	for _, id := range ids {
		var hash string
		if err := conn.QueryRow(ctx, "SELECT hash FROM api_keys WHERE id = $1", id).Scan(&hash); err != nil {
			return 0, err
		}
		h := sha256.New()
		h.Write(salt)
		h.Write([]byte(id))
		h.Sum(nil)
	}
	return time.Since(start) / time.Duration(len(ids)), nil
}

// handQuery runs query over one connection, its rows as maps encoded as
// JSON.
func (s *pgStore) handQuery(ctx context.Context, n int, query string, args ...any) (time.Duration, error) {
	conn, err := pgx.Connect(ctx, s.dsn)
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.Background())
	query = rebind(query)
	times := make([]time.Duration, 0, n)
	for i := range n + 1 {
		start := time.Now()
		rows, err := conn.Query(ctx, query, args...)
		if err != nil {
			return 0, err
		}
		fields := rows.FieldDescriptions()
		var out []map[string]any
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				rows.Close()
				return 0, err
			}
			row := make(map[string]any, len(fields))
			for i, f := range fields {
				row[f.Name] = vals[i]
			}
			out = append(out, row)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, err
		}
		if _, err := json.Marshal(out); err != nil {
			return 0, err
		}
		if i > 0 {
			times = append(times, time.Since(start))
		}
	}
	return median(times), nil
}

func (s *pgStore) ownedIDs(ctx context.Context, owner string, n int) ([]string, error) {
	conn, err := pgx.Connect(ctx, s.dsn)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, "SELECT id FROM api_keys WHERE principal = $1 AND invalidated = 0 LIMIT $2", owner, n)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

func (s *pgStore) grow(ctx context.Context, templates []ownerTemplate, target int) error {
	return growPostgres(ctx, s.dsn, templates, target)
}

// size is the size of the store's tables in the schema public, with
// their indexes and TOAST.
func (s *pgStore) size(ctx context.Context) (int64, error) {
	conn, err := pgx.Connect(ctx, s.dsn)
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.Background())
	var size int64
	err = conn.QueryRow(ctx, `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint
		FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public' AND c.relkind = 'r'`).Scan(&size)
	return size, err
}

func (s *pgStore) selectBaseline(id string) []string {
	return []string{"baseline-select-pg", s.dsn, id}
}
