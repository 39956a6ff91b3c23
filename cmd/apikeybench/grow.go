package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/apikeyctl/apikeyctl/pkg/apikey"
	"github.com/apikeyctl/apikeyctl/pkg/query"
	"github.com/apikeyctl/apikeyctl/pkg/store"
	"github.com/apikeyctl/apikeyctl/pkg/store/postgres"
	"github.com/apikeyctl/apikeyctl/pkg/store/sqlite"
)

// ownerTemplate is a user of the big database and a key it created
// through the API, which the grown keys copy.
type ownerTemplate struct {
	username string
	keyID    string
}

// ownerTemplates creates the owners (users with manage_own_api_key) and
// one key each, through the API.
func (b *bench) ownerTemplates(ctx context.Context, d *daemon) ([]ownerTemplate, error) {
	role := map[string]any{"cluster": []string{"manage_own_api_key"}}
	if err := call(ctx, d.admin, http.MethodPut, "http://apikeyd/_security/role/bench-owner", "", role, nil); err != nil {
		return nil, err
	}
	var out []ownerTemplate
	for i := range owners {
		user := fmt.Sprintf("bench-%d", i)
		err := call(ctx, d.admin, http.MethodPut, "http://apikeyd/_security/user/"+user, "",
			map[string]any{"password": benchPassword, "roles": []string{"bench-owner"}}, nil)
		if err != nil {
			return nil, err
		}
		var k createdKey
		err = call(ctx, d.tcp, http.MethodPost, "http://"+d.addr+"/_security/api_key", basic(user),
			map[string]any{"name": "template", "metadata": map[string]any{"team": "t", "env": "prod"}}, &k)
		if err != nil {
			return nil, err
		}
		out = append(out, ownerTemplate{username: user, keyID: k.ID})
	}
	return out, nil
}

// readTemplates reads how many keys the store holds and the templates'
// keys.
func readTemplates(ctx context.Context, db store.Store, templates []ownerTemplate) (have int, keys []*store.APIKey, err error) {
	keys = make([]*store.APIKey, len(templates))
	err = db.View(ctx, func(r store.Reader) error {
		page, err := r.QueryAPIKeys(ctx, &store.KeySearch{Search: query.Search{Query: query.MatchAll{}}})
		if err != nil {
			return err
		}
		have = page.Total
		for i, t := range templates {
			if keys[i], err = r.GetAPIKey(ctx, t.keyID); err != nil {
				return err
			}
		}
		return nil
	})
	return have, keys, err
}

// grownKey is the j-th grown key of target: a copy of a template, round
// robin, with an id, name, creation and metadata of its own.
func grownKey(tmpl []*store.APIKey, j, target int, now int64) (*store.APIKey, error) {
	k := *tmpl[j%len(tmpl)]
	k.ID = apikey.NewID()
	k.Name = fmt.Sprintf("grown-%d", j)
	k.Creation = now - int64(target-j)
	md, err := json.Marshal(map[string]any{"team": fmt.Sprintf("team-%d", j%20), "env": []string{"prod", "dev"}[j%2], "n": j})
	k.Metadata = md
	return &k, err
}

// growDatabase adds keys to the database file until it holds target,
// grown keys written through the store in large transactions.
func growDatabase(ctx context.Context, path string, templates []ownerTemplate, target int) error {
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()
	have, tmpl, err := readTemplates(ctx, db, templates)
	if err != nil {
		return err
	}
	const batch = 10000
	now := time.Now().UnixMilli()
	for i := have; i < target; i += batch {
		end := min(i+batch, target)
		err := db.Update(ctx, func(w store.Writer) error {
			for j := i; j < end; j++ {
				k, err := grownKey(tmpl, j, target, now)
				if err != nil {
					return err
				}
				if err := w.InsertAPIKey(ctx, k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// growPostgres adds keys to the PostgreSQL database until it holds
// target, as growDatabase does, but with COPY, in one transaction: the
// keys' rows with the seq numbers it reserves, and their metadata leaves
// (flattened as the store flattens them). It moves the change counter,
// as any write of the store does, and analyses the tables it filled.
func growPostgres(ctx context.Context, dsn string, templates []ownerTemplate, target int) error {
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		return err
	}
	have, tmpl, err := readTemplates(ctx, db, templates)
	db.Close()
	if err != nil || have >= target {
		return err
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		// The counter's row lock keeps every other writer out.
		if _, err := tx.Exec(ctx, "UPDATE store_generation SET n = n + 1 WHERE id = 1"); err != nil {
			return err
		}
		var seq int64
		if err := tx.QueryRow(ctx, "SELECT coalesce(max(seq), 0) FROM api_keys").Scan(&seq); err != nil {
			return err
		}
		first := seq + 1
		now := time.Now().UnixMilli()
		var leaves [][]any
		j := have
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"api_keys"}, []string{"seq", "id", "name", "type", "creation", "expiration",
			"invalidated", "invalidation", "hash", "role_descriptors", "limited_by", "metadata",
			"principal", "full_name", "email", "creator_metadata", "realm", "realm_type", "version", "certificate_identity"},
			pgx.CopyFromFunc(func() ([]any, error) {
				if j >= target {
					return nil, nil
				}
				k, err := grownKey(tmpl, j, target, now)
				if err != nil {
					return nil, err
				}
				seq := first + int64(j-have)
				j++
				ls, err := query.Flatten(k.Metadata)
				if err != nil {
					return nil, err
				}
				seen := map[query.Leaf]bool{}
				for _, l := range ls {
					if !seen[l] {
						seen[l] = true
						leaves = append(leaves, []any{l.Path, l.Value, seq})
					}
				}
				invalidated := int16(0)
				if k.Invalidated {
					invalidated = 1
				}
				return []any{seq, k.ID, k.Name, k.Type, k.Creation, k.Expiration, invalidated, k.Invalidation, k.Hash,
					jsonValue(k.RoleDescriptors), jsonValue(k.LimitedBy), jsonValue(k.Metadata),
					k.Creator.Principal, k.Creator.FullName, k.Creator.Email, jsonValue(k.Creator.Metadata),
					k.Creator.Realm, k.Creator.RealmType, int64(1), k.CertificateIdentity}, nil
			}))
		if err != nil {
			return fmt.Errorf("copy api_keys: %w", err)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"api_key_leaves"}, []string{"path", "value", "key_seq"}, pgx.CopyFromRows(leaves)); err != nil {
			return fmt.Errorf("copy api_key_leaves: %w", err)
		}
		// The identity goes on after the seq numbers taken.
		_, err = tx.Exec(ctx, "SELECT setval(pg_get_serial_sequence('api_keys', 'seq'), $1)", first+int64(target-have)-1)
		return err
	})
	if err != nil {
		return err
	}
	_, err = conn.Exec(ctx, "ANALYZE api_keys, api_key_leaves")
	return err
}

// jsonValue is a JSON column's value for COPY: its text, or NULL when
// absent.
func jsonValue(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	return string(raw)
}
