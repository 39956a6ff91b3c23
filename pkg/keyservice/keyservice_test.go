package keyservice_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
	"github.com/apikeyctl/apikeyctl/pkg/store/sqlite"
)

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// fixture is a service over a fresh database with users of every privilege
// level the API key rules distinguish.
type fixture struct {
	t     *testing.T
	svc   *keyservice.Service
	clock *clock
	root  context.Context
}

func newFixture(t *testing.T, options ...func(*keyservice.Options)) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, t.TempDir()+"/keys.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c := &clock{t: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	opts := keyservice.Options{Now: c.now, PasswordHashing: "bcrypt4"}
	for _, o := range options {
		o(&opts)
	}
	svc, err := keyservice.New(db, opts)
	if err != nil {
		t.Fatal(err)
	}
	fx := &fixture{t: t, svc: svc, clock: c, root: auth.WithSubject(ctx, auth.OSSubject("root"))}
	for role, privs := range map[string][]string{
		"own_keys":  {"manage_own_api_key"},
		"all_keys":  {"manage_api_key"},
		"reader":    {"read_security"},
		"security":  {"manage_security"},
		"monitor":   {"monitor"},
		"key_grant": {"grant_api_key"},
	} {
		if _, err := svc.PutRole(fx.root, &api.PutRoleRequest{Name: role, Descriptor: api.RoleDescriptor{Cluster: privs}}); err != nil {
			t.Fatal(err)
		}
	}
	for user, role := range map[string]string{
		"owner": "own_keys", "other": "own_keys", "admin": "all_keys",
		"reader": "reader", "secadmin": "security", "nobody": "monitor",
	} {
		pw := "password-" + user
		if _, err := svc.PutUser(fx.root, &api.PutUserRequest{Username: user, Password: &pw, Roles: []string{role}}); err != nil {
			t.Fatal(err)
		}
	}
	return fx
}

// as authenticates a fixture user with Basic credentials.
func (fx *fixture) as(user string) context.Context {
	fx.t.Helper()
	sub, err := fx.svc.AuthenticateCredential(context.Background(), auth.Credential{Scheme: auth.SchemeBasic, Username: user, Password: "password-" + user})
	if err != nil {
		fx.t.Fatalf("authenticate %s: %v", user, err)
	}
	return auth.WithSubject(context.Background(), sub)
}

// asKey authenticates with an API key's encoded credential.
func (fx *fixture) asKey(resp *api.CreateAPIKeyResponse) context.Context {
	fx.t.Helper()
	sub, err := fx.authKey(resp.Encoded)
	if err != nil {
		fx.t.Fatalf("authenticate key %s: %v", resp.ID, err)
	}
	return auth.WithSubject(context.Background(), sub)
}

func (fx *fixture) authKey(encoded string) (*auth.Subject, error) {
	id, secret, err := auth.ParseAPIKeyCredential(encoded)
	if err != nil {
		return nil, err
	}
	return fx.svc.AuthenticateCredential(context.Background(), auth.Credential{Scheme: auth.SchemeAPIKey, KeyID: id, KeySecret: secret})
}

func (fx *fixture) create(ctx context.Context, name string, mod ...func(*api.CreateAPIKeyRequest)) *api.CreateAPIKeyResponse {
	fx.t.Helper()
	req := &api.CreateAPIKeyRequest{Name: &name}
	for _, m := range mod {
		m(req)
	}
	resp, err := fx.svc.CreateAPIKey(ctx, req)
	if err != nil {
		fx.t.Fatalf("create %s: %v", name, err)
	}
	return resp
}

func ptr[T any](v T) *T { return &v }

// wantErr asserts an *api.Error with status, type and a reason fragment.
func wantErr(t *testing.T, err error, status int, typ, reason string) {
	t.Helper()
	var e *api.Error
	if !errors.As(err, &e) {
		t.Fatalf("want %d %s %q, got %v (%T)", status, typ, reason, err, err)
	}
	full := e.Reason
	for c := e.Cause; c != nil; c = c.Cause {
		full += " | " + c.ErrType() + ": " + c.Reason
	}
	if e.Code.Status() != status || e.ErrType() != typ || !strings.Contains(full, reason) {
		t.Fatalf("want %d %s %q,\n got %d %s %q", status, typ, reason, e.Code.Status(), e.ErrType(), full)
	}
}

