package keyservice

import (
	"context"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// This file is apikeyd's own administration API (api.Admin): backups and
// doctor. Neither is an Elasticsearch endpoint; the daemon serves them
// under /_apikeyd/ and apikeyctl --db calls them directly.

var _ api.Admin = (*Service)(nil)

// AuditBackup is the audit action of a backup: who took a copy of every
// hash, and when.
const AuditBackup = "backup_database"

// Backup returns a consistent copy of the whole database, taken while
// writes go on. It needs manage_security (or all): the copy holds every
// key, token and password hash. It is audited once the copy is made.
func (s *Service) Backup(ctx context.Context) (*api.Backup, error) {
	sub, err := s.granted(ctx, auth.ActionBackup)
	if err != nil {
		return nil, err
	}
	b, ok := s.store.(store.Backuper)
	if !ok {
		return nil, api.Errorf(api.Invalid, "this store cannot make backups: use the backup tools of its database")
	}
	bk, err := b.Backup(ctx)
	if err != nil {
		return nil, s.internal("backup", err)
	}
	s.audit(ctx, AuditEvent{Action: AuditBackup, Request: auth.ActionBackup, Subject: sub})
	return bk, nil
}

// Doctor checks the store and the audit log, each as far as it can check
// itself (the database's integrity, schema version and file modes, the
// audit log's mode). It needs monitor (or manage, or all), as
// Elasticsearch's cluster health does.
func (s *Service) Doctor(ctx context.Context) (*api.DoctorReport, error) {
	if _, err := s.granted(ctx, auth.ActionDoctor); err != nil {
		return nil, err
	}
	rep := &api.DoctorReport{Checks: []api.Check{}}
	for _, part := range []any{s.store, s.auditor} {
		if c, ok := part.(api.Checker); ok {
			rep.Checks = append(rep.Checks, c.Check(ctx)...)
		}
	}
	return rep, nil
}
