package keyservice_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
	"github.com/apikeyctl/apikeyctl/pkg/store"
	"github.com/apikeyctl/apikeyctl/pkg/store/sqlite"
)

// refusingStore is a store whose writes fail with err.
type refusingStore struct {
	store.Store
	err error
}

func (s refusingStore) Update(context.Context, func(store.Writer) error) error { return s.err }

// TestStorageErrors: a database that cannot be written answers 503
// cluster_block_exception saying what is wrong and that nothing was
// written — never a bare internal error.
func TestStorageErrors(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, t.TempDir()+"/keys.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, c := range []struct {
		name   string
		err    error
		reason string
	}{
		{name: "read-only", err: fmt.Errorf("%w (attempt to write a readonly database)", store.ErrReadOnly),
			reason: "cannot create api key: the database is read-only, nothing was written"},
		{name: "no space", err: fmt.Errorf("%w (database or disk is full)", store.ErrNoSpace),
			reason: "cannot create api key: no space left for the database, nothing was written"},
		{name: "unavailable", err: fmt.Errorf("%w (dial tcp 10.0.0.5:5432: connect: connection refused)", store.ErrUnavailable),
			reason: "cannot create api key: the database is unavailable; try again once it is back"},
	} {
		t.Run(c.name, func(t *testing.T) {
			svc, err := keyservice.New(refusingStore{Store: db, err: c.err}, keyservice.Options{})
			if err != nil {
				t.Fatal(err)
			}
			root := auth.WithSubject(ctx, auth.OSSubject("root"))
			_, err = svc.CreateAPIKey(root, &api.CreateAPIKeyRequest{Name: ptr("k")})
			wantErr(t, err, 503, "cluster_block_exception", c.reason)
		})
	}
}