func TestCreateValidation(t *testing.T) {
	fx := newFixture(t)
	long := strings.Repeat("k", 257)
	tests := []struct {
		name   string
		req    api.CreateAPIKeyRequest
		status int
		typ    string
		reason string
	}{
		{"missing name", api.CreateAPIKeyRequest{}, 400, "x_content_parse_exception", "Required [name]"},
		{"empty name", api.CreateAPIKeyRequest{Name: ptr("")}, 400, "action_request_validation_exception", "Validation Failed: 1: api key name is required;"},
		{"name too long", api.CreateAPIKeyRequest{Name: &long}, 400, "action_request_validation_exception", "api key name may not be more than 256 characters long"},
		{"name with leading space", api.CreateAPIKeyRequest{Name: ptr(" k")}, 400, "action_request_validation_exception", "api key name may not begin or end with whitespace"},
		{"name with underscore", api.CreateAPIKeyRequest{Name: ptr("_k")}, 400, "action_request_validation_exception", "api key name may not begin with an underscore"},
		{"reserved metadata", api.CreateAPIKeyRequest{Name: ptr("k"), Metadata: api.MetadataFromMap(map[string]any{"_x": 1})}, 400, "action_request_validation_exception", "API key metadata keys may not start with [_]"},
		{"fractional expiration", api.CreateAPIKeyRequest{Name: ptr("k"), Expiration: ptr("1.5h")}, 400, "x_content_parse_exception", "fractional time values are not supported"},
		{"unitless expiration", api.CreateAPIKeyRequest{Name: ptr("k"), Expiration: ptr("10")}, 400, "x_content_parse_exception", "unit is missing or unrecognized"},
		{"zero expiration", api.CreateAPIKeyRequest{Name: ptr("k"), Expiration: ptr("0")}, 400, "action_request_validation_exception", "API key expiration must be in the future"},
		{"minus one expiration", api.CreateAPIKeyRequest{Name: ptr("k"), Expiration: ptr("-1")}, 400, "action_request_validation_exception", "API key expiration must be in the future"},
		{"unknown cluster privilege", api.CreateAPIKeyRequest{Name: ptr("k"), RoleDescriptors: api.RoleDescriptors{{Name: "r", Descriptor: api.RoleDescriptor{Cluster: []string{"fly"}}}}}, 400, "action_request_validation_exception", "unknown cluster privilege [fly]"},
		{"unknown index privilege", api.CreateAPIKeyRequest{Name: ptr("k"), RoleDescriptors: api.RoleDescriptors{{Name: "r", Descriptor: api.RoleDescriptor{Indices: []api.IndicesPrivileges{{Names: []string{"a"}, Privileges: []string{"peek"}}}}}}}, 400, "action_request_validation_exception", "unknown index privilege [peek]"},
		{"two restricted descriptors", api.CreateAPIKeyRequest{Name: ptr("k"), RoleDescriptors: api.RoleDescriptors{
			{Name: "a", Descriptor: api.RoleDescriptor{Restriction: &api.Restriction{Workflows: []string{"search_application_query"}}}},
			{Name: "b", Descriptor: api.RoleDescriptor{Restriction: &api.Restriction{Workflows: []string{"search_application_query"}}}},
		}}, 400, "illegal_argument_exception", "more than one role descriptor with restriction is not supported"},
		{"bad refresh", api.CreateAPIKeyRequest{Name: ptr("k"), Refresh: "now"}, 400, "illegal_argument_exception", "Unknown value for refresh: [now]."},
		{"two rules at once", api.CreateAPIKeyRequest{Name: ptr("_k"), Metadata: api.MetadataFromMap(map[string]any{"_x": 1})}, 400, "action_request_validation_exception", "1: api key name may not begin with an underscore;2: API key metadata keys may not start with [_];"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := fx.svc.CreateAPIKey(fx.as("owner"), &tt.req)
			wantErr(t, err, tt.status, tt.typ, tt.reason)
		})
	}
}

