// Package pgserver runs a private PostgreSQL server: the PostgreSQL
// binaries (initdb and postgres, found on PATH or under
// /usr/lib/postgresql/*/bin) initialise a cluster in a new temporary
// directory and serve it on a Unix socket there only, as the
// unprivileged user nobody when this process runs as root (PostgreSQL
// refuses to run as root). The tests' databases (pgtest) and the
// benchmark (cmd/apikeybench) run on one.
package pgserver

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Timeout bounds the start and the stop of a server: a guard against a
// server that never becomes ready, or never stops, not a wait.
const Timeout = 60 * time.Second

// Server is a private PostgreSQL server in a temporary directory.
type Server struct {
	dir    string
	cmd    *exec.Cmd
	exited chan struct{} // closed when the server process has exited
	err    error         // its exit status, once exited is closed
}

// BinDir finds the directory of initdb and postgres: PATH first, then
// the newest /usr/lib/postgresql/*/bin. Its error says that there is
// none, which is why Start would fail.
func BinDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "postgres")); err == nil {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return versionOf(b) - versionOf(a) })
	for _, dir := range dirs {
		_, err1 := os.Stat(filepath.Join(dir, "initdb"))
		_, err2 := os.Stat(filepath.Join(dir, "postgres"))
		if err1 == nil && err2 == nil {
			return dir, nil
		}
	}
	return "", errors.New("initdb and postgres are neither on PATH nor under /usr/lib/postgresql/*/bin")
}

// versionOf is the major version in /usr/lib/postgresql/N/bin.
func versionOf(dir string) int {
	var n int
	fmt.Sscanf(filepath.Base(filepath.Dir(dir)), "%d", &n)
	return n
}

// Start initialises a cluster in a new temporary directory and starts
// its server, listening on a Unix socket in that directory only, with
// trust authentication for the role postgres. settings are
// configuration parameters of the server, each name=value (as postgres
// -c takes them), set after its own: max_connections=300.
func Start(settings ...string) (*Server, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	cred, err := credential()
	if err != nil {
		return nil, err
	}
	// /tmp rather than TMPDIR: a socket path is limited to about 100 bytes.
	dir, err := os.MkdirTemp("/tmp", "apikeyd-pg-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, exited: make(chan struct{})}
	if err := s.chown(cred); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres",
		"--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync")
	initdb.SysProcAttr = sysProcAttr(cred)
	initdb.Dir = dir
	if out, err := initdb.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v: %s", err, strings.TrimSpace(string(out)))
	}
	logFile, err := os.Create(filepath.Join(dir, "postgres.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	defer logFile.Close()
	args := []string{"-D", data, "-k", dir, "-c", "listen_addresses=", "-c", "max_connections=300"}
	for _, setting := range settings {
		args = append(args, "-c", setting)
	}
	s.cmd = exec.Command(filepath.Join(bin, "postgres"), args...)
	s.cmd.SysProcAttr = sysProcAttr(cred)
	s.cmd.Dir = dir
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	if err := s.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	go func() {
		s.err = s.cmd.Wait()
		close(s.exited)
	}()
	if err := s.waitReady(); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// chown gives the directory to the server's user, when it runs as another.
func (s *Server) chown(cred *credentials) error {
	if cred == nil {
		return nil
	}
	return os.Chown(s.dir, cred.uid, cred.gid)
}

// DSN is the connection string of database on the server, as the role
// postgres (a superuser).
func (s *Server) DSN(database string) string {
	q := url.Values{"host": {s.dir}, "sslmode": {"disable"}}
	return (&url.URL{Scheme: "postgres", User: url.User("postgres"), Path: "/" + database, RawQuery: q.Encode()}).String()
}

// Dir is the server's directory: its data, its socket and its log
// (postgres.log).
func (s *Server) Dir() string { return s.dir }

// waitReady polls a connection until the server accepts it, the server
// exits, or Timeout passes.
func (s *Server) waitReady() error {
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		conn, err := pgx.Connect(ctx, s.DSN("postgres"))
		if err == nil {
			return conn.Close(ctx)
		}
		select {
		case <-s.exited:
			return fmt.Errorf("postgres exited at start (%v): %s", s.err, s.log())
		case <-ctx.Done():
			return fmt.Errorf("postgres not ready after %v (%v): %s", Timeout, err, s.log())
		case <-tick.C:
		}
	}
}

// log is the end of the server's log, for errors.
func (s *Server) log() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "postgres.log"))
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return strings.TrimSpace(string(b))
}

// Stop shuts the server down (fast shutdown: SIGINT), waits for it, and
// removes its directory.
func (s *Server) Stop() error {
	defer os.RemoveAll(s.dir)
	if s.cmd == nil || s.cmd.Process == nil {
		return nil
	}
	s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.exited:
		return nil
	case <-time.After(Timeout):
		s.cmd.Process.Kill()
		<-s.exited
		return fmt.Errorf("postgres did not stop within %v: killed", Timeout)
	}
}

// WithDatabase returns dsn, a connection string in URL or key=value form,
// naming database instead of its own.
func WithDatabase(dsn, database string) (string, error) {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		u.Path = "/" + database
		return u.String(), nil
	}
	if _, err := pgx.ParseConfig(dsn); err != nil {
		return "", err
	}
	return dsn + " dbname=" + database, nil
}
