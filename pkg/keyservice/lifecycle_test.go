package keyservice_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

func TestGrant(t *testing.T) {
	fx := newFixture(t)
	if _, err := fx.svc.PutRole(fx.root, &api.PutRoleRequest{Name: "granter", Descriptor: api.RoleDescriptor{Cluster: []string{"grant_api_key"}}}); err != nil {
		t.Fatal(err)
	}
	pw := "password-granter"
	if _, err := fx.svc.PutUser(fx.root, &api.PutUserRequest{Username: "granter", Password: &pw, Roles: []string{"granter"}}); err != nil {
		t.Fatal(err)
	}
	grant := func(user, password string) *api.GrantAPIKeyRequest {
		return &api.GrantAPIKeyRequest{
			GrantCredential: api.GrantCredential{GrantType: "password", Username: &user, Password: &password},
			APIKey:          &api.CreateAPIKeyRequest{Name: ptr("granted")},
		}
	}
	resp, err := fx.svc.GrantAPIKey(fx.as("granter"), grant("owner", "password-owner"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := fx.svc.GetAPIKeys(fx.as("reader"), &api.GetAPIKeysRequest{ID: resp.ID})
	if err != nil || got.APIKeys[0].Username != "owner" || got.APIKeys[0].Realm != "default_native" {
		t.Fatalf("granted key is not owned by the granted user: %+v %v", got, err)
	}

	tests := []struct {
		name   string
		ctx    context.Context
		req    *api.GrantAPIKeyRequest
		status int
		typ    string
		reason string
	}{
		{"manage_own cannot grant", fx.as("owner"), grant("owner", "password-owner"), 403, "security_exception", "action [cluster:admin/xpack/security/api_key/grant] is unauthorized for user [owner]"},
		{"wrong password", fx.as("granter"), grant("owner", "nope-nope"), 403, "security_exception", "Failed to authenticate api key grant | security_exception: unable to authenticate user [owner]"},
		{"missing grant type", fx.as("granter"), &api.GrantAPIKeyRequest{APIKey: &api.CreateAPIKeyRequest{Name: ptr("k")}}, 400, "action_request_validation_exception", "[grant_type] is required"},
		{"unsupported grant type", fx.as("granter"), &api.GrantAPIKeyRequest{GrantCredential: api.GrantCredential{GrantType: "magic"}, APIKey: &api.CreateAPIKeyRequest{Name: ptr("k")}}, 400, "action_request_validation_exception", "grant_type [magic] is not supported"},
		{"password without username", fx.as("granter"), &api.GrantAPIKeyRequest{GrantCredential: api.GrantCredential{GrantType: "password", Password: ptr("x")}, APIKey: &api.CreateAPIKeyRequest{Name: ptr("k")}}, 400, "action_request_validation_exception", "[username] is required for grant_type [password]"},
		{"token with username", fx.as("granter"), &api.GrantAPIKeyRequest{GrantCredential: api.GrantCredential{GrantType: "access_token", AccessToken: ptr("t"), Username: ptr("u")}, APIKey: &api.CreateAPIKeyRequest{Name: ptr("k")}}, 400, "action_request_validation_exception", "[username] is not supported for grant_type [access_token]"},
		{"missing api_key", fx.as("granter"), &api.GrantAPIKeyRequest{GrantCredential: api.GrantCredential{GrantType: "password", Username: ptr("owner"), Password: ptr("password-owner")}}, 400, "action_request_validation_exception", "1: api key name is required;"},
		{"run as without privilege", fx.as("granter"), func() *api.GrantAPIKeyRequest {
			r := grant("owner", "password-owner")
			r.RunAs = ptr("other")
			return r
		}(), 403, "security_exception", "is unauthorized to run as [other]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := fx.svc.GrantAPIKey(tt.ctx, tt.req)
			wantErr(t, err, tt.status, tt.typ, tt.reason)
		})
	}

	t.Run("bulk", func(t *testing.T) {
		cred := grant("owner", "password-owner").GrantCredential
		bulk, err := fx.svc.BulkGrantAPIKeys(fx.as("granter"), &api.BulkGrantAPIKeysRequest{GrantCredential: cred,
			APIKeys: []api.CreateAPIKeyRequest{{Name: ptr("b1")}, {Name: ptr("b2"), Expiration: ptr("1d")}}})
		if err != nil || len(bulk.Created) != 2 || bulk.Created[0].Name != "b1" || bulk.Created[1].Expiration == nil {
			t.Fatalf("bulk grant: %+v %v", bulk, err)
		}
		_, err = fx.svc.BulkGrantAPIKeys(fx.as("granter"), &api.BulkGrantAPIKeysRequest{GrantCredential: cred})
		wantErr(t, err, 400, "action_request_validation_exception", "Validation Failed: 1: [api_keys] must not be empty;")
		// One bad key fails the whole request: nothing is created.
		before, _ := fx.svc.GetAPIKeys(fx.as("reader"), &api.GetAPIKeysRequest{})
		_, err = fx.svc.BulkGrantAPIKeys(fx.as("granter"), &api.BulkGrantAPIKeysRequest{GrantCredential: cred,
			APIKeys: []api.CreateAPIKeyRequest{{Name: ptr("ok")}, {Name: ptr("_bad")}}})
		wantErr(t, err, 400, "action_request_validation_exception", "may not begin with an underscore")
		after, _ := fx.svc.GetAPIKeys(fx.as("reader"), &api.GetAPIKeysRequest{})
		if len(after.APIKeys) != len(before.APIKeys) {
			t.Fatalf("a failed bulk grant created keys")
		}
	})
}

func TestClone(t *testing.T) {
	fx := newFixture(t)
	if _, err := fx.svc.PutRole(fx.root, &api.PutRoleRequest{Name: "cloner", Descriptor: api.RoleDescriptor{Cluster: []string{"clone_api_key"}}}); err != nil {
		t.Fatal(err)
	}
	pw := "password-cloner"
	if _, err := fx.svc.PutUser(fx.root, &api.PutUserRequest{Username: "cloner", Password: &pw, Roles: []string{"cloner", "own_keys"}}); err != nil {
		t.Fatal(err)
	}
	owner := fx.as("owner")
	src := fx.create(owner, "deploy", func(r *api.CreateAPIKeyRequest) {
		r.Expiration = ptr("10h")
		r.Metadata = api.Metadata{{Key: "team", Value: "a"}}
		r.RoleDescriptors = api.RoleDescriptors{{Name: "r", Descriptor: api.RoleDescriptor{Cluster: []string{"monitor"}}}}
	})
	// The cloning caller is an API key of a user holding clone_api_key.
	clonerKey := fx.create(fx.as("cloner"), "ci-runner")
	ciCtx := fx.asKey(clonerKey)

	clone, err := fx.svc.CloneAPIKey(ciCtx, &api.CloneAPIKeyRequest{APIKey: src.Encoded, Name: ptr("ci-1"), Expiration: &api.Clearable{Value: "5m"}})
	if err != nil {
		t.Fatal(err)
	}
	if clone.ID == src.ID || clone.APIKey == src.APIKey || *clone.Expiration != fx.clock.t.Add(5*time.Minute).UnixMilli() {
		t.Fatalf("clone: %+v", clone)
	}
	got, _ := fx.svc.GetAPIKeys(fx.as("reader"), &api.GetAPIKeysRequest{ID: clone.ID})
	k := got.APIKeys[0]
	if k.Username != "owner" || k.Metadata.Map()["team"] != "a" || len(k.RoleDescriptors) != 1 || k.Name != "ci-1" {
		t.Fatalf("cloned key: %+v", k)
	}
	if _, err := fx.authKey(clone.Encoded); err != nil {
		t.Fatalf("the clone does not authenticate: %v", err)
	}

	inherit, err := fx.svc.CloneAPIKey(ciCtx, &api.CloneAPIKeyRequest{APIKey: src.Encoded})
	if err != nil || inherit.Name != "deploy" || *inherit.Expiration != *src.Expiration {
		t.Fatalf("defaults: %+v %v", inherit, err)
	}
	forever, err := fx.svc.CloneAPIKey(ciCtx, &api.CloneAPIKeyRequest{APIKey: src.Encoded, Expiration: &api.Clearable{Null: true}, Metadata: api.Metadata{}})
	if err != nil || forever.Expiration != nil {
		t.Fatalf("null expiration: %+v %v", forever, err)
	}

	dead := fx.create(owner, "dead")
	if _, err := fx.svc.InvalidateAPIKeys(owner, &api.InvalidateAPIKeysRequest{IDs: []string{dead.ID}, Owner: true}); err != nil {
		t.Fatal(err)
	}
	short := fx.create(owner, "short", func(r *api.CreateAPIKeyRequest) { r.Expiration = ptr("1s") })
	cc, err := fx.svc.CreateCrossClusterAPIKey(fx.root, &api.CreateCrossClusterAPIKeyRequest{Name: ptr("cc"), Access: &api.CrossClusterAccess{Search: []api.SearchAccess{{Names: []string{"logs"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	fx.clock.t = fx.clock.t.Add(time.Minute)

	tests := []struct {
		name   string
		ctx    context.Context
		req    api.CloneAPIKeyRequest
		status int
		typ    string
		reason string
	}{
		{"manage_own may not clone", owner, api.CloneAPIKeyRequest{APIKey: src.Encoded}, 403, "security_exception", "action [cluster:admin/xpack/security/api_key/clone] is unauthorized for user [owner]"},
		{"missing credential", ciCtx, api.CloneAPIKeyRequest{}, 400, "action_request_validation_exception", "api key credential is required"},
		{"malformed credential", ciCtx, api.CloneAPIKeyRequest{APIKey: "not base64!"}, 400, "status_exception", "invalid API key credential: invalid ApiKey value"},
		{"no colon", ciCtx, api.CloneAPIKeyRequest{APIKey: encode("abc", "")[:4]}, 400, "status_exception", "invalid API key credential"},
		{"unknown id", ciCtx, api.CloneAPIKeyRequest{APIKey: encode("nope", "x")}, 403, "security_exception", "Failed to clone API key | security_exception: unable to find apikey with id nope"},
		{"wrong secret", ciCtx, api.CloneAPIKeyRequest{APIKey: encode(src.ID, "AAAAAAAAAAAAAAAAAAAAAA")}, 403, "security_exception", "invalid credentials for API key [" + src.ID + "]"},
		{"invalidated source", ciCtx, api.CloneAPIKeyRequest{APIKey: dead.Encoded}, 403, "security_exception", "api key [" + dead.ID + "] has been invalidated"},
		{"expired source", ciCtx, api.CloneAPIKeyRequest{APIKey: short.Encoded}, 403, "security_exception", "Failed to clone API key | security_exception: api key is expired"},
		{"cross-cluster source", ciCtx, api.CloneAPIKeyRequest{APIKey: cc.Encoded}, 403, "security_exception", "but API key [" + cc.ID + "] has type [cross_cluster]"},
		{"bad name", ciCtx, api.CloneAPIKeyRequest{APIKey: src.Encoded, Name: ptr("_x")}, 400, "action_request_validation_exception", "may not begin with an underscore"},
		{"zero expiration", ciCtx, api.CloneAPIKeyRequest{APIKey: src.Encoded, Expiration: &api.Clearable{Value: "0"}}, 400, "action_request_validation_exception", "API key expiration must be in the future"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := fx.svc.CloneAPIKey(tt.ctx, &tt.req)
			wantErr(t, err, tt.status, tt.typ, tt.reason)
		})
	}
}

// TestConcurrentClones clones one key from 8 goroutines: every clone is
// distinct and authenticates.
func TestConcurrentClones(t *testing.T) {
	fx := newFixture(t)
	src := fx.create(fx.as("owner"), "source")
	ctx := fx.root
	const n = 8
	results := make([]*api.CreateAPIKeyResponse, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			results[i], errs[i] = fx.svc.CloneAPIKey(ctx, &api.CloneAPIKeyRequest{APIKey: src.Encoded, Expiration: &api.Clearable{Value: "5m"}})
		})
	}
	wg.Wait()
	ids, secrets := map[string]bool{}, map[string]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("clone %d: %v", i, errs[i])
		}
		r := results[i]
		if ids[r.ID] || secrets[r.APIKey] || r.ID == src.ID {
			t.Fatalf("clone %d repeats an id or secret", i)
		}
		ids[r.ID], secrets[r.APIKey] = true, true
		if _, err := fx.authKey(r.Encoded); err != nil {
			t.Fatalf("clone %d does not authenticate: %v", i, err)
		}
	}
}

func TestUpdate(t *testing.T) {
	fx := newFixture(t)
	owner := fx.as("owner")
	k := fx.create(owner, "k", func(r *api.CreateAPIKeyRequest) { r.Metadata = api.Metadata{{Key: "a", Value: "1"}} })

	up, err := fx.svc.UpdateAPIKey(owner, &api.UpdateAPIKeyRequest{ID: k.ID, Metadata: api.MetadataFromMap(map[string]any{"a": "1"})})
	if err != nil || up.Updated {
		t.Fatalf("same metadata must be a noop: %+v %v", up, err)
	}
	up, err = fx.svc.UpdateAPIKey(owner, &api.UpdateAPIKeyRequest{ID: k.ID, Metadata: api.MetadataFromMap(map[string]any{"a": "2"}),
		RoleDescriptors: api.RoleDescriptors{{Name: "r", Descriptor: api.RoleDescriptor{Cluster: []string{"monitor"}}}}})
	if err != nil || !up.Updated {
		t.Fatalf("update: %+v %v", up, err)
	}
	got, _ := fx.svc.GetAPIKeys(owner, &api.GetAPIKeysRequest{ID: k.ID, Owner: true})
	if got.APIKeys[0].Metadata.Map()["a"] != "2" || len(got.APIKeys[0].RoleDescriptors) != 1 {
		t.Fatalf("after update: %+v", got.APIKeys[0])
	}
	up, _ = fx.svc.UpdateAPIKey(owner, &api.UpdateAPIKeyRequest{ID: k.ID, RoleDescriptors: api.RoleDescriptors{}})
	got, _ = fx.svc.GetAPIKeys(owner, &api.GetAPIKeysRequest{ID: k.ID, Owner: true})
	if !up.Updated || len(got.APIKeys[0].RoleDescriptors) != 0 {
		t.Fatalf("an empty role_descriptors removes them: %+v", got.APIKeys[0])
	}
	up, _ = fx.svc.UpdateAPIKey(owner, &api.UpdateAPIKeyRequest{ID: k.ID, Expiration: ptr("1d")})
	if !up.Updated {
		t.Fatal("an expiration is always a change")
	}

	dead := fx.create(owner, "dead")
	_, _ = fx.svc.InvalidateAPIKeys(owner, &api.InvalidateAPIKeysRequest{IDs: []string{dead.ID}, Owner: true})
	short := fx.create(owner, "short", func(r *api.CreateAPIKeyRequest) { r.Expiration = ptr("1s") })
	theirs := fx.create(fx.as("other"), "theirs")
	cc, _ := fx.svc.CreateCrossClusterAPIKey(fx.root, &api.CreateCrossClusterAPIKeyRequest{Name: ptr("cc"), Access: &api.CrossClusterAccess{Replication: []api.ReplicationAccess{{Names: []string{"a"}}}}})
	fx.clock.t = fx.clock.t.Add(time.Minute)

	tests := []struct {
		name   string
		ctx    context.Context
		req    api.UpdateAPIKeyRequest
		status int
		typ    string
		reason string
	}{
		{"by an API key", fx.asKey(k), api.UpdateAPIKeyRequest{ID: k.ID}, 400, "illegal_argument_exception", "authentication via API key not supported: only the owner user can update an API key"},
		{"unknown id", owner, api.UpdateAPIKeyRequest{ID: "nope"}, 404, "resource_not_found_exception", "no API key owned by requesting user found for ID [nope]"},
		{"another user's key, even for an admin", fx.as("admin"), api.UpdateAPIKeyRequest{ID: theirs.ID}, 404, "resource_not_found_exception", "no API key owned by requesting user found"},
		{"invalidated", owner, api.UpdateAPIKeyRequest{ID: dead.ID}, 400, "illegal_argument_exception", "cannot update invalidated API key [" + dead.ID + "]"},
		{"expired", owner, api.UpdateAPIKeyRequest{ID: short.ID}, 400, "illegal_argument_exception", "cannot update expired API key [" + short.ID + "]"},
		{"cross-cluster key", fx.root, api.UpdateAPIKeyRequest{ID: cc.ID}, 400, "illegal_argument_exception", "cannot update API key of type [cross_cluster] while expected type is [rest]"},
		{"reserved metadata", owner, api.UpdateAPIKeyRequest{ID: k.ID, Metadata: api.MetadataFromMap(map[string]any{"_x": 1})}, 400, "action_request_validation_exception", "API key metadata keys may not start with [_]"},
		{"zero expiration", owner, api.UpdateAPIKeyRequest{ID: k.ID, Expiration: ptr("0")}, 400, "action_request_validation_exception", "API key expiration must be in the future"},
		{"no privilege", fx.as("nobody"), api.UpdateAPIKeyRequest{ID: k.ID}, 403, "security_exception", "api_key/update] is unauthorized for user [nobody]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := fx.svc.UpdateAPIKey(tt.ctx, &tt.req)
			wantErr(t, err, tt.status, tt.typ, tt.reason)
		})
	}
}

func TestBulkUpdate(t *testing.T) {
	fx := newFixture(t)
	owner := fx.as("owner")
	a, b := fx.create(owner, "a"), fx.create(owner, "b", func(r *api.CreateAPIKeyRequest) { r.Metadata = api.Metadata{{Key: "v", Value: "1"}} })
	dead := fx.create(owner, "dead")
	_, _ = fx.svc.InvalidateAPIKeys(owner, &api.InvalidateAPIKeysRequest{IDs: []string{dead.ID}, Owner: true})
	resp, err := fx.svc.BulkUpdateAPIKeys(owner, &api.BulkUpdateAPIKeysRequest{IDs: []string{a.ID, b.ID, dead.ID, "nope", a.ID}, Metadata: api.MetadataFromMap(map[string]any{"v": "1"})})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Updated) != 1 || resp.Updated[0] != a.ID || len(resp.Noops) != 1 || resp.Noops[0] != b.ID {
		t.Fatalf("updated %v noops %v", resp.Updated, resp.Noops)
	}
	if resp.Errors == nil || resp.Errors.Count != 2 ||
		resp.Errors.Details["nope"].ErrType() != "resource_not_found_exception" ||
		!strings.Contains(resp.Errors.Details[dead.ID].Reason, "cannot update invalidated API key") {
		t.Fatalf("errors %+v", resp.Errors)
	}
	data, _ := json.Marshal(resp)
	if !strings.Contains(string(data), `"nope":{"type":"resource_not_found_exception","reason":"no API key owned by requesting user found for ID [nope]"}`) {
		t.Fatalf("wire shape: %s", data)
	}
	clean, _ := fx.svc.BulkUpdateAPIKeys(owner, &api.BulkUpdateAPIKeysRequest{IDs: []string{a.ID}})
	if data, _ := json.Marshal(clean); strings.Contains(string(data), "errors") {
		t.Fatalf("errors must be absent when there are none: %s", data)
	}
	_, err = fx.svc.BulkUpdateAPIKeys(owner, &api.BulkUpdateAPIKeysRequest{IDs: []string{}})
	wantErr(t, err, 400, "action_request_validation_exception", "Field [ids] cannot be empty")
	_, err = fx.svc.BulkUpdateAPIKeys(fx.asKey(a), &api.BulkUpdateAPIKeysRequest{IDs: []string{a.ID}})
	wantErr(t, err, 400, "illegal_argument_exception", "only the owner user can update an API key")
}

