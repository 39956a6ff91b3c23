package keyservice_test

import (
	"context"
	"regexp"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// call runs one request against the service; the daemon and --db build
// the request differently.
type call func(ctx context.Context) error

// decoded is the daemon's path: the body through the API's decoder, then
// the service.
func decoded[R, T any](decode func([]byte) (*R, error), serve func(context.Context, *R) (T, error), body string) call {
	return func(ctx context.Context) error {
		req, err := decode([]byte(body))
		if err != nil {
			return err
		}
		_, err = serve(ctx, req)
		return err
	}
}

// direct is apikeyctl --db's path: a request built in Go, straight into
// the service.
func direct[R, T any](serve func(context.Context, *R) (T, error), req *R) call {
	return func(ctx context.Context) error {
		_, err := serve(ctx, req)
		return err
	}
}

// position is the [line:col] that only a decoded body can name.
var position = regexp.MustCompile(`^\[\d+:\d+\] `)

// withoutPosition is the error's types and reasons, outermost first,
// without the body position.
func withoutPosition(e *api.Error) []string {
	var reasons []string
	for ; e != nil; e = e.Cause {
		reasons = append(reasons, e.ErrType()+": "+position.ReplaceAllString(e.Reason, ""))
	}
	return reasons
}

// TestDaemonAndDBRefuseAlike runs the same bad requests the daemon's way
// and --db's way: each must fail with the same code (so the same status),
// and the same types and reasons.
func TestDaemonAndDBRefuseAlike(t *testing.T) {
	fx := newFixture(t)
	svc := fx.svc
	name := "k"
	tests := []struct {
		name       string
		daemon, db call
	}{
		{
			name:   "invalidate with an empty ids array",
			daemon: decoded(api.DecodeInvalidateAPIKeysRequest, svc.InvalidateAPIKeys, `{"ids":[]}`),
			db:     direct(svc.InvalidateAPIKeys, &api.InvalidateAPIKeysRequest{IDs: []string{}}),
		},
		{
			name:   "invalidate with one blank id",
			daemon: decoded(api.DecodeInvalidateAPIKeysRequest, svc.InvalidateAPIKeys, `{"ids":["a"," "]}`),
			db:     direct(svc.InvalidateAPIKeys, &api.InvalidateAPIKeysRequest{IDs: []string{"a", " "}}),
		},
		{
			name:   "invalidate with several blank ids",
			daemon: decoded(api.DecodeInvalidateAPIKeysRequest, svc.InvalidateAPIKeys, `{"ids":["", "a", " "]}`),
			db:     direct(svc.InvalidateAPIKeys, &api.InvalidateAPIKeysRequest{IDs: []string{"", "a", " "}}),
		},
		{
			name:   "invalidate with ids and a name",
			daemon: decoded(api.DecodeInvalidateAPIKeysRequest, svc.InvalidateAPIKeys, `{"ids":["a"],"name":"k"}`),
			db:     direct(svc.InvalidateAPIKeys, &api.InvalidateAPIKeysRequest{IDs: []string{"a"}, Name: "k"}),
		},
		{
			name:   "create without a name",
			daemon: decoded(api.DecodeCreateAPIKeyRequest, svc.CreateAPIKey, `{"expiration":"1d"}`),
			db:     direct(svc.CreateAPIKey, &api.CreateAPIKeyRequest{Expiration: ptr("1d")}),
		},
		{
			name:   "create with an expiration that is not a time value",
			daemon: decoded(api.DecodeCreateAPIKeyRequest, svc.CreateAPIKey, `{"name":"k","expiration":"10"}`),
			db:     direct(svc.CreateAPIKey, &api.CreateAPIKeyRequest{Name: &name, Expiration: ptr("10")}),
		},
		{
			name:   "create with an expiration in the past",
			daemon: decoded(api.DecodeCreateAPIKeyRequest, svc.CreateAPIKey, `{"name":"k","expiration":"-1"}`),
			db:     direct(svc.CreateAPIKey, &api.CreateAPIKeyRequest{Name: &name, Expiration: ptr("-1")}),
		},
		{
			name:   "create with reserved metadata",
			daemon: decoded(api.DecodeCreateAPIKeyRequest, svc.CreateAPIKey, `{"name":"k","metadata":{"_x":1}}`),
			db:     direct(svc.CreateAPIKey, &api.CreateAPIKeyRequest{Name: &name, Metadata: api.MetadataFromMap(map[string]any{"_x": 1})}),
		},
		{
			name:   "cross-cluster create without access",
			daemon: decoded(api.DecodeCreateCrossClusterAPIKeyRequest, svc.CreateCrossClusterAPIKey, `{"name":"k"}`),
			db:     direct(svc.CreateCrossClusterAPIKey, &api.CreateCrossClusterAPIKeyRequest{Name: &name}),
		},
		{
			name:   "cross-cluster create with a bad expiration",
			daemon: decoded(api.DecodeCreateCrossClusterAPIKeyRequest, svc.CreateCrossClusterAPIKey, `{"name":"k","access":{"search":[{"names":["a"]}]},"expiration":"1x"}`),
			db: direct(svc.CreateCrossClusterAPIKey, &api.CreateCrossClusterAPIKeyRequest{
				Name: &name, Access: &api.CrossClusterAccess{Search: []api.SearchAccess{{Names: []string{"a"}}}}, Expiration: ptr("1x"),
			}),
		},
		{
			name:   "update with a bad expiration",
			daemon: decoded(func(b []byte) (*api.UpdateAPIKeyRequest, error) { return api.DecodeUpdateAPIKeyRequest("a", b) }, svc.UpdateAPIKey, `{"expiration":"1 day"}`),
			db:     direct(svc.UpdateAPIKey, &api.UpdateAPIKeyRequest{ID: "a", Expiration: ptr("1 day")}),
		},
		{
			name: "cross-cluster update with a bad expiration",
			daemon: decoded(func(b []byte) (*api.UpdateCrossClusterAPIKeyRequest, error) {
				return api.DecodeUpdateCrossClusterAPIKeyRequest("a", b)
			}, svc.UpdateCrossClusterAPIKey, `{"expiration":"1x"}`),
			db: direct(svc.UpdateCrossClusterAPIKey, &api.UpdateCrossClusterAPIKeyRequest{ID: "a", Expiration: ptr("1x")}),
		},
		{
			name:   "bulk update without ids",
			daemon: decoded(api.DecodeBulkUpdateAPIKeysRequest, svc.BulkUpdateAPIKeys, `{"metadata":{}}`),
			db:     direct(svc.BulkUpdateAPIKeys, &api.BulkUpdateAPIKeysRequest{Metadata: api.Metadata{}}),
		},
		{
			name:   "bulk update with an empty ids array",
			daemon: decoded(api.DecodeBulkUpdateAPIKeysRequest, svc.BulkUpdateAPIKeys, `{"ids":[]}`),
			db:     direct(svc.BulkUpdateAPIKeys, &api.BulkUpdateAPIKeysRequest{IDs: []string{}}),
		},
		{
			name:   "clone with a bad expiration",
			daemon: decoded(api.DecodeCloneAPIKeyRequest, svc.CloneAPIKey, `{"api_key":"x","expiration":"1x"}`),
			db:     direct(svc.CloneAPIKey, &api.CloneAPIKeyRequest{APIKey: "x", Expiration: &api.Clearable{Value: "1x"}}),
		},
		{
			name:   "grant without a grant type",
			daemon: decoded(api.DecodeGrantAPIKeyRequest, svc.GrantAPIKey, `{"api_key":{"name":"k"}}`),
			db:     direct(svc.GrantAPIKey, &api.GrantAPIKeyRequest{APIKey: &api.CreateAPIKeyRequest{Name: &name}}),
		},
		{
			name:   "grant of a key without a name",
			daemon: decoded(api.DecodeGrantAPIKeyRequest, svc.GrantAPIKey, `{"grant_type":"password","username":"admin","password":"x","api_key":{}}`),
			db: direct(svc.GrantAPIKey, &api.GrantAPIKeyRequest{
				GrantCredential: api.GrantCredential{GrantType: api.GrantTypePassword, Username: ptr("admin"), Password: ptr("x")},
				APIKey:          &api.CreateAPIKeyRequest{},
			}),
		},
		{
			name:   "invalidate token with a token and a refresh token",
			daemon: decoded(api.DecodeInvalidateTokenRequest, svc.InvalidateToken, `{"token":"a","refresh_token":"b"}`),
			db:     direct(svc.InvalidateToken, &api.InvalidateTokenRequest{Token: "a", RefreshToken: "b"}),
		},
		{
			name:   "invalidate token with a token and a username",
			daemon: decoded(api.DecodeInvalidateTokenRequest, svc.InvalidateToken, `{"token":"a","username":"bob"}`),
			db:     direct(svc.InvalidateToken, &api.InvalidateTokenRequest{Token: "a", Username: "bob"}),
		},
		{
			name:   "get token without a password",
			daemon: decoded(api.DecodeGetTokenRequest, svc.GetToken, `{"grant_type":"password","username":"bob"}`),
			db:     direct(svc.GetToken, &api.GetTokenRequest{GrantType: ptr(api.GrantTypePassword), Username: ptr("bob")}),
		},
		{
			name: "put user with a short password and reserved metadata",
			daemon: decoded(func(b []byte) (*api.PutUserRequest, error) { return api.DecodePutUserRequest("bob", b) },
				svc.PutUser, `{"password":"abc","metadata":{"_x":1}}`),
			db: direct(svc.PutUser, &api.PutUserRequest{Username: "bob", Password: ptr("abc"), Metadata: api.MetadataFromMap(map[string]any{"_x": 1})}),
		},
		{
			name: "put role with an unknown cluster privilege",
			daemon: decoded(func(b []byte) (*api.PutRoleRequest, error) { return api.DecodeRoleRequest("r", b) },
				svc.PutRole, `{"cluster":["nope"]}`),
			db: direct(svc.PutRole, &api.PutRoleRequest{Name: "r", Descriptor: api.RoleDescriptor{Cluster: []string{"nope"}}}),
		},
		{
			name: "rotate with a grace that is not a time value",
			daemon: decoded(func(b []byte) (*api.RotateAPIKeyRequest, error) { return api.DecodeRotateAPIKeyRequest("a", b) },
				svc.RotateAPIKey, `{"grace":"5"}`),
			db: direct(svc.RotateAPIKey, &api.RotateAPIKeyRequest{ID: "a", Grace: ptr("5")}),
		},
		{
			name: "rotate with a negative until_unused",
			daemon: decoded(func(b []byte) (*api.RotateAPIKeyRequest, error) { return api.DecodeRotateAPIKeyRequest("a", b) },
				svc.RotateAPIKey, `{"until_unused":"-5m"}`),
			db: direct(svc.RotateAPIKey, &api.RotateAPIKeyRequest{ID: "a", UntilUnused: ptr("-5m")}),
		},
		{
			name:   "cascading invalidate with an empty ids array",
			daemon: decoded(api.DecodeCascadeInvalidateRequest, svc.InvalidateAPIKeysCascade, `{"ids":[],"cascade":true}`),
			db: direct(svc.InvalidateAPIKeysCascade, &api.CascadeInvalidateRequest{
				InvalidateAPIKeysRequest: api.InvalidateAPIKeysRequest{IDs: []string{}}, Cascade: true}),
		},
		{
			name:   "bulk update with a bad expiration",
			daemon: decoded(api.DecodeBulkUpdateAPIKeysRequest, svc.BulkUpdateAPIKeys, `{"ids":["a"],"expiration":"soon"}`),
			db:     direct(svc.BulkUpdateAPIKeys, &api.BulkUpdateAPIKeysRequest{IDs: []string{"a"}, Expiration: ptr("soon")}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := fx.as("secadmin")
			daemonErr, ok := api.AsError(tt.daemon(ctx))
			if !ok {
				t.Fatalf("the daemon's way did not fail with an api.Error")
			}
			dbErr, ok := api.AsError(tt.db(ctx))
			if !ok {
				t.Fatalf("--db's way did not fail with an api.Error (the daemon's: %v)", daemonErr)
			}
			if daemonErr.Code != dbErr.Code {
				t.Errorf("code: daemon %s (%d), --db %s (%d)", daemonErr.Code.Type(), daemonErr.Code.Status(), dbErr.Code.Type(), dbErr.Code.Status())
			}
			want, got := withoutPosition(daemonErr), withoutPosition(dbErr)
			if len(want) != len(got) {
				t.Fatalf("reasons:\ndaemon %q\n--db   %q", want, got)
			}
			for i := range want {
				if want[i] != got[i] {
					t.Errorf("reasons:\ndaemon %q\n--db   %q", want, got)
				}
			}
		})
	}
}