func TestCreateResponseAndStoredKey(t *testing.T) {
	fx := newFixture(t)
	ctx := fx.as("owner")
	resp := fx.create(ctx, "ci", func(r *api.CreateAPIKeyRequest) {
		r.Expiration = ptr("1500ms")
		r.Metadata = api.Metadata{{Key: "env", Value: "prod"}, {Key: "tier", Value: json.Number("2")}}
	})
	if len(resp.ID) != 20 || len(resp.APIKey) != 22 {
		t.Fatalf("id %q secret %q: want 20 and 22 characters", resp.ID, resp.APIKey)
	}
	if want := fx.clock.t.UnixMilli() + 1000; resp.Expiration == nil || *resp.Expiration != want {
		t.Fatalf("expiration %v, want %d (whole seconds of 1500ms)", resp.Expiration, want)
	}
	got, err := fx.svc.GetAPIKeys(ctx, &api.GetAPIKeysRequest{ID: resp.ID, Owner: true, WithLimitedBy: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.APIKeys) != 1 {
		t.Fatalf("got %d keys", len(got.APIKeys))
	}
	k := got.APIKeys[0]
	if k.Username != "owner" || k.Realm != "default_native" || k.RealmType != "native" || k.Type != "rest" || k.Invalidated {
		t.Fatalf("unexpected key %+v", k)
	}
	if len(k.LimitedBy) != 1 || k.LimitedBy[0][0].Name != "own_keys" {
		t.Fatalf("limited_by %+v, want the owner's role own_keys", k.LimitedBy)
	}
	data, _ := json.Marshal(k)
	for _, frag := range []string{`"metadata":{"tier":2,"env":"prod"}`, `"role_descriptors":{}`} {
		if !strings.Contains(string(data), frag) {
			t.Errorf("%s lacks %s", data, frag)
		}
	}
}

func TestAuthenticateAPIKey(t *testing.T) {
	fx := newFixture(t)
	ctx := fx.as("owner")
	live := fx.create(ctx, "live")
	short := fx.create(ctx, "short", func(r *api.CreateAPIKeyRequest) { r.Expiration = ptr("1m") })
	dead := fx.create(ctx, "dead")
	if _, err := fx.svc.InvalidateAPIKeys(ctx, &api.InvalidateAPIKeysRequest{IDs: []string{dead.ID}, Owner: true}); err != nil {
		t.Fatal(err)
	}
	fx.clock.t = fx.clock.t.Add(2 * time.Minute)

	sub, err := fx.authKey(live.Encoded)
	if err != nil {
		t.Fatal(err)
	}
	who, err := fx.svc.Authenticate(auth.WithSubject(context.Background(), sub))
	if err != nil {
		t.Fatal(err)
	}
	if who.Username != "owner" || who.AuthenticationType != "api_key" || who.APIKey == nil || who.APIKey.ID != live.ID || who.AuthenticationRealm.Name != "_es_api_key" {
		t.Fatalf("authenticate: %+v", who)
	}

	tests := []struct {
		name    string
		encoded string
		detail  string
	}{
		{"expired", short.Encoded, "API key: api key is expired"},
		{"invalidated", dead.Encoded, "API key: api key [" + dead.ID + "] has been invalidated"},
		{"wrong secret", encode(live.ID, "AAAAAAAAAAAAAAAAAAAAAA"), "API key: invalid credentials for API key [" + live.ID + "]"},
		{"unknown id", encode("nope", "x"), "API key: unable to find apikey with id nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := fx.authKey(tt.encoded)
			wantErr(t, err, 401, "security_exception", "anonymous access is not allowed")
			e, _ := api.AsError(err)
			if e.Fields["additional_unsuccessful_credentials"] != tt.detail {
				t.Fatalf("detail %q, want %q", e.Fields["additional_unsuccessful_credentials"], tt.detail)
			}
			if len(e.Header["WWW-Authenticate"]) != 3 {
				t.Fatalf("WWW-Authenticate %v", e.Header)
			}
		})
	}
}

func encode(id, secret string) string {
	return base64.StdEncoding.EncodeToString([]byte(id + ":" + secret))
}

