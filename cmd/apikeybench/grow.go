package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/apikey"
	"github.com/apikeyctl/apikeyctl/pkg/query"
	"github.com/apikeyctl/apikeyctl/pkg/store"
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

// growDatabase adds keys to the database file until it holds target:
// copies of the owners' keys, round robin, with ids, names and metadata
// of their own, written through the store in large transactions.
func growDatabase(ctx context.Context, path string, templates []ownerTemplate, target int) error {
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()
	var have int
	tmpl := make([]*store.APIKey, len(templates))
	err = db.View(ctx, func(r store.Reader) error {
		page, err := r.QueryAPIKeys(ctx, &store.KeySearch{Search: query.Search{Query: query.MatchAll{}}})
		if err != nil {
			return err
		}
		have = page.Total
		for i, t := range templates {
			if tmpl[i], err = r.GetAPIKey(ctx, t.keyID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	const batch = 10000
	now := time.Now().UnixMilli()
	for i := have; i < target; i += batch {
		end := min(i+batch, target)
		err := db.Update(ctx, func(w store.Writer) error {
			for j := i; j < end; j++ {
				k := *tmpl[j%len(tmpl)]
				k.ID = apikey.NewID()
				k.Name = fmt.Sprintf("grown-%d", j)
				k.Creation = now - int64(target-j)
				md, err := json.Marshal(map[string]any{"team": fmt.Sprintf("team-%d", j%20), "env": []string{"prod", "dev"}[j%2], "n": j})
				if err != nil {
					return err
				}
				k.Metadata = md
				if err := w.InsertAPIKey(ctx, &k); err != nil {
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
