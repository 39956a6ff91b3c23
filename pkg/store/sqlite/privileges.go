package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// This file holds the application privileges.

const privilegeColumns = "application, name, actions, metadata"

// ListApplicationPrivileges returns the privileges of the applications
// named (of every application when none is), ordered by application then
// name.
func (r *reader) ListApplicationPrivileges(ctx context.Context, applications []string) ([]*store.ApplicationPrivilege, error) {
	if len(applications) == 0 {
		return queryAll(ctx, r.q, "list application privileges", scanPrivilege,
			"SELECT "+privilegeColumns+" FROM application_privileges ORDER BY application, name")
	}
	apps, err := jsonStrings(applications)
	if err != nil {
		return nil, fmt.Errorf("list application privileges: %w", err)
	}
	return queryAll(ctx, r.q, "list application privileges", scanPrivilege,
		"SELECT "+privilegeColumns+" FROM application_privileges WHERE application IN (SELECT value FROM json_each(?)) ORDER BY application, name", apps)
}

func scanPrivilege(s scanner) (*store.ApplicationPrivilege, error) {
	var (
		p        store.ApplicationPrivilege
		actions  string
		metadata sql.NullString
	)
	if err := s.Scan(&p.Application, &p.Name, &actions, &metadata); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(actions), &p.Actions); err != nil {
		return nil, fmt.Errorf("application privilege %q %q: decode actions: %w", p.Application, p.Name, err)
	}
	p.Metadata = jsonValue(metadata)
	return &p, nil
}

// PutApplicationPrivilege creates or replaces a privilege and reports
// whether it was created.
func (w *writer) PutApplicationPrivilege(ctx context.Context, p *store.ApplicationPrivilege) (bool, error) {
	actions, err := jsonStrings(p.Actions)
	if err != nil {
		return false, fmt.Errorf("put application privilege %q %q: encode actions: %w", p.Application, p.Name, err)
	}
	metadata := p.Metadata
	if len(metadata) == 0 {
		metadata = json.RawMessage("{}")
	}
	created, err := w.absent(ctx, "SELECT 1 FROM application_privileges WHERE application = ? AND name = ?", p.Application, p.Name)
	if err != nil {
		return false, fmt.Errorf("put application privilege %q %q: %w", p.Application, p.Name, err)
	}
	_, err = w.q.ExecContext(ctx, `
		INSERT INTO application_privileges (`+privilegeColumns+`) VALUES (?, ?, ?, ?)
		ON CONFLICT (application, name) DO UPDATE SET
			actions = excluded.actions,
			metadata = excluded.metadata`,
		p.Application, p.Name, actions, jsonArg(metadata))
	if err != nil {
		return false, fmt.Errorf("put application privilege %q %q: %w", p.Application, p.Name, err)
	}
	return created, nil
}

// DeleteApplicationPrivilege removes a privilege, or returns
// store.ErrNotFound.
func (w *writer) DeleteApplicationPrivilege(ctx context.Context, application, name string) error {
	if err := w.deleteOne(ctx, "DELETE FROM application_privileges WHERE application = ? AND name = ?", application, name); err != nil {
		return fmt.Errorf("delete application privilege %q %q: %w", application, name, err)
	}
	return nil
}