func TestCrossCluster(t *testing.T) {
	fx := newFixture(t)
	access := &api.CrossClusterAccess{
		Search:      []api.SearchAccess{{Names: []string{"logs*"}}},
		Replication: []api.ReplicationAccess{{Names: []string{"archive*"}}},
	}
	resp, err := fx.svc.CreateCrossClusterAPIKey(fx.as("secadmin"), &api.CreateCrossClusterAPIKeyRequest{Name: ptr("eu"), Access: access})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.APIKey) != 22 {
		t.Fatalf("secret %q", resp.APIKey)
	}
	got, _ := fx.svc.GetAPIKeys(fx.as("reader"), &api.GetAPIKeysRequest{ID: resp.ID, WithLimitedBy: true})
	data, _ := json.Marshal(got.APIKeys[0])
	for _, frag := range []string{
		`"type":"cross_cluster"`,
		`"role_descriptors":{"cross_cluster":{"cluster":["cross_cluster_search","monitor_enrich","cross_cluster_replication"],"indices":[{"names":["logs*"],"privileges":["read","read_cross_cluster","view_index_metadata"],"allow_restricted_indices":false},{"names":["archive*"],"privileges":["cross_cluster_replication","cross_cluster_replication_internal"],"allow_restricted_indices":false}],"applications":[],"run_as":[],"metadata":{},"transient_metadata":{"enabled":true}}}`,
		`"access":{"search":[{"names":["logs*"],"allow_restricted_indices":false}],"replication":[{"names":["archive*"],"allow_restricted_indices":false}]}`,
	} {
		if !strings.Contains(string(data), frag) {
			t.Errorf("%s\nlacks %s", data, frag)
		}
	}
	if strings.Contains(string(data), "limited_by") {
		t.Errorf("a cross-cluster key has no limited_by: %s", data)
	}
	_, err = fx.authKey(resp.Encoded)
	wantErr(t, err, 401, "security_exception", "authentication expected API key type of [rest], but API key ["+resp.ID+"] has type [cross_cluster]")

	same, err := fx.svc.UpdateCrossClusterAPIKey(fx.as("secadmin"), &api.UpdateCrossClusterAPIKeyRequest{ID: resp.ID, Access: got.APIKeys[0].Access})
	if err != nil || same.Updated {
		t.Fatalf("resubmitting the access as returned must be a noop: %+v %v", same, err)
	}
	changed, err := fx.svc.UpdateCrossClusterAPIKey(fx.as("secadmin"), &api.UpdateCrossClusterAPIKeyRequest{ID: resp.ID, Metadata: api.MetadataFromMap(map[string]any{"team": "b"})})
	if err != nil || !changed.Updated {
		t.Fatalf("metadata update: %+v %v", changed, err)
	}
	rest := fx.create(fx.as("secadmin"), "rest")

	tests := []struct {
		name   string
		call   func() error
		status int
		typ    string
		reason string
	}{
		{"manage_api_key cannot create", func() error {
			_, err := fx.svc.CreateCrossClusterAPIKey(fx.as("admin"), &api.CreateCrossClusterAPIKeyRequest{Name: ptr("x"), Access: access})
			return err
		}, 403, "security_exception", "action [cluster:admin/xpack/security/cross_cluster/api_key/create] is unauthorized for user [admin]"},
		{"an API key cannot create", func() error {
			_, err := fx.svc.CreateCrossClusterAPIKey(fx.asKey(rest), &api.CreateCrossClusterAPIKeyRequest{Name: ptr("x"), Access: access})
			return err
		}, 400, "illegal_argument_exception", "An API key cannot be used to create a cross-cluster API key"},
		{"empty access", func() error {
			_, err := fx.svc.CreateCrossClusterAPIKey(fx.root, &api.CreateCrossClusterAPIKeyRequest{Name: ptr("x"), Access: &api.CrossClusterAccess{}})
			return err
		}, 400, "illegal_argument_exception", "must specify non-empty access for either [search] or [replication]"},
		{"missing access", func() error {
			_, err := fx.svc.CreateCrossClusterAPIKey(fx.root, &api.CreateCrossClusterAPIKeyRequest{Name: ptr("x")})
			return err
		}, 400, "x_content_parse_exception", "Required [access]"},
		{"dls with replication", func() error {
			q := `{"match_all":{}}`
			_, err := fx.svc.CreateCrossClusterAPIKey(fx.root, &api.CreateCrossClusterAPIKeyRequest{Name: ptr("x"), Access: &api.CrossClusterAccess{
				Search: []api.SearchAccess{{Names: []string{"a"}, Query: &q}}, Replication: []api.ReplicationAccess{{Names: []string{"b"}}}}})
			return err
		}, 400, "illegal_argument_exception", "search does not support document or field level security if replication is assigned"},
		{"empty update", func() error {
			_, err := fx.svc.UpdateCrossClusterAPIKey(fx.as("secadmin"), &api.UpdateCrossClusterAPIKeyRequest{ID: resp.ID})
			return err
		}, 400, "action_request_validation_exception", "must update  [access] or [metadata] or [certificate_identity] for cross-cluster API keys"},
		{"a REST key through the cross-cluster endpoint", func() error {
			_, err := fx.svc.UpdateCrossClusterAPIKey(fx.as("secadmin"), &api.UpdateCrossClusterAPIKeyRequest{ID: rest.ID, Metadata: api.Metadata{}})
			return err
		}, 400, "illegal_argument_exception", "cannot update API key of type [rest] while expected type is [cross_cluster]"},
		{"invalidating it needs manage_security", func() error {
			r, err := fx.svc.InvalidateAPIKeys(fx.as("admin"), &api.InvalidateAPIKeysRequest{IDs: []string{resp.ID}})
			if err == nil && r.ErrorCount == 1 {
				return r.ErrorDetails[0]
			}
			return err
		}, 403, "security_exception", "Cannot invalidate cross-cluster API key [" + resp.ID + "]. This requires [manage_security] cluster privilege or higher"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantErr(t, tt.call(), tt.status, tt.typ, tt.reason) })
	}
}

