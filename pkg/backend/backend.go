// Package backend opens the local backend: the store (SQLite or
// PostgreSQL), the audit log and the key service over them. apikeyd and
// apikeyctl --db and --store all open it here, so they cannot differ in
// how a database is served.
package backend

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/audit"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/filecheck"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
	"github.com/apikeyctl/apikeyctl/pkg/store"
	"github.com/apikeyctl/apikeyctl/pkg/store/postgres"
	"github.com/apikeyctl/apikeyctl/pkg/store/sqlite"
)

// Options says what to open.
type Options struct {
	// DB is the store: a PostgreSQL database named by a postgres:// or
	// postgresql:// URL (see IsURL), or else a SQLite database file,
	// created when missing (its directory must exist).
	DB string
	// AuditFile is the audit log, created when missing; no audit log is
	// kept when it is empty.
	AuditFile string
	// AuditAtFirstWrite opens the audit log at the first write rather
	// than in Open (apikeyctl --db): reads never need it, and a write
	// that cannot open it fails with the file and the reason.
	AuditAtFirstWrite bool
	// AuditEvents selects the events the audit log records
	// (Elasticsearch's default selection when zero).
	AuditEvents audit.Selection
	// AuditRotation says when the audit log is rotated and which
	// rotated files are kept (never rotated when zero).
	AuditRotation audit.Rotation
	// Origin is the local origin the audit log records for its events.
	Origin auth.Origin
	// Service configures the key service. Its Auditor is set by Open.
	Service keyservice.Options
}

// Backend is an open local backend.
type Backend struct {
	// Service is the key service over the database.
	Service *keyservice.Service
	closers []func() error
	audit   *audit.Logger
}

// Open opens the database and the audit log and starts the key service
// over them. On error nothing is left open.
func Open(ctx context.Context, opts Options) (*Backend, error) {
	st, err := OpenStore(ctx, opts.DB)
	if err != nil {
		return nil, err
	}
	b := &Backend{closers: []func() error{st.Close}}
	svcOpts := opts.Service
	if opts.AuditFile != "" {
		var al *audit.Logger
		if opts.AuditAtFirstWrite {
			al = audit.OpenLazy(opts.AuditFile, opts.Origin, opts.AuditEvents, svcOpts.Logger)
		} else if al, err = audit.Open(opts.AuditFile, opts.Origin, opts.AuditEvents, svcOpts.Logger); err != nil {
			b.Close()
			return nil, &AuditLogError{Err: err}
		}
		al.SetRotation(opts.AuditRotation)
		b.audit = al
		b.closers = append(b.closers, al.Close)
		svcOpts.Auditor = al
	}
	b.Service, err = keyservice.New(st, svcOpts)
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("start the key service: %w", err)
	}
	// Closed first: the uses of API keys noted and not yet written are
	// written before the database closes.
	svc := b.Service
	b.closers = append(b.closers, func() error { return svc.FlushUsage(context.WithoutCancel(ctx)) })
	return b, nil
}

// EndWaits ends the waits of the audit log's readers for new events,
// now and from now on (see audit.Logger.EndWaits): the daemon is
// stopping.
func (b *Backend) EndWaits() {
	if b.audit != nil {
		b.audit.EndWaits()
	}
}

// OpenStore opens the store db names, alone: a PostgreSQL database for a
// URL, a SQLite file otherwise (created when missing, and its schema
// migrated as Open does).
func OpenStore(ctx context.Context, db string) (store.Store, error) {
	if IsURL(db) {
		// Its errors name the database, without the password.
		return postgres.Open(ctx, db)
	}
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("open the database %s: %w", db, err)
	}
	return st, nil
}

// OpenSource opens the store db names to be read whole (apikeyctl
// migrate's source), changing nothing in it: it must exist and hold
// apikeyd's schema at the version of this binary. An older one is
// refused, not upgraded, and so is a SQLite file that fails its
// integrity check.
func OpenSource(ctx context.Context, db string) (store.Store, error) {
	if IsURL(db) {
		return postgres.OpenCurrent(ctx, db)
	}
	rep, err := sqlite.Inspect(ctx, db, false)
	if err != nil {
		return nil, err
	}
	switch {
	case len(rep.Problems) > 0:
		return nil, fmt.Errorf("the database %s fails its integrity check: %s", db, rep.Problems[0])
	case rep.SchemaVersion > rep.KnownVersion:
		return nil, fmt.Errorf("the database %s has schema version %d, newer than this binary supports (%d); upgrade apikeyd/apikeyctl",
			db, rep.SchemaVersion, rep.KnownVersion)
	case rep.SchemaVersion < rep.KnownVersion:
		return nil, fmt.Errorf("the database %s has schema version %d, older than this binary's (%d); upgrade it first by opening it with this version's apikeyd or apikeyctl --db",
			db, rep.SchemaVersion, rep.KnownVersion)
	}
	return OpenStore(ctx, db)
}

// IsURL reports whether db names a PostgreSQL database (a postgres:// or
// postgresql:// URL) rather than a SQLite file.
func IsURL(db string) bool { return postgres.IsDSN(db) }

// DisplayName is db as it may be shown and logged: a URL without its
// password, a file as it is.
func DisplayName(db string) string {
	if IsURL(db) {
		return postgres.Redact(db)
	}
	return db
}

// AuditLogError is an audit log that could not be opened.
type AuditLogError struct{ Err error }

func (e *AuditLogError) Error() string { return e.Err.Error() }

func (e *AuditLogError) Unwrap() error { return e.Err }

// Close writes the uses of API keys not yet written, then closes the audit
// log and the database, in the reverse order of their opening.
func (b *Backend) Close() error {
	var errs []error
	for i := len(b.closers) - 1; i >= 0; i-- {
		errs = append(errs, b.closers[i]())
	}
	b.closers = nil
	return errors.Join(errs...)
}

// FileReport is what Inspect found in a database file.
type FileReport = sqlite.FileReport

// Inspect checks the database file at path read-only, never creating or
// changing it: integrity, schema version, record counts. immutable reads
// a file nobody writes (a backup's copy) without locks or side files.
func Inspect(ctx context.Context, path string, immutable bool) (*FileReport, error) {
	return sqlite.Inspect(ctx, path, immutable)
}

// CheckFiles is doctor's view of a database file nobody needs to open:
// its integrity, schema version and records, the modes of the file, its
// log, index and directory, and of the audit log beside it (apikeyctl
// --db's, and the daemon's when the database is in its data directory).
// It changes nothing.
func CheckFiles(ctx context.Context, path string) []api.Check {
	return append(sqlite.CheckFile(ctx, path),
		filecheck.Private("audit log", filepath.Join(filepath.Dir(path), audit.FileName), filecheck.Optional))
}