func TestPrivileges(t *testing.T) {
	fx := newFixture(t)
	ownerKey := fx.create(fx.as("owner"), "mine")
	otherKey := fx.create(fx.as("other"), "theirs")
	keyCtx := fx.asKey(ownerKey)

	type call func(ctx context.Context) error
	get := func(req api.GetAPIKeysRequest) call {
		return func(ctx context.Context) error { _, err := fx.svc.GetAPIKeys(ctx, &req); return err }
	}
	inv := func(req api.InvalidateAPIKeysRequest) call {
		return func(ctx context.Context) error { _, err := fx.svc.InvalidateAPIKeys(ctx, &req); return err }
	}
	create := func(ctx context.Context) error {
		_, err := fx.svc.CreateAPIKey(ctx, &api.CreateAPIKeyRequest{Name: ptr("x")})
		return err
	}
	tests := []struct {
		name   string
		ctx    context.Context
		call   call
		reason string // empty: allowed
	}{
		{"monitor user cannot create", fx.as("nobody"), create, "action [cluster:admin/xpack/security/api_key/create] is unauthorized for user [nobody] with effective roles [monitor], this action is granted by the cluster privileges [manage_own_api_key,manage_api_key,manage_security,all]"},
		{"own user creates", fx.as("owner"), create, ""},
		{"own user lists without owner", fx.as("owner"), get(api.GetAPIKeysRequest{}), "action [cluster:admin/xpack/security/api_key/get] is unauthorized for user [owner]"},
		{"own user gets by id alone", fx.as("owner"), get(api.GetAPIKeysRequest{ID: ownerKey.ID}), "is unauthorized for user [owner]"},
		{"own user with owner=true", fx.as("owner"), get(api.GetAPIKeysRequest{Owner: true}), ""},
		{"own user names itself", fx.as("owner"), get(api.GetAPIKeysRequest{Username: "owner", RealmName: "default_native"}), ""},
		{"own user names another", fx.as("owner"), get(api.GetAPIKeysRequest{Username: "other", RealmName: "default_native"}), "is unauthorized for user [owner]"},
		{"reader lists all", fx.as("reader"), get(api.GetAPIKeysRequest{}), ""},
		{"reader cannot invalidate", fx.as("reader"), inv(api.InvalidateAPIKeysRequest{IDs: []string{otherKey.ID}}), "granted by the cluster privileges [manage_api_key,manage_security,all]"},
		{"key gets itself", keyCtx, get(api.GetAPIKeysRequest{ID: ownerKey.ID}), ""},
		{"key gets another", keyCtx, get(api.GetAPIKeysRequest{ID: otherKey.ID}), "is unauthorized for API key id [" + ownerKey.ID + "] of user [owner]"},
		{"key asks owner=true", keyCtx, get(api.GetAPIKeysRequest{Owner: true}), "is unauthorized for API key id"},
		{"key asks its limited_by", keyCtx, get(api.GetAPIKeysRequest{ID: ownerKey.ID, WithLimitedBy: true}), "is unauthorized for API key id"},
		{"key creates a privileged key", keyCtx, create, "creating derived api keys requires an explicit role descriptor that is empty"},
		{"own user invalidates by id without owner", fx.as("owner"), inv(api.InvalidateAPIKeysRequest{IDs: []string{ownerKey.ID}}), "api_key/invalidate] is unauthorized for user [owner]"},
		{"admin invalidates another's key", fx.as("admin"), inv(api.InvalidateAPIKeysRequest{IDs: []string{otherKey.ID}}), ""},
		{"key invalidates another", keyCtx, inv(api.InvalidateAPIKeysRequest{IDs: []string{otherKey.ID}}), "is unauthorized for API key id"},
		{"key invalidates itself", keyCtx, inv(api.InvalidateAPIKeysRequest{IDs: []string{ownerKey.ID}}), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(tt.ctx)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("want allowed, got %v", err)
				}
				return
			}
			var e *api.Error
			if !errors.As(err, &e) {
				t.Fatalf("want an error %q, got %v", tt.reason, err)
			}
			if !strings.Contains(e.Reason, tt.reason) {
				t.Fatalf("reason %q\nwant %q", e.Reason, tt.reason)
			}
		})
	}
}

