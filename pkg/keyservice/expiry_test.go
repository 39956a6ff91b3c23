package keyservice_test

import (
	"slices"
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
)

const day = 24 * time.Hour

// putPolicies puts policies as root, failing the test on an error.
func (fx *fixture) putPolicies(ps ...api.ExpiryPolicy) {
	fx.t.Helper()
	for _, p := range ps {
		if _, err := fx.svc.PutExpiryPolicy(fx.root, &p); err != nil {
			fx.t.Fatalf("put policy %s: %v", p.Name, err)
		}
	}
}

// lifetime is how long from now an expiration is, 0 for none.
func (fx *fixture) lifetime(exp *int64) time.Duration {
	if exp == nil {
		return 0
	}
	return time.Duration(*exp-fx.clock.t.UnixMilli()) * time.Millisecond
}

// TestExpiryPolicyRule: the one rule of expiry policies, as create applies
// it for the fixture user owner (realm default_native of type native, role
// own_keys).
func TestExpiryPolicyRule(t *testing.T) {
	tests := []struct {
		name     string
		policies []api.ExpiryPolicy
		asked    *string
		want     time.Duration // the key's lifetime, 0 for none
		reason   string        // the 400's reason, when refused
	}{
		{name: "no policy, no expiration", want: 0},
		{name: "no policy, any expiration", asked: ptr("400d"), want: 400 * day},
		{name: "realm type default", policies: []api.ExpiryPolicy{{Name: "native", Realm: "native", Default: "30d"}}, want: 30 * day},
		{name: "realm name default", policies: []api.ExpiryPolicy{{Name: "native", Realm: "default_native", Default: "30d"}}, want: 30 * day},
		{name: "user default", policies: []api.ExpiryPolicy{{Name: "mine", User: "owner", Default: "7d"}}, want: 7 * day},
		{name: "role default", policies: []api.ExpiryPolicy{{Name: "own", Role: "own_keys", Default: "14d"}}, want: 14 * day},
		{name: "asked within the maximum", policies: []api.ExpiryPolicy{{Name: "own", Role: "own_keys", Max: "90d"}}, asked: ptr("30d"), want: 30 * day},
		{name: "asked at the maximum", policies: []api.ExpiryPolicy{{Name: "own", Role: "own_keys", Max: "90d"}}, asked: ptr("2160h"), want: 90 * day},
		{name: "default beside an asked expiration", policies: []api.ExpiryPolicy{{Name: "native", Realm: "native", Default: "1d"}}, asked: ptr("5d"), want: 5 * day},
		{
			name:     "role maximum refused with the policy named",
			policies: []api.ExpiryPolicy{{Name: "prod-keys", Role: "own_keys", Max: "90d"}},
			asked:    ptr("400d"),
			reason:   "expiration [400d] exceeds the maximum [90d] of expiry policy [prod-keys] (role [own_keys])",
		},
		{
			name:     "user maximum",
			policies: []api.ExpiryPolicy{{Name: "owner-max", User: "owner", Max: "1h"}},
			asked:    ptr("2h"),
			reason:   "expiration [2h] exceeds the maximum [1h] of expiry policy [owner-max] (user [owner])",
		},
		{
			name:     "realm maximum",
			policies: []api.ExpiryPolicy{{Name: "native-max", Realm: "native", Max: "30d"}},
			asked:    ptr("31d"),
			reason:   "expiration [31d] exceeds the maximum [30d] of expiry policy [native-max] (realm [native])",
		},
		{
			name: "the smallest maximum wins",
			policies: []api.ExpiryPolicy{
				{Name: "a-realm", Realm: "native", Max: "90d"},
				{Name: "b-role", Role: "own_keys", Max: "60d"},
				{Name: "c-user", User: "owner", Max: "75d"},
			},
			asked:  ptr("70d"),
			reason: "exceeds the maximum [60d] of expiry policy [b-role] (role [own_keys])",
		},
		{
			name: "user default over role and realm",
			policies: []api.ExpiryPolicy{
				{Name: "realm", Realm: "native", Default: "1d"},
				{Name: "role", Role: "own_keys", Default: "2d"},
				{Name: "user", User: "owner", Default: "30d"},
			},
			want: 30 * day,
		},
		{
			name: "role default over realm",
			policies: []api.ExpiryPolicy{
				{Name: "realm", Realm: "native", Default: "1d"},
				{Name: "role", Role: "own_keys", Default: "20d"},
			},
			want: 20 * day,
		},
		{
			name: "ties of scope go to the shortest default",
			policies: []api.ExpiryPolicy{
				{Name: "a", Realm: "native", Default: "30d"},
				{Name: "b", Realm: "default_native", Default: "10d"},
			},
			want: 10 * day,
		},
		{
			name: "a default is cut to the maximum",
			policies: []api.ExpiryPolicy{
				{Name: "user", User: "owner", Default: "100d"},
				{Name: "realm", Realm: "native", Max: "90d"},
			},
			want: 90 * day,
		},
		{
			name:     "a maximum without a default needs an expiration",
			policies: []api.ExpiryPolicy{{Name: "prod-keys", Role: "own_keys", Max: "90d"}},
			reason:   "API key expiration is required by the maximum [90d] of expiry policy [prod-keys] (role [own_keys])",
		},
		{
			name: "policies of others do not apply",
			policies: []api.ExpiryPolicy{
				{Name: "other", User: "other", Max: "1d"},
				{Name: "admins", Role: "all_keys", Max: "1d"},
				{Name: "os", Realm: "os", Max: "1d"},
			},
			asked: ptr("400d"),
			want:  400 * day,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture(t)
			fx.putPolicies(tt.policies...)
			name := "k"
			resp, err := fx.svc.CreateAPIKey(fx.as("owner"), &api.CreateAPIKeyRequest{Name: &name, Expiration: tt.asked})
			if tt.reason != "" {
				wantErr(t, err, 400, "action_request_validation_exception", tt.reason)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := fx.lifetime(resp.Expiration); got != tt.want {
				t.Fatalf("lifetime %v, want %v", got, tt.want)
			}
			got, err := fx.svc.GetAPIKeys(fx.root, &api.GetAPIKeysRequest{ID: resp.ID})
			if err != nil {
				t.Fatal(err)
			}
			if stored := fx.lifetime(got.APIKeys[0].Expiration); stored != tt.want {
				t.Fatalf("stored lifetime %v, want %v", stored, tt.want)
			}
		})
	}
}

