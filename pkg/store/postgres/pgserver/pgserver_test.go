package pgserver

import (
	"errors"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestStart: a started server takes connections on its socket with the
// settings it was given, and Stop takes it and its directory away.
func TestStart(t *testing.T) {
	if _, err := BinDir(); err != nil {
		t.Skipf("no PostgreSQL server binaries: %v (apt-get install postgresql)", err)
	}
	s, err := Start("work_mem=7MB")
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			s.Stop()
		}
	}()
	conn, err := pgx.Connect(t.Context(), s.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	var workMem string
	if err := conn.QueryRow(t.Context(), "SHOW work_mem").Scan(&workMem); err != nil {
		t.Fatal(err)
	}
	conn.Close(t.Context())
	if workMem != "7MB" {
		t.Errorf("work_mem %q, want 7MB", workMem)
	}
	stopped = true
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.Dir()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the server's directory is still there: %v", err)
	}
}