func TestGetFiltersAndVisibility(t *testing.T) {
	fx := newFixture(t)
	owner := fx.as("owner")
	fx.create(owner, "ci-one")
	fx.create(owner, "ci-two", func(r *api.CreateAPIKeyRequest) { r.Expiration = ptr("1h") })
	gone := fx.create(owner, "old")
	fx.create(fx.as("other"), "ci-other")
	if _, err := fx.svc.InvalidateAPIKeys(owner, &api.InvalidateAPIKeysRequest{IDs: []string{gone.ID}, Owner: true}); err != nil {
		t.Fatal(err)
	}
	fx.clock.t = fx.clock.t.Add(2 * time.Hour)

	tests := []struct {
		name  string
		ctx   context.Context
		req   api.GetAPIKeysRequest
		names []string
	}{
		{"owner sees own keys only", owner, api.GetAPIKeysRequest{Owner: true}, []string{"ci-one", "ci-two", "old"}},
		{"prefix", fx.as("reader"), api.GetAPIKeysRequest{Name: "ci-*"}, []string{"ci-one", "ci-two", "ci-other"}},
		{"star is all", fx.as("reader"), api.GetAPIKeysRequest{Name: "*"}, []string{"ci-one", "ci-two", "old", "ci-other"}},
		{"exact name", fx.as("reader"), api.GetAPIKeysRequest{Name: "ci-one"}, []string{"ci-one"}},
		{"inner star is literal", fx.as("reader"), api.GetAPIKeysRequest{Name: "c*-one"}, nil},
		{"active only drops expired and invalidated", owner, api.GetAPIKeysRequest{Owner: true, ActiveOnly: true}, []string{"ci-one"}},
		{"by username", fx.as("reader"), api.GetAPIKeysRequest{Username: "other"}, []string{"ci-other"}},
		{"unknown id is empty", fx.as("reader"), api.GetAPIKeysRequest{ID: "nope"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := fx.svc.GetAPIKeys(tt.ctx, &tt.req)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, k := range resp.APIKeys {
				names = append(names, k.Name)
			}
			slices.Sort(names)
			slices.Sort(tt.names)
			if strings.Join(names, ",") != strings.Join(tt.names, ",") {
				t.Fatalf("got %v, want %v", names, tt.names)
			}
		})
	}
}

func TestGetAndInvalidateValidation(t *testing.T) {
	fx := newFixture(t)
	admin := fx.as("admin")
	tests := []struct {
		name   string
		call   func() error
		reason string
	}{
		{"get id with username", func() error {
			_, err := fx.svc.GetAPIKeys(admin, &api.GetAPIKeysRequest{ID: "a", Username: "u"})
			return err
		}, "username or realm name must not be specified when the api key id or api key name is specified"},
		{"get owner with realm", func() error {
			_, err := fx.svc.GetAPIKeys(admin, &api.GetAPIKeysRequest{Owner: true, RealmName: "r"})
			return err
		}, "neither username nor realm-name may be specified when retrieving owned API keys"},
		{"get id and name", func() error {
			_, err := fx.svc.GetAPIKeys(admin, &api.GetAPIKeysRequest{ID: "a", Name: "b"})
			return err
		}, "only one of [api key id, api key name] can be specified"},
		{"invalidate nothing", func() error {
			_, err := fx.svc.InvalidateAPIKeys(admin, &api.InvalidateAPIKeysRequest{})
			return err
		}, "One of [api key id(s), api key name, username, realm name] must be specified if [owner] flag is false"},
		{"invalidate ids and name", func() error {
			_, err := fx.svc.InvalidateAPIKeys(admin, &api.InvalidateAPIKeysRequest{IDs: []string{"a"}, Name: "b"})
			return err
		}, "only one of [api key id(s), api key name] can be specified"},
		{"invalidate owner with username", func() error {
			_, err := fx.svc.InvalidateAPIKeys(admin, &api.InvalidateAPIKeysRequest{Owner: true, Username: "u"})
			return err
		}, "neither username nor realm-name may be specified when invalidating owned API keys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, tt.call(), 400, "action_request_validation_exception", tt.reason)
		})
	}
	t.Run("blank id", func(t *testing.T) {
		// As the daemon answers the same body: a parse error of the field,
		// caused by the blank id.
		_, err := fx.svc.InvalidateAPIKeys(admin, &api.InvalidateAPIKeysRequest{IDs: []string{"a", " "}})
		wantErr(t, err, 400, "x_content_parse_exception", "[invalidate_api_key] failed to parse field [ids]")
		if e, _ := api.AsError(err); e.Cause == nil || e.Cause.Reason != "Field [ids] must not contain blank id, but got blank id at index position: [1]" {
			t.Errorf("cause = %+v", e.Cause)
		}
	})
}