// TestExpiryPolicyEveryWrite: grant (for the granted user), clone (for
// the source's owner), cross-cluster create, update and bulk update, and
// a key created by an API key (for its owner's roles) obey the policies.
func TestExpiryPolicyEveryWrite(t *testing.T) {
	fx := newFixture(t)
	for _, r := range []api.PutRoleRequest{
		{Name: "granter", Descriptor: api.RoleDescriptor{Cluster: []string{"grant_api_key", "clone_api_key"}}},
	} {
		if _, err := fx.svc.PutRole(fx.root, &r); err != nil {
			t.Fatal(err)
		}
	}
	pw := "password-granter"
	if _, err := fx.svc.PutUser(fx.root, &api.PutUserRequest{Username: "granter", Password: &pw, Roles: []string{"granter"}}); err != nil {
		t.Fatal(err)
	}
	owner := fx.as("owner")
	noPolicy := fx.create(owner, "before-the-policy")
	longLived := fx.create(owner, "long-lived", func(r *api.CreateAPIKeyRequest) { r.Expiration = ptr("480h") })
	fx.putPolicies(
		api.ExpiryPolicy{Name: "owners", User: "owner", Default: "3d", Max: "10d"},
		api.ExpiryPolicy{Name: "os-users", Realm: "os", Max: "1d"},
	)
	grant := func(user string, exp *string) *api.GrantAPIKeyRequest {
		pw := "password-" + user
		return &api.GrantAPIKeyRequest{
			GrantCredential: api.GrantCredential{GrantType: "password", Username: &user, Password: &pw},
			APIKey:          &api.CreateAPIKeyRequest{Name: ptr("granted"), Expiration: exp},
		}
	}
	ccReq := func(exp *string) *api.CreateCrossClusterAPIKeyRequest {
		return &api.CreateCrossClusterAPIKeyRequest{Name: ptr("cc"), Expiration: exp,
			Access: &api.CrossClusterAccess{Replication: []api.ReplicationAccess{{Names: []string{"a"}}}}}
	}
	keyOfOwner := fx.create(owner, "k")

	tests := []struct {
		name   string
		call   func() (*int64, error)
		want   time.Duration
		reason string
	}{
		{"grant for the granted user: default", func() (*int64, error) {
			r, err := fx.svc.GrantAPIKey(fx.as("granter"), grant("owner", nil))
			return expOf(r, err)
		}, 3 * day, ""},
		{"grant for the granted user: maximum", func() (*int64, error) {
			r, err := fx.svc.GrantAPIKey(fx.as("granter"), grant("owner", ptr("11d")))
			return expOf(r, err)
		}, 0, "expiration [11d] exceeds the maximum [10d] of expiry policy [owners] (user [owner])"},
		{"grant for a user without policy", func() (*int64, error) {
			r, err := fx.svc.GrantAPIKey(fx.as("granter"), grant("other", ptr("11d")))
			return expOf(r, err)
		}, 11 * day, ""},
		{"clone asking beyond the maximum", func() (*int64, error) {
			r, err := fx.svc.CloneAPIKey(fx.as("granter"), &api.CloneAPIKeyRequest{APIKey: keyOfOwner.Encoded, Expiration: &api.Clearable{Value: "20d"}})
			return expOf(r, err)
		}, 0, "expiration [20d] exceeds the maximum [10d] of expiry policy [owners] (user [owner])"},
		{"clone of a key without expiration gets the default", func() (*int64, error) {
			r, err := fx.svc.CloneAPIKey(fx.as("granter"), &api.CloneAPIKeyRequest{APIKey: noPolicy.Encoded})
			return expOf(r, err)
		}, 3 * day, ""},
		{"clone inheriting an expiration beyond the maximum", func() (*int64, error) {
			r, err := fx.svc.CloneAPIKey(fx.as("granter"), &api.CloneAPIKeyRequest{APIKey: longLived.Encoded})
			return expOf(r, err)
		}, 0, "expiration [20d] exceeds the maximum [10d] of expiry policy [owners] (user [owner])"},
		{"clone keeps an expiration within the maximum", func() (*int64, error) {
			r, err := fx.svc.CloneAPIKey(fx.as("granter"), &api.CloneAPIKeyRequest{APIKey: keyOfOwner.Encoded})
			return expOf(r, err)
		}, 3 * day, ""},
		{"a derived key gets its owner's default", func() (*int64, error) {
			r, err := fx.svc.CreateAPIKey(fx.asKey(keyOfOwner), &api.CreateAPIKeyRequest{Name: ptr("derived"),
				RoleDescriptors: api.RoleDescriptors{{Name: "none", Descriptor: api.RoleDescriptor{}}}})
			return expOf(r, err)
		}, 3 * day, ""},
		{"cross-cluster create", func() (*int64, error) {
			r, err := fx.svc.CreateCrossClusterAPIKey(fx.root, ccReq(ptr("2d")))
			return expOf(r, err)
		}, 0, "expiration [2d] exceeds the maximum [1d] of expiry policy [os-users] (realm [os])"},
		{"cross-cluster create without expiration", func() (*int64, error) {
			r, err := fx.svc.CreateCrossClusterAPIKey(fx.root, ccReq(nil))
			return expOf(r, err)
		}, 0, "API key expiration is required by the maximum [1d] of expiry policy [os-users] (realm [os])"},
		{"update beyond the maximum", func() (*int64, error) {
			_, err := fx.svc.UpdateAPIKey(owner, &api.UpdateAPIKeyRequest{ID: keyOfOwner.ID, Expiration: ptr("400d")})
			return nil, err
		}, 0, "expiration [400d] exceeds the maximum [10d] of expiry policy [owners] (user [owner])"},
		{"bulk update beyond the maximum", func() (*int64, error) {
			_, err := fx.svc.BulkUpdateAPIKeys(owner, &api.BulkUpdateAPIKeysRequest{IDs: []string{keyOfOwner.ID}, Expiration: ptr("400d")})
			return nil, err
		}, 0, "expiration [400d] exceeds the maximum [10d] of expiry policy [owners] (user [owner])"},
		{"update without expiration leaves it", func() (*int64, error) {
			if _, err := fx.svc.UpdateAPIKey(owner, &api.UpdateAPIKeyRequest{ID: noPolicy.ID, Metadata: api.MetadataFromMap(map[string]any{"a": "b"})}); err != nil {
				return nil, err
			}
			got, err := fx.svc.GetAPIKeys(owner, &api.GetAPIKeysRequest{ID: noPolicy.ID, Owner: true})
			if err != nil {
				return nil, err
			}
			return got.APIKeys[0].Expiration, nil
		}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exp, err := tt.call()
			if tt.reason != "" {
				wantErr(t, err, 400, "action_request_validation_exception", tt.reason)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := fx.lifetime(exp); got != tt.want {
				t.Fatalf("lifetime %v, want %v", got, tt.want)
			}
		})
	}
}

