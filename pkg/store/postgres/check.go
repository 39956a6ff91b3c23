package postgres

import (
	"context"
	"fmt"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

var _ api.Checker = (*DB)(nil)

// Check is doctor's view of the database: the server and whether it takes
// writes, the schema version against the one this binary knows, and what
// the database holds. It changes nothing.
func (db *DB) Check(ctx context.Context) []api.Check {
	var (
		version            string
		standby            bool
		schema             int
		keys, users, roles int
	)
	err := db.pool.QueryRow(ctx, `SELECT current_setting('server_version'), pg_is_in_recovery(),
			(SELECT coalesce(max(version), 0) FROM apikeyd_schema_migrations),
			(SELECT count(*) FROM api_keys), (SELECT count(*) FROM users), (SELECT count(*) FROM roles)`).
		Scan(&version, &standby, &schema, &keys, &users, &roles)
	if err != nil {
		return []api.Check{{Name: "database", Status: api.CheckFail, Message: fmt.Sprintf("%s: %v", db.name, storageError(err))}}
	}
	server := api.Check{Name: "database", Status: api.CheckOK, Message: fmt.Sprintf("PostgreSQL %s at %s", version, db.name)}
	if standby {
		server.Status = api.CheckWarn
		server.Message += ": a standby, which refuses writes until it is promoted; point --store at the primary"
	}
	known := migrations[len(migrations)-1].version
	sv := api.Check{Name: "schema version"}
	switch {
	case schema == known:
		sv.Status, sv.Message = api.CheckOK, fmt.Sprintf("version %d, the newest this binary knows", schema)
	case schema < known:
		sv.Status, sv.Message = api.CheckWarn, fmt.Sprintf("version %d, older than this binary's %d: apikeyd or apikeyctl --store upgrades it the next time it opens the database", schema, known)
	default:
		sv.Status, sv.Message = api.CheckFail, fmt.Sprintf("version %d, newer than this binary's %d: upgrade apikeyd and apikeyctl", schema, known)
	}
	return []api.Check{server, sv, {Name: "records", Status: api.CheckOK, Message: fmt.Sprintf(
		"%s, %s, %s", count(keys, "API key"), count(users, "user"), count(roles, "role"))}}
}

// count says how many of a thing there are: "1 role", "2 roles".
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