func TestInvalidateIsIdempotent(t *testing.T) {
	fx := newFixture(t)
	owner := fx.as("owner")
	a, b := fx.create(owner, "a"), fx.create(owner, "b")
	resp, err := fx.svc.InvalidateAPIKeys(owner, &api.InvalidateAPIKeysRequest{Owner: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(resp.InvalidatedAPIKeys, a.ID) || !slices.Contains(resp.InvalidatedAPIKeys, b.ID) || len(resp.InvalidatedAPIKeys) != 2 || resp.ErrorCount != 0 || resp.ErrorDetails != nil {
		t.Fatalf("first invalidate: %+v", resp)
	}
	again, err := fx.svc.InvalidateAPIKeys(owner, &api.InvalidateAPIKeysRequest{IDs: []string{a.ID}, Owner: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(again.InvalidatedAPIKeys) != 0 || len(again.PreviouslyInvalidatedAPIKeys) != 0 {
		t.Fatalf("second invalidate: %+v", again)
	}
	got, _ := fx.svc.GetAPIKeys(owner, &api.GetAPIKeysRequest{ID: a.ID, Owner: true})
	if k := got.APIKeys[0]; !k.Invalidated || k.Invalidation == nil || *k.Invalidation != fx.clock.t.UnixMilli() {
		t.Fatalf("stored key %+v", k)
	}
}

func TestUsersAndRoles(t *testing.T) {
	fx := newFixture(t)
	created, gen, err := fx.svc.Bootstrap(context.Background(), "")
	if err != nil || !created || len(gen) < 16 {
		t.Fatalf("bootstrap: %v %v %q", created, err, gen)
	}
	if created, _, err := fx.svc.Bootstrap(context.Background(), ""); err != nil || created {
		t.Fatalf("second bootstrap created=%v err=%v", created, err)
	}
	sub, err := fx.svc.AuthenticateCredential(context.Background(), auth.Credential{Scheme: auth.SchemeBasic, Username: "elastic", Password: gen})
	if err != nil || sub.Realm != auth.ReservedRealm {
		t.Fatalf("elastic: %+v %v", sub, err)
	}
	_, err = fx.svc.AuthenticateCredential(context.Background(), auth.Credential{Scheme: auth.SchemeBasic, Username: "elastic", Password: "wrong-password"})
	wantErr(t, err, 401, "security_exception", "unable to authenticate user [elastic]")

	tests := []struct {
		name   string
		call   func() error
		status int
		typ    string
		reason string
	}{
		{"short password", func() error {
			_, err := fx.svc.PutUser(fx.root, &api.PutUserRequest{Username: "z", Password: ptr("abc")})
			return err
		}, 400, "action_request_validation_exception", "passwords must be at least [6] characters long"},
		{"new user without password", func() error {
			_, err := fx.svc.PutUser(fx.root, &api.PutUserRequest{Username: "z"})
			return err
		}, 400, "action_request_validation_exception", "password must be specified unless you are updating an existing user"},
		{"reserved user", func() error {
			_, err := fx.svc.PutUser(fx.root, &api.PutUserRequest{Username: "elastic", Password: ptr("secret1")})
			return err
		}, 400, "action_request_validation_exception", "Username [elastic] is reserved"},
		{"delete reserved", func() error {
			_, err := fx.svc.DeleteUser(fx.root, "elastic")
			return err
		}, 400, "illegal_argument_exception", "user [elastic] is reserved and cannot be deleted"},
		{"put superuser role", func() error {
			_, err := fx.svc.PutRole(fx.root, &api.PutRoleRequest{Name: "superuser"})
			return err
		}, 400, "action_request_validation_exception", "Role [superuser] is reserved"},
		{"user cannot put users", func() error {
			_, err := fx.svc.PutUser(fx.as("admin"), &api.PutUserRequest{Username: "z", Password: ptr("secret1")})
			return err
		}, 403, "security_exception", "action [cluster:admin/xpack/security/user/put] is unauthorized for user [admin]"},
		{"other's password", func() error {
			return fx.svc.ChangePassword(fx.as("owner"), &api.ChangePasswordRequest{Username: "other", Password: ptr("secret1")})
		}, 403, "security_exception", "user/change_password] is unauthorized"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantErr(t, tt.call(), tt.status, tt.typ, tt.reason) })
	}

	if err := fx.svc.ChangePassword(fx.as("owner"), &api.ChangePasswordRequest{Username: "owner", Password: ptr("password-owner2")}); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.AuthenticateCredential(context.Background(), auth.Credential{Scheme: auth.SchemeBasic, Username: "owner", Password: "password-owner2"}); err != nil {
		t.Fatalf("new password: %v", err)
	}
	users, err := fx.svc.GetUsers(fx.as("reader"), []string{"owner", "ghost"})
	if err != nil || len(users) != 1 || users["owner"].Roles[0] != "own_keys" {
		t.Fatalf("get users: %v %v", users, err)
	}
	del, err := fx.svc.DeleteUser(fx.root, "ghost")
	if err != nil || del.Found {
		t.Fatalf("delete ghost: %v %v", del, err)
	}
	roles, err := fx.svc.GetRoles(fx.root, []string{"superuser", "own_keys"})
	if err != nil || len(roles) != 2 {
		t.Fatalf("get roles: %v %v", roles, err)
	}
}

// TestAuthorizationBeforeCredentialType: as in Elasticsearch, whose
// security filter runs before the action, a key without the privilege is
// refused with 403; a key with it gets the action's own 400 for a
// credential of the wrong type.
func TestAuthorizationBeforeCredentialType(t *testing.T) {
	fx := newFixture(t)
	ownKey := fx.asKey(fx.create(fx.as("owner"), "own"))
	superKey := fx.asKey(fx.create(fx.root, "super"))
	empty := fx.asKey(fx.create(fx.as("owner"), "empty", func(r *api.CreateAPIKeyRequest) {
		r.RoleDescriptors = api.RoleDescriptors{{Name: "none", Descriptor: api.RoleDescriptor{}}}
	}))
	target := fx.create(fx.as("owner"), "target")
	createCC := func(ctx context.Context) error {
		_, err := fx.svc.CreateCrossClusterAPIKey(ctx, &api.CreateCrossClusterAPIKeyRequest{Name: ptr("cc"),
			Access: &api.CrossClusterAccess{Search: []api.SearchAccess{{Names: []string{"logs-*"}}}}})
		return err
	}
	update := func(ctx context.Context) error {
		_, err := fx.svc.UpdateAPIKey(ctx, &api.UpdateAPIKeyRequest{ID: target.ID, Metadata: api.MetadataFromMap(map[string]any{"a": 1})})
		return err
	}
	for _, c := range []struct {
		name   string
		ctx    context.Context
		call   func(context.Context) error
		status int
		reason string
	}{
		{"cross-cluster create by a manage_own_api_key key", ownKey, createCC, 403, "this action is granted by the cluster privileges [manage_security,all]"},
		{"cross-cluster create by a superuser's key", superKey, createCC, 400, "An API key cannot be used to create a cross-cluster API key"},
		{"update by a key without privileges", empty, update, 403, "is unauthorized for API key id"},
		{"update by a manage_own_api_key key", ownKey, update, 400, "only the owner user can update an API key"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.call(c.ctx)
			typ := "security_exception"
			if c.status == 400 {
				typ = "illegal_argument_exception"
			}
			wantErr(t, err, c.status, typ, c.reason)
		})
	}
}
