package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite"
)

// hiddenModes are the baselines that run as processes of their own: the
// benchmark runs itself with one of these as its first argument.
var hiddenModes = map[string]func(args []string) int{
	"baseline-http":      serveBaselineHTTP,
	"baseline-select":    selectBaseline,
	"baseline-select-pg": selectBaselinePG,
}

// serveBaselineHTTP serves a fixed JSON body of the given size on a
// loopback port, printing the address, until its standard input closes:
// the bare net/http server authentication is compared with.
func serveBaselineHTTP(args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "baseline-http: want BODY_SIZE")
		return 2
	}
	size, err := strconv.Atoi(args[0])
	if err != nil || size < 2 {
		fmt.Fprintln(os.Stderr, "baseline-http: bad size")
		return 2
	}
	body := []byte(`"` + strings.Repeat("x", size-2) + `"`)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(ln.Addr().String())
	go func() {
		bufio.NewReader(os.Stdin).ReadString('\n')
		ln.Close()
	}()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}), ReadHeaderTimeout: 10 * time.Second}
	srv.Serve(ln)
	return 0
}

// selectBaseline opens a database file, reads one key by id and prints
// it as JSON: the least a process that answers apikeyctl --db get must do.
func selectBaseline(args []string) int {
	if len(args) != 2 {
		fmt.Fprintln(os.Stderr, "baseline-select: want FILE ID")
		return 2
	}
	db, err := sql.Open("sqlite", "file:"+args[0]+"?mode=ro")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer db.Close()
	var id, name, principal, realm string
	var creation int64
	var metadata sql.NullString
	err = db.QueryRow("SELECT id, name, creation, principal, realm, metadata FROM api_keys WHERE id = ?", args[1]).
		Scan(&id, &name, &creation, &principal, &realm, &metadata)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	out, _ := json.Marshal(map[string]any{"api_keys": []any{map[string]any{
		"id": id, "name": name, "creation": creation, "username": principal, "realm": realm,
		"metadata": json.RawMessage(metadata.String)}}})
	fmt.Println(string(out))
	return 0
}

// selectBaselinePG connects to a PostgreSQL database, reads one key by id
// and prints it as JSON: the least a process that answers apikeyctl
// --store URL get must do.
func selectBaselinePG(args []string) int {
	if len(args) != 2 {
		fmt.Fprintln(os.Stderr, "baseline-select-pg: want URL ID")
		return 2
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer conn.Close(ctx)
	var id, name, principal, realm string
	var creation int64
	var metadata *string
	err = conn.QueryRow(ctx, "SELECT id, name, creation, principal, realm, metadata::text FROM api_keys WHERE id = $1", args[1]).
		Scan(&id, &name, &creation, &principal, &realm, &metadata)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	md := json.RawMessage("null")
	if metadata != nil {
		md = json.RawMessage(*metadata)
	}
	out, _ := json.Marshal(map[string]any{"api_keys": []any{map[string]any{
		"id": id, "name": name, "creation": creation, "username": principal, "realm": realm,
		"metadata": md}}})
	fmt.Println(string(out))
	return 0
}

// httpBaseline is a running bare HTTP server.
type httpBaseline struct {
	cmd  *exec.Cmd
	addr string
	stop func()
}

func (b *bench) startHTTPBaseline(ctx context.Context, bodySize int) (*httpBaseline, error) {
	cmd := exec.CommandContext(ctx, b.self, "baseline-http", strconv.Itoa(bodySize))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = b.log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("baseline server: %w", err)
	}
	return &httpBaseline{cmd: cmd, addr: strings.TrimSpace(addr), stop: func() {
		stdin.Close()
		cmd.Wait()
	}}, nil
}

// rawInserts measures SQLite alone: n rows inserted one transaction each,
// in WAL mode with synchronous=FULL, as apikeyd's store opens its file.
func rawInserts(path string, n int) (perSecond float64, err error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec("CREATE TABLE t (id TEXT PRIMARY KEY, name TEXT NOT NULL, creation INTEGER NOT NULL, hash TEXT NOT NULL, metadata TEXT)"); err != nil {
		return 0, err
	}
	ins, err := db.Prepare("INSERT INTO t VALUES (?, ?, ?, ?, ?)")
	if err != nil {
		return 0, err
	}
	defer ins.Close()
	start := time.Now()
	for i := range n {
		tx, err := db.Begin()
		if err != nil {
			return 0, err
		}
		if _, err := tx.Stmt(ins).Exec(fmt.Sprintf("id-%09d", i), "name", time.Now().UnixMilli(), "{SSHA256}abcdefghijklmnopqrstuvwxyz", `{"team":"a"}`); err != nil {
			tx.Rollback()
			return 0, err
		}
		if err := tx.Commit(); err != nil {
			return 0, err
		}
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// pointSelectAndHash measures the least an uncached authentication costs:
// a point SELECT of a key's hash by id and one salted SHA-256, per key of
// ids, on one connection; it returns the time per key.
func pointSelectAndHash(path string, ids []string) (time.Duration, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	st, err := db.Prepare("SELECT hash FROM api_keys WHERE id = ?")
	if err != nil {
		return 0, err
	}
	defer st.Close()
	salt := []byte("0123456789abcdef")
	start := time.Now()
	for _, id := range ids {
		var hash string
		if err := st.QueryRow(id).Scan(&hash); err != nil {
			return 0, err
		}
		h := sha256.New()
		h.Write(salt)
		h.Write([]byte(id))
		h.Sum(nil)
	}
	return time.Since(start) / time.Duration(len(ids)), nil
}

// handQuery times SQL written by hand, encoded as JSON, as the best
// answer to a query could be: the median of n runs after one to warm up.
func handQuery(path string, n int, query string, args ...any) (time.Duration, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	times := make([]time.Duration, 0, n)
	for i := range n + 1 {
		start := time.Now()
		rows, err := db.Query(query, args...)
		if err != nil {
			return 0, err
		}
		cols, _ := rows.Columns()
		var out []map[string]any
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return 0, err
			}
			row := map[string]any{}
			for i, c := range cols {
				row[c] = vals[i]
			}
			out = append(out, row)
		}
		rows.Close()
		if _, err := json.Marshal(out); err != nil {
			return 0, err
		}
		if i > 0 {
			times = append(times, time.Since(start))
		}
	}
	return median(times), nil
}

// median is the middle of durations (which it sorts).
func median(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	return ds[len(ds)/2]
}