func TestHasPrivilegesOfAnAPIKey(t *testing.T) {
	fx := newFixture(t)
	// As in Elasticsearch's own test: role-a reads index-a, role-b has all
	// on index-b; the owner (a superuser) has everything on *.
	k := fx.create(fx.root, "scoped", func(r *api.CreateAPIKeyRequest) {
		r.RoleDescriptors = api.RoleDescriptors{
			{Name: "role-a", Descriptor: api.RoleDescriptor{Indices: []api.IndicesPrivileges{{Names: []string{"index-a"}, Privileges: []string{"read"}}}}},
			{Name: "role-b", Descriptor: api.RoleDescriptor{Indices: []api.IndicesPrivileges{{Names: []string{"index-b"}, Privileges: []string{"all"}}}}},
		}
	})
	resp, err := fx.svc.HasPrivileges(fx.asKey(k), &api.HasPrivilegesRequest{
		Cluster: []string{"manage_own_api_key"},
		Index:   []api.IndexPrivilegesCheck{{Names: []string{"index-a", "index-b", "*"}, Privileges: []string{"read", "write"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]bool{
		"index-a": {"read": true, "write": false},
		"index-b": {"read": true, "write": true},
		"*":       {"read": false, "write": false},
	}
	for idx, privs := range want {
		for p, v := range privs {
			if resp.Index[idx][p] != v {
				t.Errorf("%s %s = %v, want %v", idx, p, resp.Index[idx][p], v)
			}
		}
	}
	if resp.Cluster["manage_own_api_key"] || resp.HasAllRequested || resp.Username != "root" {
		t.Fatalf("cluster %v all %v user %s", resp.Cluster, resp.HasAllRequested, resp.Username)
	}
	// A key without manage_own_api_key in its descriptors cannot create keys.
	_, err = fx.svc.CreateAPIKey(fx.asKey(k), &api.CreateAPIKeyRequest{Name: ptr("child")})
	wantErr(t, err, 403, "security_exception", "is unauthorized for API key id ["+k.ID+"]")
}

func TestClearCache(t *testing.T) {
	fx := newFixture(t)
	resp, err := fx.svc.ClearAPIKeyCache(fx.as("secadmin"), []string{"*"})
	if err != nil || resp.Nodes.Successful != 1 || len(resp.NodeNames) != 1 || resp.ClusterName != "apikeyd" {
		t.Fatalf("clear cache: %+v %v", resp, err)
	}
	_, err = fx.svc.ClearAPIKeyCache(fx.as("admin"), nil)
	wantErr(t, err, 403, "security_exception", "action [cluster:admin/xpack/security/cache/clear] is unauthorized")
}

func TestHasPrivilegesOfANamedUser(t *testing.T) {
	fx := newFixture(t)
	k := fx.create(fx.root, "mine", func(*api.CreateAPIKeyRequest) {})
	tests := []struct {
		name     string
		ctx      context.Context
		username string
		reason   string
	}{
		{name: "no user in the path", ctx: fx.root, username: ""},
		{name: "the caller itself", ctx: fx.root, username: "root"},
		{name: "an API key naming its owner", ctx: fx.asKey(k), username: "root"},
		{name: "another user", ctx: fx.root, username: "elastic", reason: "users may only check the privileges of their own account"},
		{name: "an API key naming another user", ctx: fx.asKey(k), username: "elastic", reason: "users may only check the privileges of their own account"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := fx.svc.HasPrivileges(tt.ctx, &api.HasPrivilegesRequest{Username: tt.username, Cluster: []string{"monitor"}})
			if tt.reason != "" {
				wantErr(t, err, 400, "illegal_argument_exception", tt.reason)
				return
			}
			if err != nil || resp.Username != "root" {
				t.Fatalf("resp %+v, err %v", resp, err)
			}
		})
	}
}
