package keyservice_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
	"github.com/apikeyctl/apikeyctl/pkg/store"
	"github.com/apikeyctl/apikeyctl/pkg/store/sqlite"
)

// BenchmarkQueryUsersAndRoles measures a sorted, filtered query over n
// native users and n roles: the cost grows with n (one read of the
// realm, one pass of the evaluator, one sort of the matches).
func BenchmarkQueryUsersAndRoles(b *testing.B) {
	for _, n := range []int{1000, 4000} {
		ctx := context.Background()
		db, err := sqlite.Open(ctx, b.TempDir()+"/keys.db")
		if err != nil {
			b.Fatal(err)
		}
		err = db.Update(ctx, func(w store.Writer) error {
			for i := range n {
				name := fmt.Sprintf("user%05d", i)
				if _, err := w.PutUser(ctx, &store.User{Username: name, Roles: []string{"r" + name[len(name)-1:]},
					FullName: ptr("User " + name), Email: ptr(name + "@example.com"), Metadata: json.RawMessage(`{}`), Enabled: i%2 == 0}); err != nil {
					return err
				}
				if _, err := w.PutRole(ctx, &store.Role{Name: fmt.Sprintf("role%05d", i),
					Descriptor: json.RawMessage(fmt.Sprintf(`{"cluster":["monitor"],"description":"role number %d","metadata":{"n":%d}}`, i, i))}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		svc, err := keyservice.New(db, keyservice.Options{})
		if err != nil {
			b.Fatal(err)
		}
		root := auth.WithSubject(ctx, auth.OSSubject("root"))
		userBody := json.RawMessage(`{"query":{"bool":{"filter":[{"term":{"enabled":true}},{"match":{"email":"example.com"}}]}},"sort":[{"username":"desc"}],"size":100}`)
		roleBody := json.RawMessage(`{"query":{"simple_query_string":{"query":"number"}},"sort":[{"metadata.n":"desc"}],"size":100}`)
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := svc.QueryUsers(root, &api.QueryUsersRequest{Body: userBody}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("roles=%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := svc.QueryRoles(root, &api.QueryRolesRequest{Body: roleBody}); err != nil {
					b.Fatal(err)
				}
			}
		})
		db.Close()
	}
}
