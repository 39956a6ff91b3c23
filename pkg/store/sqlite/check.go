package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/filecheck"
)

var _ api.Checker = (*DB)(nil)

// maxProblems is how many of integrity_check's messages a report keeps.
const maxProblems = 10

// FileReport is what Inspect found in a database file.
type FileReport struct {
	// Problems are the messages of PRAGMA integrity_check (up to ten);
	// none when the file is intact.
	Problems []string
	// SchemaVersion is the file's PRAGMA user_version; KnownVersion the
	// newest this binary knows.
	SchemaVersion, KnownVersion int
	// APIKeys, Users and Roles count the records.
	APIKeys, Users, Roles int
}

// Inspect opens the database file at path read-only, never creating or
// changing it, and checks it: integrity, schema version, record counts.
// With immutable set the file is read as one that nobody writes (a
// backup's copy): no lock is taken and no -shm or -wal is created beside
// it. It fails when the file is missing, not a SQLite database, or not
// apikeyd's.
func Inspect(ctx context.Context, path string, immutable bool) (*FileReport, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("inspect %s: %w", path, unwrapPathError(err))
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("inspect %s: %w", path, err)
	}
	conn, err := sql.Open("sqlite", inspectDSN(abs, immutable))
	if err != nil {
		return nil, fmt.Errorf("inspect %s: %w", path, err)
	}
	defer conn.Close()
	conn.SetMaxOpenConns(1)
	rep := &FileReport{KnownVersion: migrations[len(migrations)-1].version}
	var appID int
	if err := conn.QueryRowContext(ctx, "PRAGMA application_id").Scan(&appID); err != nil {
		if code, ok := sqliteCode(err); ok && code&0xff == sqlite3.SQLITE_NOTADB {
			return nil, fmt.Errorf("inspect %s: the file is not a SQLite database", path)
		}
		return nil, fmt.Errorf("inspect %s: %w", path, err)
	}
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&rep.SchemaVersion); err != nil {
		return nil, fmt.Errorf("inspect %s: %w", path, err)
	}
	if appID != applicationID || rep.SchemaVersion == 0 {
		return nil, fmt.Errorf("inspect %s: the file is not an apikeyd database (application_id %#x, schema version %d)", path, appID, rep.SchemaVersion)
	}
	rows, err := conn.QueryContext(ctx, fmt.Sprintf("PRAGMA integrity_check(%d)", maxProblems))
	if err != nil {
		return nil, fmt.Errorf("inspect %s: integrity check: %w", path, err)
	}
	defer rows.Close()
	for rows.Next() {
		var msg string
		if err := rows.Scan(&msg); err != nil {
			return nil, fmt.Errorf("inspect %s: integrity check: %w", path, err)
		}
		if msg != "ok" {
			rep.Problems = append(rep.Problems, msg)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("inspect %s: integrity check: %w", path, err)
	}
	for table, n := range map[string]*int{"api_keys": &rep.APIKeys, "users": &rep.Users, "roles": &rep.Roles} {
		// The table names are ours.
		if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(n); err != nil {
			return nil, fmt.Errorf("inspect %s: count %s: %w", path, table, err)
		}
	}
	return rep, nil
}

// inspectDSN names path for a read-only connection.
func inspectDSN(path string, immutable bool) string {
	q := url.Values{}
	q.Set("mode", "ro")
	if immutable {
		q.Set("immutable", "1")
	}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "query_only(1)")
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path), RawQuery: q.Encode()}
	if u.Path != "" && u.Path[0] != '/' {
		u.Path = "/" + u.Path
	}
	return u.String()
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// CheckFile is doctor's view of the database file at path: its integrity,
// its schema version against the one this binary knows, what it holds,
// and the modes of the file, its log and index, and its directory.
func CheckFile(ctx context.Context, path string) []api.Check {
	checks := []api.Check{
		filecheck.Private("database file", path, filecheck.Required),
		filecheck.Private("database log", path+"-wal", filecheck.Optional),
		filecheck.Private("database index", path+"-shm", filecheck.Optional),
		filecheck.Directory("database directory", filepath.Dir(path)),
	}
	if checks[0].Status == api.CheckFail {
		return checks // the file itself said why
	}
	rep, err := Inspect(ctx, path, false)
	if err != nil {
		return append(checks, api.Check{Name: "database", Status: api.CheckFail, Message: err.Error()})
	}
	return append(checks, reportChecks(path, rep)...)
}

// reportChecks says what Inspect found.
func reportChecks(path string, rep *FileReport) []api.Check {
	var checks []api.Check
	if len(rep.Problems) == 0 {
		checks = append(checks, api.Check{Name: "database integrity", Status: api.CheckOK, Message: "PRAGMA integrity_check found no problem in " + path})
	} else {
		checks = append(checks, api.Check{Name: "database integrity", Status: api.CheckFail, Message: fmt.Sprintf(
			"PRAGMA integrity_check found problems in %s: %s; restore it from a backup", path, strings.Join(rep.Problems, "; "))})
	}
	schema := api.Check{Name: "schema version"}
	switch {
	case rep.SchemaVersion == rep.KnownVersion:
		schema.Status, schema.Message = api.CheckOK, fmt.Sprintf("version %d, the newest this binary knows", rep.SchemaVersion)
	case rep.SchemaVersion < rep.KnownVersion:
		schema.Status, schema.Message = api.CheckWarn, fmt.Sprintf("version %d, older than this binary's %d: apikeyd or apikeyctl --db upgrades it the next time it opens the file", rep.SchemaVersion, rep.KnownVersion)
	default:
		schema.Status, schema.Message = api.CheckFail, fmt.Sprintf("version %d, newer than this binary's %d: upgrade apikeyd and apikeyctl", rep.SchemaVersion, rep.KnownVersion)
	}
	checks = append(checks, schema, api.Check{Name: "records", Status: api.CheckOK, Message: fmt.Sprintf(
		"%s, %s, %s", count(rep.APIKeys, "API key"), count(rep.Users, "user"), count(rep.Roles, "role"))})
	return checks
}

// Check is CheckFile of the open database.
func (db *DB) Check(ctx context.Context) []api.Check {
	return CheckFile(ctx, db.path)
}

// count says how many of a thing there are: "1 role", "2 roles".
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
