package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// This file holds the application privileges.

const privilegeColumns = "application, name, actions::text, metadata::text"

// ListApplicationPrivileges returns the privileges of the applications
// named (of every application when none is), ordered by application then
// name.
func (r *reader) ListApplicationPrivileges(ctx context.Context, applications []string) ([]*store.ApplicationPrivilege, error) {
	if len(applications) == 0 {
		return queryAll(ctx, r.tx, "list application privileges", scanPrivilege,
			"SELECT "+privilegeColumns+" FROM application_privileges ORDER BY application, name")
	}
	return queryAll(ctx, r.tx, "list application privileges", scanPrivilege,
		"SELECT "+privilegeColumns+" FROM application_privileges WHERE application = ANY($1::text[]) ORDER BY application, name",
		applications)
}

func scanPrivilege(s scanner) (*store.ApplicationPrivilege, error) {
	var (
		p        store.ApplicationPrivilege
		actions  string
		metadata *string
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
	actions, err := json.Marshal(strs(p.Actions))
	if err != nil {
		return false, fmt.Errorf("put application privilege %q %q: encode actions: %w", p.Application, p.Name, err)
	}
	metadata := p.Metadata
	if len(metadata) == 0 {
		metadata = json.RawMessage("{}")
	}
	var created bool
	err = w.tx.QueryRow(ctx, `
		INSERT INTO application_privileges (application, name, actions, metadata)
		VALUES ($1, $2, $3::text::json, $4::text::json)
		ON CONFLICT (application, name) DO UPDATE SET
			actions = excluded.actions,
			metadata = excluded.metadata
		RETURNING xmax = 0`,
		p.Application, p.Name, string(actions), string(metadata)).Scan(&created)
	if err != nil {
		return false, fmt.Errorf("put application privilege %q %q: %w", p.Application, p.Name, err)
	}
	return created, nil
}

// DeleteApplicationPrivilege removes a privilege, or returns
// store.ErrNotFound.
func (w *writer) DeleteApplicationPrivilege(ctx context.Context, application, name string) error {
	if err := w.deleteOne(ctx, "DELETE FROM application_privileges WHERE application = $1 AND name = $2", application, name); err != nil {
		return fmt.Errorf("delete application privilege %q %q: %w", application, name, err)
	}
	return nil
}