func expOf(r *api.CreateAPIKeyResponse, err error) (*int64, error) {
	if err != nil {
		return nil, err
	}
	return r.Expiration, nil
}

// TestExpiryPolicyAPI: who may put, read and delete policies, and the
// rules of a policy.
func TestExpiryPolicyAPI(t *testing.T) {
	fx := newFixture(t)
	good := api.ExpiryPolicy{Name: "prod-keys", Role: "deployer", Default: "30d", Max: "90d"}
	resp, err := fx.svc.PutExpiryPolicy(fx.as("secadmin"), &good)
	if err != nil || !resp.Created {
		t.Fatalf("put: %+v %v", resp, err)
	}
	if resp, err := fx.svc.PutExpiryPolicy(fx.root, &good); err != nil || resp.Created {
		t.Fatalf("replace: %+v %v", resp, err)
	}
	fx.putPolicies(api.ExpiryPolicy{Name: "a-realm", Realm: "native", Max: "365d"})
	list, err := fx.svc.GetExpiryPolicies(fx.as("reader"), "")
	if err != nil {
		t.Fatal(err)
	}
	if names := policyNames(list); !slices.Equal(names, []string{"a-realm", "prod-keys"}) {
		t.Fatalf("list = %v", names)
	}
	one, err := fx.svc.GetExpiryPolicies(fx.as("reader"), "prod-keys")
	if err != nil || len(one.Policies) != 1 || one.Policies[0] != good {
		t.Fatalf("get one = %+v %v", one, err)
	}
	if d, err := fx.svc.DeleteExpiryPolicy(fx.as("secadmin"), "a-realm"); err != nil || !d.Found {
		t.Fatalf("delete: %+v %v", d, err)
	}

	tests := []struct {
		name   string
		call   func() error
		status int
		typ    string
		reason string
	}{
		{"manage_api_key cannot put", func() error {
			_, err := fx.svc.PutExpiryPolicy(fx.as("admin"), &good)
			return err
		}, 403, "security_exception", "apikeyd/policy/put] is unauthorized for user [admin]"},
		{"read_security cannot put", func() error {
			_, err := fx.svc.PutExpiryPolicy(fx.as("reader"), &good)
			return err
		}, 403, "security_exception", "apikeyd/policy/put] is unauthorized for user [reader]"},
		{"manage_own_api_key cannot read", func() error {
			_, err := fx.svc.GetExpiryPolicies(fx.as("owner"), "")
			return err
		}, 403, "security_exception", "apikeyd/policy/get] is unauthorized for user [owner]"},
		{"read_security cannot delete", func() error {
			_, err := fx.svc.DeleteExpiryPolicy(fx.as("reader"), "prod-keys")
			return err
		}, 403, "security_exception", "apikeyd/policy/delete] is unauthorized for user [reader]"},
		{"get unknown", func() error {
			_, err := fx.svc.GetExpiryPolicies(fx.root, "nope")
			return err
		}, 404, "resource_not_found_exception", "expiry policy [nope] not found"},
		{"delete unknown", func() error {
			_, err := fx.svc.DeleteExpiryPolicy(fx.root, "a-realm")
			return err
		}, 404, "resource_not_found_exception", "expiry policy [a-realm] not found"},
	}
	for _, bad := range []struct {
		name   string
		p      api.ExpiryPolicy
		reason string
	}{
		{"no scope", api.ExpiryPolicy{Name: "p", Max: "1d"}, "must name exactly one of [realm], [user] or [role]"},
		{"two scopes", api.ExpiryPolicy{Name: "p", User: "u", Role: "r", Max: "1d"}, "must name exactly one of [realm], [user] or [role]"},
		{"no lifetime", api.ExpiryPolicy{Name: "p", User: "u"}, "must set [default], [max] or both"},
		{"default beyond max", api.ExpiryPolicy{Name: "p", User: "u", Default: "91d", Max: "90d"}, "[default] [91d] of an expiry policy exceeds its [max] [90d]"},
		{"zero max", api.ExpiryPolicy{Name: "p", User: "u", Max: "0"}, "[max] of an expiry policy must be at least one second, got [0]"},
		{"bad name", api.ExpiryPolicy{Name: "a/b", User: "u", Max: "1d"}, "expiry policy name [a/b] must be 1 to 128 letters, digits or [_.@-]"},
	} {
		tests = append(tests, struct {
			name   string
			call   func() error
			status int
			typ    string
			reason string
		}{bad.name, func() error {
			_, err := fx.svc.PutExpiryPolicy(fx.root, &bad.p)
			return err
		}, 400, "action_request_validation_exception", bad.reason})
	}
	tests = append(tests, struct {
		name   string
		call   func() error
		status int
		typ    string
		reason string
	}{"bad time value", func() error {
		_, err := fx.svc.PutExpiryPolicy(fx.root, &api.ExpiryPolicy{Name: "p", User: "u", Max: "soon"})
		return err
	}, 400, "illegal_argument_exception", "failed to parse setting [max] with value [soon] as a time value"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, tt.call(), tt.status, tt.typ, tt.reason)
		})
	}
}

func policyNames(r *api.GetExpiryPoliciesResponse) []string {
	var names []string
	for _, p := range r.Policies {
		names = append(names, p.Name)
	}
	return names
}

// TestExpiryNoticesNeedManageSecurity: the daemon's scan and record are
// not for manage_api_key (they see every owner's keys).
func TestExpiryNoticesNeedManageSecurity(t *testing.T) {
	fx := newFixture(t)
	p := keyservice.NoticePolicy{Leads: []time.Duration{day}, MaxAttempts: 1}
	_, err := fx.svc.DueExpiryNotices(fx.as("admin"), p, 10)
	wantErr(t, err, 403, "security_exception", "apikeyd/expiry_notices] is unauthorized for user [admin]")
	_, err = fx.svc.RecordExpiryNotice(fx.as("admin"), p, keyservice.ExpiryNotice{KeyID: "k"}, nil)
	wantErr(t, err, 403, "security_exception", "apikeyd/expiry_notices] is unauthorized for user [admin]")
	if _, err := fx.svc.DueExpiryNotices(fx.as("secadmin"), p, 10); err != nil {
		t.Fatal(err)
	}
}
